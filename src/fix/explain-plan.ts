// The fix pipeline a doctor rule names, planned for `--explain`: live (guards on this run's facts, topped up, and each action's plan now) or offline (a bundle's facts: guards only).
import { ACTION_CATALOG, type ActionInfo } from '../actions/catalog.js';
import type { OptaPaths } from '../core/paths.js';
import type { FactValue } from '../facts/fact.js';
import type { PipelineRecord } from './fix-types.js';
import { evaluateGuard } from './guard.js';
import { topUpFacts } from './facts.js';
import { guardFacts, loadPipelines, planPipeline } from './plan.js';

/** An action's catalog entry by the id a pipeline names (validated at load: it is one of the catalog's). */
const info = (id: string): ActionInfo => (ACTION_CATALOG as Record<string, ActionInfo>)[id];

export interface ExplainedFix {
  /** The pipeline id the rule names (null: none). */
  id: string | null;
  /** The pipeline's file (null when it could not be found). */
  file: string | null;
  plan: PipelineRecord | null;
  /** Why there is no plan, or what to know about it (a pipeline that does not repair this rule). */
  note: string | null;
  /** The steps' actions were not planned: the facts are a bundle's, and this machine is not the bundle's. */
  offline: boolean;
}

/**
 * `facts` are the run's; a live plan collects the guard facts the doctor did not need (as `opta doctor --fix` does)
 * and asks each action what it would touch now. The pipeline comes from the same layered packs as --fix (a trusted
 * project pack's pipeline too).
 */
export async function explainFix(ruleId: string, fix: string | null, facts: Record<string, FactValue>, ctx: { paths: OptaPaths; env: NodeJS.ProcessEnv; offline: boolean }): Promise<ExplainedFix> {
  if (!fix) return { id: null, file: null, plan: null, note: null, offline: ctx.offline };
  const lp = (await loadPipelines()).byId.get(fix);
  if (!lp) return { id: fix, file: null, plan: null, note: `no fix pipeline "${fix}" is loaded (opta rules list --kind fixes)`, offline: ctx.offline };
  const note = lp.pipeline.repairs.includes(ruleId) ? null : `${fix} does not list ${ruleId} among the rules it repairs (${lp.pipeline.repairs.join(', ')}): opta doctor --fix leaves this finding to a person`;
  if (ctx.offline) {
    // Nothing of this machine is probed for a bundle: each step's guard on the bundle's facts, no action's plan.
    const steps = lp.pipeline.steps.map((s, i) => {
      const guard = s.when ? evaluateGuard(s.when, facts) : { held: true, detail: null };
      return {
        index: i + 1,
        action: s.action,
        title: s.title,
        args: s.args ?? {},
        asks: !info(s.action).safe || s.confirm === true,
        undo: s.undo === true && info(s.action).undo,
        guard,
        plan: { summary: guard.held ? 'would run (not planned: the facts are the bundle machine\'s)' : 'skipped by its guard', files: [], pids: [], leftAlone: [] },
        status: 'planned' as const,
        message: null,
        undone: null,
      };
    });
    const plan: PipelineRecord = { id: lp.pipeline.id, title: lp.pipeline.title, guide: lp.pipeline.guide, file: lp.file, repairs: lp.pipeline.repairs, findings: [ruleId], asks: steps.some((x) => x.asks && x.guard.held), status: 'planned', error: null, steps };
    return { id: fix, file: lp.file, plan, note, offline: true };
  }
  const all = await topUpFacts(ctx.paths, ctx.env, facts, guardFacts([lp]));
  return { id: fix, file: lp.file, plan: await planPipeline(lp, [ruleId], ctx.paths, ctx.env, all), note, offline: false };
}
