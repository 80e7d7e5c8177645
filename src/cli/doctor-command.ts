// The `opta doctor` action (its table is doctor.ts): run the rules, render, set the exit code; --fix and --watch hand over.
import { requireBuiltin } from '../core/install.js';
import { UsageError } from '../core/errors.js';
import { runDoctor, runDoctorCapture, type DoctorOptions } from '../doctor/run.js';
import { renderRuleProblems } from '../render/text.js';
import { cliPaths, runtime, type ExitCode } from './context.js';
import type { DoctorFlags } from './doctor-flags.js';
import { checkDestinations, emitReport, pairDestinations } from './doctor-outputs.js';
import { err } from './output.js';
import { noticeOnce } from '../core/notices.js';
import { colorEnabled, paint } from './terminal.js';

export const DEFAULT_INTERVAL_MS = 30_000;

/** Kept back from --timeout for the run's own last step (its deadline race allows 100 ms) and printing the report. */
const PRINT_MARGIN_MS = 150;
/** A run is never given less than this, however long start-up took. */
const MIN_RUN_MS = 50;
/** How far past --timeout the hard stop ends a process something still holds open. */
const HARD_STOP_GRACE_MS = 50;

/** What parseMs and parseInterval accept, as --help and the README say it (OptionSpec.range). */
export const MS_RANGE = '100 to 600000 ms';
export const INTERVAL_RANGE = '1 s to 24 h';

export function parseMs(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 100 || Number(v) > 600000) throw new UsageError(`--timeout takes milliseconds from 100 to 600000, not "${v}"`);
  return Number(v);
}

/** "30s", "1500ms", "5m", "1h", or plain seconds; from 1 s to 24 h. */
export function parseInterval(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 1000 && ms <= 86_400_000)) throw new UsageError(`--interval takes a duration from 1s to 24h (30s, 1500ms, 5m, 1h), not "${v}"`);
  return Math.round(ms);
}

export function parseList(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** `opta doctor --explain ID` (a doctor rule or a log pattern): 0 explained (whatever the rule did), 2 no such id. */
async function explainAction(flags: DoctorFlags): Promise<ExitCode> {
  if (flags.fix || flags.watch) throw new UsageError('--explain shows one rule of one run; it does not go with --fix or --watch');
  const [{ explainDoctor }, { renderExplained, explanationJson }, { explainFix }, { currentRunTexts }] = await Promise.all([
    import('../doctor/explain.js'),
    import('../render/explain.js'),
    import('../fix/explain-plan.js'),
    import('../logs/explain-pattern.js'),
  ]);
  const json = flags.json || (flags.outputs ?? []).some((o) => o.kind === 'json' || (o.kind === 'format' && o.value === 'json'));
  const paths = cliPaths();
  const e = await explainDoctor({ paths, env: process.env, rulesDir: flags.rules, deadlineMs: flags.timeout }, flags.explain!, () => currentRunTexts(paths, process.env));
  const fix = e.kind === 'rule' ? await explainFix(e.id, e.rule.event.params.fix, e.facts, { paths, env: process.env, offline: false }) : null;
  process.stdout.write(json ? JSON.stringify(explanationJson(e, fix), null, 2) + '\n' : renderExplained(e, fix));
  return 0;
}

export async function doctorAction(flags: DoctorFlags, setExit: (code: ExitCode) => void): Promise<void> {
  if ((flags.yes || flags.dryRun) && !flags.fix) throw new UsageError(`${flags.yes ? '--yes' : '--dry-run'} only goes with --fix: opta doctor --fix${flags.yes ? ' --yes' : ' --dry-run'}`);
  if (flags.interval !== undefined && !flags.watch) throw new UsageError('--interval sets the pause between --watch runs; add --watch (e.g. opta doctor --watch --interval 30s).');
  // Every destination is checked before any work: a typo in --output fails now, not after the checks ran.
  const destinations = pairDestinations(flags.outputs ?? (flags.json ? [{ kind: 'json' }] : []));
  if (flags.fix) {
    if (flags.watch) throw new UsageError('--fix and --watch do not go together: a watch only observes. Run opta doctor --fix once, then opta doctor --watch.');
    const other = destinations.find((d) => d.file !== undefined || (d.format !== 'text' && d.format !== 'json'));
    if (other) throw new UsageError(`--fix prints its own report (text, or JSON with --json) to standard output; for a ${other.format} report of the result, run opta doctor --format ${other.format} afterwards.`);
    return (await import('./doctor-fix.js')).fixAction({ ...flags, json: destinations.some((d) => d.format === 'json') }, setExit);
  }
  if (flags.explain !== undefined) return setExit(await explainAction(flags));
  await checkDestinations(destinations, { watch: flags.watch });
  const options: DoctorOptions = {
    paths: cliPaths(),
    env: process.env,
    rulesDir: flags.rules,
    only: flags.only,
    skip: flags.skip,
    strict: flags.strict,
    deadlineMs: flags.timeout,
    // A person asking about the network path gets more samples of it (a healthy plain run takes one quick round).
    thorough: Boolean(flags.verbose || flags.only?.includes('network')),
  };
  // Colour only for text on a terminal, and never for --ci.
  const kleur = await paint(!flags.ci && colorEnabled(process.stdout) && destinations.some((d) => d.format === 'text' && d.file === undefined));
  // The host name only for the formats that print it (JUnit, OpenMetrics): node:os is not loaded otherwise.
  const ctx = {
    kleur,
    verbose: flags.verbose,
    get hostname() {
      return requireBuiltin<typeof import('node:os')>('node:os').hostname();
    },
  };
  if (flags.watch) {
    const { watchDoctor } = await import('./doctor-watch.js');
    setExit(await watchDoctor({ run: () => runDoctor(options), destinations, ctx, intervalMs: flags.interval ?? DEFAULT_INTERVAL_MS }));
    return;
  }
  // --timeout is the whole process's deadline, counted from its start (what a person or a CI timer measures): the
  // run gets what node's start-up and opta's loading left of it, less a moment to print. Nothing may keep a finished
  // doctor alive past the deadline (a port-owner tool that hangs, say): the entry point's hard stop ends it.
  // When the process started, without the global `performance` (it loads perf_hooks and nine modules behind it).
  const startedAt = Date.now() - process.uptime() * 1000;
  runtime.hardStopAt = startedAt + flags.timeout + HARD_STOP_GRACE_MS;
  const { report, facts } = await runDoctorCapture({ ...options, deadlineAt: Math.max(Date.now() + MIN_RUN_MS, startedAt + flags.timeout - PRINT_MARGIN_MS) });
  // --verbose prints tables of some facts (the path to LMX) under their checks.
  const written = await emitReport(report, destinations, flags.verbose ? { ...ctx, facts } : ctx, { githubSummary: process.env.GITHUB_STEP_SUMMARY });
  for (const line of renderRuleProblems(report)) err(line);
  // An ignored pack or an expired suppression: said once on stderr (the entry point prints the queue).
  report.notices.forEach(noticeOnce);
  if (report.ruleProblems.length) err('opta: fix the rule files above (check them with: opta rules validate); the other rules ran.');
  setExit(written ? report.exitCode : 2);
}
