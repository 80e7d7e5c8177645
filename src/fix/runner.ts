// `opta doctor --fix` as a closed loop: diagnose, plan, ask once, run the pipelines, diagnose again on fresh facts, and say rule by rule what holds.
import type { Kleur } from 'kleur';
import { OptaError } from '../core/errors.js';
import type { OptaPaths } from '../core/paths.js';
import { runDoctorCapture, type DoctorCapture, type DoctorOptions } from '../doctor/run.js';
import type { DoctorReport } from '../doctor/report-types.js';
import { blockedStep, executePipelines, type RendererName } from './execute.js';
import { FIX_REPORT_SCHEMA_VERSION, type FixPlan, type FixReport, type PipelineRecord } from './fix-types.js';
import { busy, takeFixLock } from './fix-lock.js';
import { ruleOutcomes } from './outcomes.js';
import { buildPlan, loadPipelines, planPipeline, RESET_PIPELINE, type Pipelines } from './plan.js';

/**
 * How the runner talks to a person: it hands over what happened (reports, the plan, the summary) and the adapter
 * renders it (render/fix-ui.ts writes text); a JSON run shows nothing and asks nothing.
 */
export interface FixUi {
  /** A doctor report: before the fix, after it, or the one that calls for Reset Everything (`verbose` off there). */
  report(report: DoctorReport, verbose: boolean): void;
  /** What would run; `heading` replaces the plan's usual heading. */
  plan(plan: FixPlan, heading?: string): void;
  /** The outcome, rule by rule. */
  summary(report: FixReport): void;
  /** A line of its own ("Fixing:", "Dry run: nothing was changed."). */
  say(text: string): void;
  /** Asks a yes/no question on a terminal; absent when there is none (or CI), so nothing ever waits for input. */
  confirm?(question: string): Promise<boolean>;
}

export interface FixOptions {
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  doctor: Pick<DoctorOptions, 'rulesDir' | 'only' | 'skip' | 'strict' | 'deadlineMs'>;
  yes: boolean;
  dryRun: boolean;
  ui: FixUi;
  renderer: RendererName;
  color: boolean;
  /** For the plain progress lines of the steps (listr2); the reports' colour is the ui's. */
  kleur?: Kleur;
  verbose?: boolean;
  stdout?: import('node:stream').Writable;
  stderr?: import('node:stream').Writable;
  signal?: AbortSignal;
  /** Another directory of pipelines (tests). */
  fixesDir?: string;
  /** Called after the pipelines ran and before the doctor runs again (tests make a fault come back here). */
  beforeRecheck?: () => Promise<void>;
}

const DAEMON_CHECK = 'daemon';

/** Shows nothing (a JSON run, the support bundle's plan). */
export const SILENT: FixUi = { report: () => undefined, plan: () => undefined, summary: () => undefined, say: () => undefined };

function doctorOpts(o: FixOptions): DoctorOptions {
  return { paths: o.paths, env: o.env, ...o.doctor };
}

/** Asks once for every step that needs a yes, after the plan was shown. */
async function consent(o: FixOptions, question: string): Promise<FixReport['confirmation']['given']> {
  if (o.yes) return 'yes-flag';
  if (!o.ui.confirm) return 'no-terminal';
  return (await o.ui.confirm(question)) ? 'terminal' : 'declined';
}

function declined(p: PipelineRecord, given: FixReport['confirmation']['given']): void {
  p.status = 'needs-confirmation';
  p.error =
    given === 'declined'
      ? 'needs confirmation: you said no'
      : 'needs confirmation: run opta doctor --fix --yes, or opta doctor --fix on a terminal';
  for (const s of p.steps) if (s.guard.held) s.status = 'needs-confirmation';
}

