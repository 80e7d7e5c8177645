// `opta support bundle|analyze`: a redacted diagnostics file for support staff, and today's rules run offline over one.
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { OptaError, UsageError, causeText } from '../core/errors.js';
import { cliPaths, runtime } from './context.js';
import { parseMs } from './doctor-command.js';
import { colorEnabled, err, out } from './output.js';
import type { Register } from './main.js';

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

/** opta-support-<time>.txt, else opta-support-<time>-2.txt, -3, ... whichever does not exist yet. */
export function unusedName(file: string): string {
  const ext = path.extname(file);
  const stem = file.slice(0, file.length - ext.length);
  let candidate = file;
  for (let n = 2; fs.existsSync(candidate); n++) candidate = `${stem}-${n}${ext}`;
  return candidate;
}

function defaultDir(env: NodeJS.ProcessEnv): string {
  const desktop = env.HOME ? path.join(env.HOME, 'Desktop') : undefined;
  return desktop && fs.existsSync(desktop) && fs.statSync(desktop).isDirectory() ? desktop : process.cwd();
}

interface BundleFlags {
  out?: string;
  json?: boolean;
  timeout: number;
  redact: boolean;
}

export const registerSupport: Register = (program: Command, setExit) => {
  const support = program.command('support').description('make a diagnostics bundle for support, and analyse one');

  support
    .command('bundle')
    .description("write the guide's support bundle (doctor, daemon status, last 200 log lines, config) plus versions, paths, environment, ports and the doctor's facts; secrets redacted; read-only")
    .option('--out <path>', 'write this file (or into this directory) instead of ~/Desktop/opta-support-<time>.txt; "-" for stdout')
    .option('--json', 'write the bundle as one JSON document (schemas/support-bundle.schema.json)')
    .addOption(new Option('--timeout <ms>', 'deadline of the whole bundle in milliseconds').default(15000).argParser(parseMs))
    .option('--no-redact', 'leave secrets in (warns; the file name says UNREDACTED)')
    .addHelpText(
      'after',
      [
        '',
        'Each section has its own timeout under the deadline; one that fails or runs out of time says so in a line and the',
        'others still appear. Nothing is started, stopped or changed; the file is written atomically with mode 0600.',
        'Exit codes: 0 bundle written, 2 could not write it (or a redaction shape could not be loaded).',
      ].join('\n'),
    )
    .action(async (flags: BundleFlags) => {
      const started = Date.now();
      runtime.hardStopAt = started + flags.timeout + 2000;
      const paths = cliPaths();
      const [{ buildBundle, renderBundleJson, renderBundleText }, { SECTIONS }, { RedactShapesError }] = await Promise.all([import('../report/bundle.js'), import('../report/bundle-sections.js'), import('../report/redact.js')]);
      if (!flags.redact) err('opta: warning: --no-redact: this bundle will hold your secrets as they are (daemon token, API keys, passwords in logs). Share it with no one you would not give them to.');
      let bundle;
      try {
        bundle = await buildBundle({ paths, env: process.env, sections: SECTIONS, deadlineMs: flags.timeout, redact: flags.redact, now: new Date(started) });
      } catch (e) {
        if (e instanceof RedactShapesError) {
          for (const p of e.problems) err(`opta: rule file ${p.file} is invalid at ${p.jsonPath}: ${p.message}`);
          throw new OptaError('no bundle was written: a redaction shape (rules/redact) could not be loaded, and a bundle without it could leak a secret. Check them with: opta rules validate --kind redact', 2);
        }
        throw e;
      }
      const text = flags.json ? renderBundleJson(bundle) : renderBundleText(bundle);
      for (const s of bundle.sections.filter((x) => x.status !== 'ok')) err(`opta: note: section "${s.title}" ${s.status === 'timed-out' ? 'ran out of time' : 'is not available'}: ${s.error}`);
      if (flags.out === '-') {
        process.stdout.write(text);
        return setExit(0);
      }
      const name = bundleFileName(new Date(started), { json: flags.json, unredacted: !flags.redact });
      // --out naming a directory puts the usual file name there.
      const outIsDir = flags.out !== undefined && fs.existsSync(flags.out) && fs.statSync(flags.out).isDirectory();
      let file = flags.out && !outIsDir ? path.resolve(flags.out) : path.join(outIsDir ? path.resolve(flags.out!) : defaultDir(process.env), name);
      if (!flags.redact) file = markUnredacted(file);
      // A name opta chose never replaces an earlier bundle made in the same second (the guide's one-liner's, say).
      if (!flags.out || outIsDir) file = unusedName(file);
      const dir = path.dirname(file);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`cannot write the bundle to ${file}: the directory ${dir} does not exist. Name an existing directory with --out.`);
      const { writeFileAtomic } = await import('../core/atomic.js');
      try {
        writeFileAtomic(file, text, 0o600);
      } catch (e) {
        throw new OptaError(`cannot write the bundle to ${file}: ${causeText(e)}. Choose another place with --out (or --out - for stdout).`, 2);
      }
      out(`Saved ${file}`);
      setExit(0);
    });

  support
    .command('analyze <bundle>')
    .description("run today's doctor rules offline over the facts a bundle captured (text or JSON; no probe of this machine) and print the doctor's report for the bundle's machine")
    .option('--json', 'print the analysis as JSON (the doctor report, missing facts, comparison with the bundle\'s own report)')
    .option('--verbose', 'also the extra checks and the facts behind each line')
    .option('--rules <dir>', 'run the doctor rule files of this directory instead of the built-in ones')
    .addHelpText('after', '\nExit codes: 0 the bundle\'s machine is healthy, 1 the rules find a problem there, 2 not a readable bundle (random file, cut off, other format version).')
    .action(async (file: string, flags: { json?: boolean; verbose?: boolean; rules?: string }) => {
      const [{ readBundle, readBundleFile }, { analyzeBundle, renderAnalysisText }] = await Promise.all([import('../report/bundle-read.js'), import('../report/analyze.js')]);
      const content = await readBundleFile(file);
      const a = await analyzeBundle(file, readBundle(file, content), { rulesDir: flags.rules });
      if (flags.json) out(JSON.stringify(a, null, 2));
      else {
        const { renderText, renderRuleProblems } = await import('../report/text.js');
        let kleur;
        if (colorEnabled(process.stdout)) {
          kleur = (await import('kleur')).default;
          kleur.enabled = true;
        }
        process.stdout.write(renderAnalysisText(a, renderText(a.report, { kleur, verbose: flags.verbose })));
        for (const line of renderRuleProblems(a.report)) err(line);
      }
      setExit(a.report.exitCode);
    });
};
