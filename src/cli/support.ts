// `opta support bundle|analyze|diff`: a redacted diagnostics file for support staff, today's rules run offline over one, and two compared.
import { anythingAt } from '../core/read-small.js';
import fs from 'node:fs';
import path from 'node:path';
import { tempSuffix, WriteError, writeFileOnce } from '../core/atomic.js';
import { OptaError, UsageError } from '../core/errors.js';
import { writeFailureText } from '../core/write-all.js';
import { cliPaths, runtime, type ExitCode } from './context.js';
import { MS_RANGE, parseMs } from './doctor-command.js';
import { visible } from '../rules/language/escape.js';
import { err, out } from './output.js';
import { colorEnabled, paint } from './terminal.js';
import type { GroupSpec } from './command-table.js';
import { DEFAULT_PROFILE, parseProfile, PROFILE_HELP, PROFILES, type RedactProfile } from '../redact/profile.js';

/** opta-support-20261125-100001.txt, in local time like the guide's `date +%Y%m%d-%H%M%S`. */
export function bundleFileName(at: Date, opts: { json?: boolean; unredacted?: boolean } = {}): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return `opta-support-${stamp}${opts.unredacted ? '-UNREDACTED' : ''}.${opts.json ? 'json' : 'txt'}`;
}

/** An unredacted file always says so in its name, wherever --out puts it. */
export function markUnredacted(file: string): string {
  if (/UNREDACTED/.test(path.basename(file))) return file;
  const ext = path.extname(file);
  return file.slice(0, file.length - ext.length) + '-UNREDACTED' + ext;
}

/** opta-support-<time>.txt, else opta-support-<time>-2.txt, -3, ... whichever does not exist yet (a dangling link exists). */
export function unusedName(file: string): string {
  const ext = path.extname(file);
  const stem = file.slice(0, file.length - ext.length);
  let candidate = file;
  for (let n = 2; anythingAt(candidate); n++) candidate = `${stem}-${n}${ext}`;
  return candidate;
}

function defaultDir(env: NodeJS.ProcessEnv): string {
  const desktop = env.HOME ? path.join(env.HOME, 'Desktop') : undefined;
  return desktop && fs.existsSync(desktop) && fs.statSync(desktop).isDirectory() ? desktop : process.cwd();
}

function cannotWrite(file: string, e: unknown): OptaError {
  const cause = e instanceof WriteError && e.cause ? e.cause : e;
  return new OptaError(`cannot write the bundle to ${file}: ${writeFailureText(cause)}. Choose another place with --out (or --out - for stdout).`, 2);
}

/** Says what is there: a symbolic link (a dangling one looks like nothing at all to `ls` and to existsSync) or a file. */
function alreadyThere(file: string): UsageError {
  let what = 'a file is already there';
  try {
    if (fs.lstatSync(file).isSymbolicLink()) {
      const target = visible(fs.readlinkSync(file));
      what = fs.existsSync(file) ? `a symbolic link to ${target} is already there` : `a symbolic link to a missing target (${target}) is already there`;
    }
  } catch {
    // Gone meanwhile: the general words still hold for what was seen.
  }
  return new UsageError(`cannot write the bundle to ${file}: ${what}, and opta never replaces a file or follows a link with a bundle. Remove it, or name another file (or a directory) with --out.`);
}

/**
 * The file a bundle goes to, checked before any section runs: --out naming a directory puts the usual name there; a
 * name opta chose skips earlier bundles of the same second (the guide's one-liner's, say); a file named with --out
 * must not exist yet (a symlink, even a dangling one, counts as existing).
 */
function bundleTarget(flags: BundleFlags, at: Date): { file: string; base: string; chosen: boolean } {
  const name = bundleFileName(at, { json: flags.json, unredacted: !flags.redact });
  const outIsDir = flags.out !== undefined && fs.existsSync(flags.out) && fs.statSync(flags.out).isDirectory();
  const chosen = !flags.out || outIsDir;
  let file = chosen ? path.join(outIsDir ? path.resolve(flags.out!) : defaultDir(process.env), name) : path.resolve(flags.out!);
  if (!flags.redact) file = markUnredacted(file);
  const base = file;
  if (chosen) file = unusedName(file);
  const dir = path.dirname(file);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`cannot write the bundle to ${file}: the directory ${dir} does not exist. Name an existing directory with --out.`);
  if (!chosen && anythingAt(file)) throw alreadyThere(file);
  // A real try, not access(): root passes access() on a read-only or virtual file system, and a bundle is worth its
  // deadline only when it can be written.
  const probe = path.join(dir, `.opta-support-probe.${process.pid}.${tempSuffix()}.tmp`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx', 0o600));
    fs.rmSync(probe, { force: true });
  } catch (e) {
    throw cannotWrite(file, e);
  }
  return { file, base, chosen };
}


