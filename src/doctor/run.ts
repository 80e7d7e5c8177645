// Runs the doctor in three stages: collect (facts, rules, deadline) -> evaluate (json-rules-engine) -> assemble (pure).
import { displayPath } from '../core/paths.js';
import { assemble } from './assemble.js';
import { collect, collectRest, gather, type Collection } from './collect.js';
import { evaluate, type Evaluation } from './evaluate.js';
import type { DoctorCapture, DoctorOptions } from './options.js';
import type { DoctorReport } from './report-types.js';

export { DEFAULT_DEADLINE_MS, type DoctorCapture, type DoctorOptions } from './options.js';
export { selectRules } from './select.js';

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  return (await runDoctorCapture(opts)).report;
}

export async function runDoctorCapture(opts: DoctorOptions): Promise<DoctorCapture> {
  return (await runDoctorStages(opts)).capture;
}

/** The run's stages and what each left (`opta doctor --explain` reads the rules loaded and the engine's trees). */
export async function runDoctorStages(opts: DoctorOptions): Promise<{ capture: DoctorCapture; collection: Collection; evaluation: Evaluation }> {
  const c = await collect(opts);
  const evaluation = await evaluate(c);
  const { deadlineReached, fired, notFired } = evaluation;
  const g = await gather(
    c,
    fired.map((f) => f.rule),
    deadlineReached,
    opts.collectFacts,
  );
  const report = assemble(
    {
      selected: c.selected,
      fired,
      notFired,
      records: c.store.records(),
      factChecks: c.factChecks,
      values: g.values,
      logEvidence: g.logEvidence,
      ruleProblems: [...c.loaded.problems, ...c.suppressions.problems, ...g.patternProblems],
      strict: Boolean(opts.strict),
      notices: c.loaded.notices,
      suppressions: c.suppressions.entries,
    },
    {
      home: displayPath(opts.paths.home, opts.env ?? process.env),
      startedAt: c.started,
      durationMs: Date.now() - c.started,
      deadlineMs: c.deadlineMs,
      deadlineReached,
      loaded: c.loaded.rules.length,
      validatedNow: c.loaded.validatedNow,
    },
  );
  // After the report, so it says exactly what `opta doctor` would; fact-failures is already cached.
  if (opts.collectAll && !deadlineReached) await collectRest(c, g.values);
  return { capture: { report, facts: g.values }, collection: c, evaluation };
}
