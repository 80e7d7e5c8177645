// `opta doctor --explain RULE`: one doctor run, then why that rule fired or stayed quiet: its condition tree with each fact path's value and each comparison's result.
import { UsageError } from '../core/errors.js';
import type { FactValue } from '../facts/fact.js';
import { runDoctorStages } from './run.js';
import type { DoctorOptions } from './options.js';
import type { DoctorReport } from './report-types.js';
import type { RuleFile } from './rule-types.js';

export interface ExplainNode {
  /** all | any | not, or a leaf. */
  kind: 'all' | 'any' | 'not' | 'leaf';
  result: boolean | null;
  fact?: string;
  path?: string | null;
  operator?: string;
  value?: unknown;
  /** What the fact path held in this run (undefined: the engine never evaluated this leaf). */
  factResult?: unknown;
  children?: ExplainNode[];
}

export interface Explanation {
  id: string;
  file: string;
  pack: string;
  fired: boolean;
  suppressed: boolean;
  tree: ExplainNode | null;
  rule: RuleFile;
  report: DoctorReport;
  facts: Record<string, FactValue>;
}

/** json-rules-engine's evaluated conditions as a tree (a leaf it short-circuited has no result). */
export function treeOf(cond: unknown): ExplainNode {
  const c = (cond ?? {}) as Record<string, unknown>;
  if (typeof c.fact === 'string') {
    return { kind: 'leaf', fact: c.fact, path: typeof c.path === 'string' ? c.path : null, operator: String(c.operator), value: c.value, result: 'result' in c ? c.result === true : null, ...('factResult' in c ? { factResult: c.factResult } : {}) };
  }
  for (const k of ['all', 'any'] as const) {
    if (Array.isArray(c[k])) {
      const children = (c[k] as unknown[]).map(treeOf);
      const known = children.filter((x) => x.result !== null);
      const result = k === 'all' ? (children.some((x) => x.result === false) ? false : known.length === children.length ? true : null) : children.some((x) => x.result === true) ? true : known.length === children.length ? false : null;
      return { kind: k, result, children };
    }
  }
  if (c.not) {
    const child = treeOf(c.not);
    return { kind: 'not', result: child.result === null ? null : !child.result, children: [child] };
  }
  return { kind: 'leaf', result: null };
}

export async function explainDoctor(opts: DoctorOptions, id: string): Promise<Explanation> {
  const s = await runDoctorStages(opts);
  const rule = s.collection.loaded.rules.find((r) => r.rule.event.params.id === id);
  if (!rule) throw new UsageError(`no doctor rule "${id}" in this run (opta rules list --kind doctor shows each id and its pack)`);
  const tree = s.evaluation.trees.get(rule.rule.name);
  return {
    id,
    file: rule.file,
    pack: s.collection.loaded.packs.get(id) ?? 'shipped',
    fired: s.evaluation.fired.some((f) => f.rule === rule),
    suppressed: s.capture.report.suppressed.some((x) => x.id === id),
    tree: tree === undefined ? null : treeOf(tree),
    rule: rule.rule,
    report: s.capture.report,
    facts: s.capture.facts,
  };
}