interface BundleFlags {
  out?: string;
  json?: boolean;
  timeout: number;
  /** The profile (--redact, standard by default), or false with --no-redact. */
  redact: RedactProfile | false;
  record?: boolean;
  for?: number;
}

/** "90s", "2s", "1500ms", "5m", or plain seconds; from 1 s to 1 h. */
function parseFor(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm'] : NaN;
  if (!(ms >= 1000 && ms <= 3_600_000)) throw new UsageError(`--for takes a duration from 1s to 60m (90s, 2s, 5m), not "${v}"`);
  return Math.round(ms);
}

/** Waits for the recording to end: --for's time, or Enter / Ctrl-C at a terminal. */
function waitForEnd(forMs: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      if (process.stdin.isTTY) process.stdin.pause();
      resolve();
    };
    const timer = forMs !== undefined ? setTimeout(done, forMs) : undefined;
    process.once('SIGINT', done);
    if (process.stdin.isTTY) {
      process.stdin.resume();
      process.stdin.once('data', done);
    }
  });
}

/** Marks the start in the daemon's log, waits while the person reproduces the problem, marks the end: the extra sections. */
async function record(flags: BundleFlags): Promise<{ sections: import('../support/bundle.js').Section[]; startedAt: number }> {
  if (flags.for === undefined && !process.stdin.isTTY) {
    throw new UsageError('--record without a terminal needs --for (e.g. --for 90s): there is no Enter to end the recording.');
  }
  const paths = cliPaths();
  const [{ writeLogMarker }, { runDoctorCapture, DEFAULT_DEADLINE_MS }, { recordSections }, crypto] = await Promise.all([
    import('../daemon/client/api.js'),
    import('../doctor/run.js'),
    import('../support/record.js'),
    import('node:crypto'),
  ]);
  const id = crypto.randomUUID().slice(0, 13).toLowerCase();
  const before = await runDoctorCapture({ paths, env: process.env, deadlineMs: DEFAULT_DEADLINE_MS, collectAll: true });
  await writeLogMarker(paths, 'start', id);
  const t0 = Date.now();
  err(`opta: recording (support record ${id}). Reproduce the problem now; ${flags.for !== undefined ? `the recording ends in ${Math.round(flags.for / 1000)} s` : 'press Enter (or Ctrl-C) when done'}.`);
  await waitForEnd(flags.for);
  await writeLogMarker(paths, 'end', id);
  const seconds = Math.round((Date.now() - t0) / 1000);
  err(`opta: recording ended after ${seconds} s; building the bundle.`);
  return { sections: recordSections(id, before, seconds), startedAt: Date.now() };
}