async function withLock<T>(o: FixOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await takeFixLock(o.paths);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

export async function runFix(o: FixOptions): Promise<FixReport> {
  const pipelines = await loadPipelines(o.fixesDir);
  if (o.dryRun) return dryRun(o, pipelines);
  // Say at once when another fix runs; the lock itself is taken after the diagnosis, which must see the home as it
  // is (taking it creates daemon/, which would hide a missing daemon/ from the doctor).
  busy(o.paths);
  return fix(o, pipelines);
}

/** The plan and not one byte changed: no lock, no step; exit as the doctor would. */
async function dryRun(o: FixOptions, pipelines: Pipelines): Promise<FixReport> {
  const { report, facts: factValues } = await runDoctorCapture(doctorOpts(o));
  o.ui.report(report, Boolean(o.verbose));
  const { plan } = await buildPlan(report, factValues, pipelines, o.paths, o.env);
  o.ui.plan(plan);
  o.ui.say('Dry run: nothing was changed.');
  const exitCode = plan.problems.length ? 2 : report.exitCode;
  return { schemaVersion: FIX_REPORT_SCHEMA_VERSION, mode: 'dry-run', before: report, plan, confirmation: { needed: plan.pipelines.some((p) => p.asks), given: 'not-needed' }, reset: { offered: false, ran: false, reason: null }, after: null, rules: [], interrupted: false, exitCode };
}

/** The plan as JSON without changing anything (the support bundle includes it). */
export async function fixPlanJson(paths: OptaPaths, env: NodeJS.ProcessEnv, doctor: FixOptions['doctor'] = {}): Promise<FixReport> {
  return dryRun({ paths, env, doctor, yes: false, dryRun: true, ui: SILENT, renderer: 'silent', color: false }, await loadPipelines());
}

async function fix(o: FixOptions, pipelines: Pipelines): Promise<FixReport> {
  const first = await runDoctorCapture(doctorOpts(o));
  const lock = await takeFixLock(o.paths);
  try {
    return await fixLocked(o, pipelines, first);
  } finally {
    lock.release();
  }
}

async function fixLocked(o: FixOptions, pipelines: Pipelines, first: DoctorCapture): Promise<FixReport> {
  const before = first.report;
  o.ui.report(before, Boolean(o.verbose));
  const { plan, facts } = await buildPlan(before, first.facts, pipelines, o.paths, o.env);
  const report: FixReport = {
    schemaVersion: FIX_REPORT_SCHEMA_VERSION,
    mode: 'fix',
    before,
    plan,
    confirmation: { needed: false, given: 'not-needed' },
    reset: { offered: false, ran: false, reason: null },
    after: null,
    rules: [],
    interrupted: false,
    exitCode: 0,
  };
  if (plan.problems.length) {
    report.exitCode = 2;
    o.ui.summary(report);
    return report;
  }
  if (!plan.pipelines.length) {
    // Nothing opta can repair: a second --fix in a row ends here.
    report.after = before;
    report.rules = ruleOutcomes(before, before, []);
    report.exitCode = before.exitCode;
    o.ui.summary(report);
    return report;
  }
  o.ui.plan(plan);

  const asking = plan.pipelines.filter((p) => p.asks);
  if (asking.length) {
    report.confirmation.needed = true;
    const steps = asking.flatMap((p) => p.steps.filter((s) => s.asks && s.guard.held));
    report.confirmation.given = await consent(o, `${steps.length} step(s) marked "asks" above stop a process, cancel a turn, change config or delete files. Run them?`);
    // Ctrl-C at the question: nothing starts, not even the safe steps.
    if (o.signal?.aborted) return interrupted(o, report);
    if (report.confirmation.given === 'declined' || report.confirmation.given === 'no-terminal') for (const p of asking) declined(p, report.confirmation.given);
  }
  await keepCrashReportFirst(o, first);
  o.ui.say('Fixing:');
  await executePipelines(plan.pipelines, execOpts(o));
  if (o.signal?.aborted) return interrupted(o, report);

  await o.beforeRecheck?.();
  let after = (await runDoctorCapture(doctorOpts(o))).report;

  // The guide: "If targeted remediation fails, run a controlled full daemon reset."
  const targetedDaemon = plan.pipelines.some((p) => p.status !== 'needs-confirmation' && p.findings.some((id) => before.findings.find((f) => f.id === id)?.check === DAEMON_CHECK));
  const daemonFails = after.findings.some((f) => f.check === DAEMON_CHECK && f.severity === 'error');
  const resetPipeline = pipelines.byId.get(RESET_PIPELINE);
  if (targetedDaemon && daemonFails && resetPipeline && !plan.pipelines.some((p) => p.id === RESET_PIPELINE)) {
    report.reset.offered = true;
    const reset = await planPipeline(resetPipeline, ['escalation'], o.paths, o.env, facts);
    // A reset that could not succeed (its start blocked by config.json or the disk) is neither shown as a way out nor asked for.
    const blocked = await blockedStep(reset, { paths: o.paths, env: o.env });
    if (blocked) report.reset.reason = `it could not succeed now (${blocked.step.title}: ${blocked.why})`;
    else after = await escalate(o, report, plan, reset, after);
    if (o.signal?.aborted) return interrupted(o, report);
  }
  return finish(o, report, before, after, plan);
}

/**
 * The daemon died without stopping: keep its crash report, with the facts this run's doctor just collected, before a
 * pipeline sets the stale state aside (once per run: a report the guardian or `daemon status` kept stands).
 */
async function keepCrashReportFirst(o: FixOptions, first: DoctorCapture): Promise<void> {
  if ((first.facts.daemon as { status?: unknown } | undefined)?.status !== 'stale') return;
  const [{ readStateLite }, { captureDeadRun, hasCrashReport, keepCrashReportSaying }] = await Promise.all([import('../core/state-lite.js'), import('../daemon/lifecycle/crash-report.js')]);
  const read = readStateLite(o.paths.stateFile);
  if (read.class !== 'valid' || hasCrashReport(o.paths, read.state)) return;
  const facts = first.facts;
  await keepCrashReportSaying(o.paths, captureDeadRun(o.paths, read.state), { foundBy: 'opta doctor --fix', env: o.env, facts: async () => facts }, (line) => o.ui.say(line.replace(/^opta: t/, 'T')));
}

/** Shows the Reset Everything plan, asks once, runs it; returns the doctor run that follows it (or `after` when it did not run). */
async function escalate(o: FixOptions, report: FixReport, plan: FixReport['plan'], reset: PipelineRecord, after: DoctorReport): Promise<DoctorReport> {
  o.ui.report(after, false);
  plan.pipelines.push(reset);
  o.ui.plan({ pipelines: [reset], needsPerson: [], problems: [] }, 'The daemon check still fails after the targeted fix; next step, the guide\'s Reset Everything (sessions/ is kept):');
  const given = await consent(o, 'Run Reset Everything now?');
  if (o.signal?.aborted) return after;
  if (given === 'yes-flag' || given === 'terminal') {
    await executePipelines([reset], execOpts(o));
    // Interrupted: the caller reports it without a re-check.
    if (o.signal?.aborted) return after;
    report.reset.ran = true;
    report.reset.reason = 'the daemon check still failed after the targeted pipelines';
    await o.beforeRecheck?.();
    return (await runDoctorCapture(doctorOpts(o))).report;
  }
  declined(reset, given);
  report.reset.reason = `${reset.error}; or run: opta daemon reset`;
  return after;
}

/** The fresh doctor run decides: rule by rule outcomes, the exit code, and the summary. */
function finish(o: FixOptions, report: FixReport, before: DoctorReport, after: DoctorReport, plan: FixReport['plan']): FixReport {
  report.after = after;
  report.rules = ruleOutcomes(before, after, plan.pipelines);
  report.exitCode = after.ruleProblems.length ? 2 : after.exitCode;
  o.ui.say('');
  o.ui.say('Re-checking on fresh facts:');
  o.ui.report(after, Boolean(o.verbose));
  o.ui.summary(report);
  return report;
}

function execOpts(o: FixOptions) {
  return { paths: o.paths, env: o.env, renderer: o.renderer, color: o.color, kleur: o.kleur, stdout: o.stdout, stderr: o.stderr, signal: o.signal };
}

function interrupted(o: FixOptions, report: FixReport): FixReport {
  report.interrupted = true;
  report.exitCode = 1;
  o.ui.summary(report);
  return report;
}

/** `opta daemon reset`: the Reset Everything pipeline through the same runner (the command itself is the yes). */
export async function runReset(o: Omit<FixOptions, 'doctor' | 'yes' | 'dryRun'>): Promise<FixReport> {
  const pipelines = await loadPipelines(o.fixesDir);
  const lp = pipelines.byId.get(RESET_PIPELINE);
  if (!lp) throw new OptaError(`the Reset Everything pipeline (rules/fixes/${RESET_PIPELINE}.json) is missing or invalid: ${pipelines.problems.map((p) => `${p.file}: ${p.jsonPath}: ${p.message}`).join('; ') || 'not found'}. Check: opta rules validate`, 2);
  return withLock({ ...o, doctor: {}, yes: true, dryRun: false }, async () => {
    const p = await planPipeline(lp, ['opta daemon reset'], o.paths, o.env, {});
    await executePipelines([p], execOpts({ ...o, doctor: {}, yes: true, dryRun: false }));
    const ok = p.status === 'done';
    return {
      schemaVersion: FIX_REPORT_SCHEMA_VERSION,
      mode: 'reset',
      before: null,
      plan: { pipelines: [p], needsPerson: [], problems: [] },
      confirmation: { needed: true, given: 'yes-flag' },
      reset: { offered: true, ran: true, reason: 'opta daemon reset' },
      after: null,
      rules: [],
      interrupted: Boolean(o.signal?.aborted),
      exitCode: ok && !o.signal?.aborted ? 0 : 1,
    };
  });
}
