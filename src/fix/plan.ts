// Builds the fix plan from a doctor report: the pipelines its findings name, in order, each step's guard, whether it asks, and what it would touch.
import { actionById } from '../actions/registry.js';
import type { OptaPaths } from '../core/paths.js';
import { defaultPackOptions, loadPacked, type PackOptions } from '../rules/packs.js';
import type { DoctorReport } from '../doctor/report-types.js';
import { conditionFacts } from '../rules/language/condition.js';
import type { RuleProblem } from '../rules/rule-problem.js';
import type { FactValue } from '../facts/fact.js';
import { topUpFacts } from './facts.js';
import { fixesKind } from './kind.js';
import type { FixPlan, NeedsPerson, PipelineRecord, StepRecord } from './fix-types.js';
import { evaluateGuard } from './guard.js';
import type { PipelineFile } from './pipeline-schema.js';
import { byCodeUnit } from '../core/order.js';

export const RESET_PIPELINE = 'fix-reset';

export interface LoadedPipeline {
  file: string;
  pipeline: PipelineFile;
}

export interface Pipelines {
  byId: Map<string, LoadedPipeline>;
  problems: RuleProblem[];
}

/** Every pipeline of rules/fixes (or `dir`), validated through the generic loader (the build's manifest spares zod). */
export async function loadPipelines(dir?: string, packs: PackOptions = defaultPackOptions(process.env, dir)): Promise<Pipelines> {
  const r = await loadPacked<PipelineFile>(fixesKind, { ...packs, rulesDir: dir });
  return { byId: new Map(r.items.map((i) => [i.rule.id, { file: i.file, pipeline: i.rule }])), problems: r.problems };
}

/** Each step's guard on the facts (a step without one holds): which steps the plan would run. */
export function stepGuards(p: PipelineFile, facts: Record<string, FactValue>): Array<{ held: boolean; detail: string | null }> {
  return p.steps.map((s) => (s.when ? evaluateGuard(s.when, facts) : { held: true, detail: null }));
}

/** The steps of one pipeline, planned read-only: guards on the facts, then each action's own plan. */
export async function planPipeline(lp: LoadedPipeline, findings: string[], paths: OptaPaths, env: NodeJS.ProcessEnv, facts: Record<string, FactValue>): Promise<PipelineRecord> {
  const steps: StepRecord[] = [];
  const guards = stepGuards(lp.pipeline, facts);
  for (const [index, s] of lp.pipeline.steps.entries()) {
    const action = actionById(s.action)!;
    const guard = guards[index];
    const ctx = { paths, env, args: s.args ?? {} };
    const plan = guard.held ? await action.plan(ctx) : { summary: 'skipped by its guard', files: [], pids: [], leftAlone: [], nothingToDo: guard.detail ?? undefined };
    steps.push({
      index: index + 1,
      action: s.action,
      title: s.title,
      args: s.args ?? {},
      asks: !action.safe || s.confirm === true,
      undo: s.undo === true && Boolean(action.undo),
      guard,
      plan,
      status: 'planned',
      message: null,
      undone: null,
    });
  }
  const p = lp.pipeline;
  // A step held back by its guard does not ask; a pipeline asks when a step that would run does.
  const asks = steps.some((s) => s.asks && s.guard.held);
  return { id: p.id, title: p.title, guide: p.guide, file: lp.file, repairs: p.repairs, findings, asks, status: 'planned', error: null, steps };
}

/** Guard facts the chosen pipelines need (collected now if the doctor run did not). */
export function guardFacts(list: LoadedPipeline[]): string[] {
  return [...new Set(list.flatMap((lp) => lp.pipeline.steps.flatMap((s) => (s.when ? [...conditionFacts(s.when)] : []))))];
}

/** Which pipelines the findings name, in the order they run; findings without one need a person. */
export async function buildPlan(
  report: DoctorReport,
  factValues: Record<string, FactValue>,
  pipelines: Pipelines,
  paths: OptaPaths,
  env: NodeJS.ProcessEnv,
): Promise<{ plan: FixPlan; facts: Record<string, FactValue> }> {
  const chosen = new Map<string, { lp: LoadedPipeline; findings: string[] }>();
  const needsPerson: NeedsPerson[] = [];
  const problems = [...pipelines.problems];
  for (const f of report.findings) {
    const lp = f.fix ? pipelines.byId.get(f.fix) : undefined;
    if (f.fix && !lp && !pipelines.problems.length) {
      problems.push({ file: f.ruleFile, jsonPath: '$.event.params.fix', message: `names fix pipeline "${f.fix}", which does not exist in rules/fixes` });
    }
    // A pipeline runs only for the rules it says it repairs: a rule naming another's pipeline (fix-reset, say) is a
    // problem and a finding for a person, never a reason to run it (the loader checks the same of --rules files).
    if (lp && !lp.pipeline.repairs.includes(f.id)) {
      problems.push({ file: f.ruleFile, jsonPath: '$.event.params.fix', message: `names fix pipeline "${f.fix}", which does not repair "${f.id}" (its repairs: ${lp.pipeline.repairs.join(', ')})` });
      needsPerson.push({ id: f.id, severity: f.severity, message: f.message, next: f.remediation, why: f.why });
      continue;
    }
    if (!lp) {
      needsPerson.push({ id: f.id, severity: f.severity, message: f.message, next: f.remediation, why: f.why });
      continue;
    }
    const entry = chosen.get(lp.pipeline.id) ?? { lp, findings: [] };
    entry.findings.push(f.id);
    chosen.set(lp.pipeline.id, entry);
  }
  const ordered = [...chosen.values()].sort((a, b) => (a.lp.pipeline.order ?? 50) - (b.lp.pipeline.order ?? 50) || byCodeUnit(a.lp.pipeline.id, b.lp.pipeline.id));
  const facts = await topUpFacts(paths, env, factValues, guardFacts(ordered.map((c) => c.lp)));
  const planned: PipelineRecord[] = [];
  for (const c of ordered) planned.push(await planPipeline(c.lp, c.findings, paths, env, facts));
  return { plan: { pipelines: planned, needsPerson, problems }, facts };
}