async function bundleAction(flags: BundleFlags): Promise<ExitCode> {
  if (flags.for !== undefined && !flags.record) throw new UsageError('--for goes with --record (opta support bundle --record --for 90s).');
  // A recording first (its own time does not count against the bundle's deadline); the file is checked before it.
  if (flags.record && flags.out !== '-') bundleTarget(flags, new Date());
  const recorded = flags.record ? await record(flags) : undefined;
  const started = Date.now();
  runtime.hardStopAt = started + flags.timeout + 2000;
  // Where it goes is settled first: a bundle that could not be written is not worth its deadline.
  const target = flags.out === '-' ? undefined : bundleTarget(flags, new Date(started));
  const paths = cliPaths();
  const [{ buildBundle, renderBundleJson, renderBundleText }, { SECTIONS }, { RedactShapesError }] = await Promise.all([import('../support/bundle.js'), import('../support/bundle-sections.js'), import('../redact/redactor.js')]);
  const store = flags.redact ? (await import('../redact/placeholder-map.js')).PlaceholderMap.load(process.env) : undefined;
  if (!flags.redact) err('opta: warning: --no-redact: this bundle will hold your secrets as they are (daemon token, API keys, passwords in logs). Share it with no one you would not give them to.');
  let bundle;
  try {
    bundle = await buildBundle({ paths, env: process.env, sections: recorded ? [...recorded.sections, ...SECTIONS] : SECTIONS, deadlineMs: flags.timeout, redact: flags.redact !== false, profile: flags.redact || undefined, store, now: new Date(started) });
  } catch (e) {
    if (e instanceof RedactShapesError) {
      for (const p of e.problems) err(`opta: rule file ${p.file} is invalid at ${p.jsonPath}: ${p.message}`);
      throw new OptaError('no bundle was written: a redaction shape (rules/redact) could not be loaded, and a bundle without it could leak a secret. Check them with: opta rules validate --kind redact', 2);
    }
    throw e;
  }
  const text = flags.json ? renderBundleJson(bundle) : renderBundleText(bundle);
  for (const s of bundle.sections.filter((x) => x.status !== 'ok')) err(`opta: note: section "${s.title}" ${s.status === 'timed-out' ? `ran out of time: no answer within ${s.timeoutMs} ms` : `is not available: ${s.error}`}`);
  if (flags.out === '-') {
    process.stdout.write(text);
    saveStore(store);
    return 0;
  }
  let file = target!.file;
  try {
    // Created whole or not at all, and never over an existing name: when a name opta chose was taken meanwhile
    // (another bundle in the same second), the next one is tried; a name given with --out is refused.
    while (!writeFileOnce(file, text, 0o600)) {
      if (!target!.chosen) throw alreadyThere(file);
      file = unusedName(target!.base);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw cannotWrite(file, e);
  }
  out(`Saved ${file}`);
  saveStore(store);
  return 0;
}

/** Records this run's placeholders once its output exists (a failed run records nothing); a failure is a note, not an error. */
function saveStore(store: { save(): string | undefined } | undefined): void {
  const note = store?.save();
  if (note) err(`opta: note: ${note}`);
}

/** The profiles, one line each, for --help. */
const PROFILES_HELP = ['', 'Redaction profiles (--redact):', ...PROFILES.map((p) => `  ${p.padEnd(9)} ${PROFILE_HELP[p]}`)].join('\n');

async function redactAction(files: string[], flags: { out?: string; redact: RedactProfile }): Promise<ExitCode> {
  const [{ readRedactInput, redactTargets, writeRedacted }, { homeRedactor }, { placeholderCounts, RedactShapesError }, { PlaceholderMap }] = await Promise.all([
    import('../support/redact-files.js'),
    import('../redact/load-shapes.js'),
    import('../redact/redactor.js'),
    import('../redact/placeholder-map.js'),
  ]);
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input ("-") can be given once.');
  // Where each goes is settled first, then everything is read: an error leaves nothing half-written.
  const targets = redactTargets(files, flags.out);
  const inputs = [];
  for (const f of files) inputs.push(await readRedactInput(f));
  const store = PlaceholderMap.load(process.env);
  let redactor;
  try {
    redactor = await homeRedactor(cliPaths(), process.env, undefined, flags.redact, store);
  } catch (e) {
    if (e instanceof RedactShapesError) throw new OptaError(`nothing was redacted: ${e.message}. A redaction without every shape could leak a secret; check them with: opta rules validate --kind redact`, 2);
    throw e;
  }
  const chunks: string[] = [];
  let written: string[];
  try {
    written = writeRedacted(inputs, targets, redactor, (t) => chunks.push(t));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new OptaError(`cannot write the redacted file: ${writeFailureText(e)}. Choose another place with --out.`, 2);
  }
  if (chunks.length) process.stdout.write(chunks.join(''));
  for (const w of written) err(`opta: wrote ${w}`);
  saveStore(store);
  // Counted in what was written, like the bundle's header: never more places than the output holds.
  const c = placeholderCounts(chunks.join('') + written.map((w) => fs.readFileSync(w, 'utf8')).join(''));
  const kinds = Object.entries(c.byLabel).map(([k, n]) => `${k} ${n}`).join(', ');
  err(c.values ? `opta: redacted ${c.values} value${c.values === 1 ? '' : 's'} in ${c.occurrences} place${c.occurrences === 1 ? '' : 's'} (${kinds}${flags.redact !== DEFAULT_PROFILE ? `, --redact ${flags.redact}` : ''}); check the result before you share it` : 'opta: nothing looked like a secret (check the result before you share it)');
  return 0;
}

interface AnalyzeFlags {
  json?: boolean;
  verbose?: boolean;
  rules?: string;
  timeout: number;
  explain?: string;
}

async function analyzeAction(file: string, flags: AnalyzeFlags): Promise<ExitCode> {
  const started = Date.now();
  const deadlineAt = started + flags.timeout;
  // Kept while opta waits (a pipe that never ends, a slow disk): the bundle is someone else's file.
  const stop = setTimeout(() => {
    process.stderr.write(`opta: support analyze ran out of time (--timeout ${flags.timeout} ms) reading or analysing ${visible(file)}; nothing was analysed. Check that it is a bundle file, or give it more time with --timeout.\n`);
    process.exit(2);
  }, flags.timeout + 500);
  stop.unref();
  runtime.hardStopAt = deadlineAt + 1000;
  const [{ readBundle, readBundleFile }, { analyzeBundle, renderAnalysisText }] = await Promise.all([import('../support/bundle-read.js'), import('../support/analyze.js')]);
  const content = await readBundleFile(file);
  if (flags.explain !== undefined) {
    // One rule or log pattern of the bundle's machine: 0 explained, 2 no such id (a UsageError).
    const [{ explainBundle }, { renderExplained, explanationJson }] = await Promise.all([import('../support/explain-bundle.js'), import('../render/explain.js')]);
    const x = await explainBundle(readBundle(file, content), flags.explain, { rulesDir: flags.rules, deadlineAt: Math.max(Date.now() + 200, deadlineAt - 200) });
    clearTimeout(stop);
    if (flags.json) out(JSON.stringify({ bundle: file, ...(explanationJson(x.explained, x.fix) as object), notes: x.notes }, null, 2));
    else process.stdout.write(`Explained from ${visible(file)} (the bundle's facts and log lines, quoted escaped; nothing of this machine is probed)\n${renderExplained(x.explained, x.fix)}${x.notes.map((n) => `Note: ${visible(n)}.\n`).join('')}`);
    return 0;
  }
  const a = await analyzeBundle(file, readBundle(file, content), { rulesDir: flags.rules, deadlineAt: Math.max(Date.now() + 200, deadlineAt - 200) });
  clearTimeout(stop);
  if (flags.json) out(JSON.stringify(a, null, 2));
  else {
    const { renderText, renderRuleProblems } = await import('../render/text.js');
    const kleur = await paint(colorEnabled(process.stdout));
    process.stdout.write(renderAnalysisText(a, renderText(a.report, { kleur, verbose: flags.verbose })));
    for (const line of renderRuleProblems(a.report)) err(visible(line));
  }
  return a.report.exitCode;
}

async function diffAction(fileA: string, fileB: string, flags: { json?: boolean }): Promise<ExitCode> {
  const [{ readBundle, readBundleFile }, { diffBundles, renderDiffText }] = await Promise.all([import('../support/bundle-read.js'), import('../support/diff.js')]);
  const [ca, cb] = await Promise.all([readBundleFile(fileA), readBundleFile(fileB)]);
  const d = diffBundles(fileA, readBundle(fileA, ca), fileB, readBundle(fileB, cb));
  if (flags.json) out(JSON.stringify(d, null, 2));
  else process.stdout.write(renderDiffText(d));
  return d.same ? 0 : 1;
}

/** `opta support ...`, declared once (command-table.ts). */
export const SUPPORT: GroupSpec = {
  name: 'support',
  description: 'make a diagnostics bundle for support, and analyse one',
  commands: [
    {
      name: 'bundle',
      description: "write the guide's support bundle (doctor, daemon status, last 200 log lines, config) plus versions, paths, environment, ports and the doctor's facts; secrets redacted; read-only",
      options: [
        { flags: '--out <path>', description: 'write this new file (never an existing one) or into this directory instead of ~/Desktop/opta-support-<time>.txt; "-" for stdout' },
        { flags: '--json', description: 'write the bundle as one JSON document (schemas/support-bundle.schema.json)' },
        { flags: '--timeout <ms>', description: 'deadline of the whole bundle in milliseconds', parse: parseMs, default: 15000, range: MS_RANGE },
        { flags: '--redact <profile>', description: `how much to redact: ${PROFILES.join(', ')}`, parse: parseProfile, default: DEFAULT_PROFILE },
        { flags: '--no-redact', description: 'leave secrets in (warns; the file name says UNREDACTED)' },
        { flags: '--record', description: "mark the start in the daemon's log, wait while you reproduce the problem (Enter, Ctrl-C or --for), mark the end, then bundle with the log between the marks and the doctor's facts before and after" },
        { flags: '--for <duration>', description: 'with --record: end the recording after this long (90s, 2s, 5m); needed without a terminal', parse: parseFor },
      ],
      helpAfter: [
        '',
        'Each section has its own timeout under the deadline; one that fails or runs out of time says so in a line and the',
        'others still appear. Nothing is started, stopped or changed; the file is written atomically with mode 0600.',
        'Exit codes: 0 bundle written, 2 could not write it (or a redaction shape could not be loaded).',
        PROFILES_HELP,
      ].join('\n'),
      run: (flags: BundleFlags) => bundleAction(flags),
    },
    {
      name: 'redact',
      args: [{ name: '<file...>' }],
      description: 'redact any text file you want to attach (a log, a config, a compose file) with the same rules and placeholders as the support bundle; to stdout or --out; never writes over a file',
      options: [
        { flags: '--out <path>', description: 'write this new file (one input), or <name>.redacted<ext> into this directory; "-" for stdout' },
        { flags: '--redact <profile>', description: `how much to redact: ${PROFILES.join(', ')}`, parse: parseProfile, default: DEFAULT_PROFILE },
      ],
      helpAfter: [
        '',
        'FILE "-" is standard input. Each file is read whole, up to 64 MiB; binary files (NUL bytes) are refused. One run',
        'gives one value one placeholder across all the files; the summary (kinds and counts, no values) goes to stderr.',
        'Exit codes: 0 redacted, 2 could not read an input or write the output (nothing is written then).',
        PROFILES_HELP,
      ].join('\n'),
      run: (flags: { out?: string; redact: RedactProfile }, [files]: [string[]]) => redactAction(files, flags),
    },
    {
      name: 'analyze',
      args: [{ name: '<bundle>' }],
      description: "run today's doctor rules offline over the facts a bundle captured (text or JSON; no probe of this machine) and print the doctor's report for the bundle's machine",
      options: [
        { flags: '--json', description: 'print the analysis as JSON (the doctor report, missing facts, comparison with the bundle\'s own report)' },
        { flags: '--verbose', description: 'also the extra checks and the facts behind each line' },
        { flags: '--rules <dir>', description: 'run the doctor rule files of this directory instead of the built-in ones' },
        { flags: '--timeout <ms>', description: 'deadline of the whole analysis in milliseconds', parse: parseMs, default: 10000 },
        { flags: '--explain <id>', description: "why one doctor rule fired or stayed quiet on the bundle's machine (its conditions with the bundle's fact values), or what a log pattern matched in the bundle's log lines" },
      ],
      helpAfter: '\nExit codes: 0 the bundle\'s machine is healthy, 1 the rules find a problem there or a check could not run (a fact the bundle lacks), 2 not a readable bundle (random file, cut off, other format version) or out of time. With --explain: 0 explained, 2 no such rule or log pattern.',
      run: (flags: AnalyzeFlags, [file]: [string]) => analyzeAction(file, flags),
    },
    {
      name: 'diff',
      args: [{ name: '<a>' }, { name: '<b>' }],
      description: 'compare two bundles (a good day and a bad one, before and after a change): findings that appeared and went away, facts that changed, log patterns whose counts moved',
      options: [{ flags: '--json', description: 'print the comparison as JSON' }],
      helpAfter: "\nTimes, pids, sizes and free space are not compared (they differ on any two runs); latency only when it moved far (2x and 100 ms). Facts one side lacks (another opta version) are named in a note.\nExit codes: 0 no differences, 1 differences, 2 not a readable bundle.",
      run: (flags: { json?: boolean }, [a, b]: [string, string]) => diffAction(a, b, flags),
    },
  ],
};
