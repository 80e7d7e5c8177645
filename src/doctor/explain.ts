// `opta doctor --explain ID`: one doctor run, then why a rule fired or stayed quiet (its condition tree with each fact path's value and each comparison's result), or what a log pattern matched in the run.
import { UsageError } from '../core/errors.js';
import { visible } from '../rules/language/escape.js';
import { LOG_ANALYSIS_FACT } from '../facts/daemon-log-analysis.js';
import type { FactValue } from '../facts/fact.js';
import type { LogText, PatternLines } from '../logs/explain-pattern.js';
import type { LogPattern } from '../logs/pattern-schema.js';
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
  kind: 'rule';
  id: string;
  file: string;
  pack: string;
  fired: boolean;
  suppressed: boolean;
  tree: ExplainNode | null;
  rule: RuleFile;
  report: DoctorReport;
  facts: Record<string, FactValue>;
  /** The id also names a log pattern (shown by --explain logs/ID). */
  alsoPattern: boolean;
}

/** A doctor rule that reads a log pattern's count (or its family's), whether it fired, and its condition tree. */
export interface Consumer {
  rule: string;
  file: string;
  pack: string;
  fired: boolean;
  suppressed: boolean;
  tree: ExplainNode | null;
}

export interface PatternExplanation {
  kind: 'log-pattern';
  id: string;
  file: string;
  pack: string;
  pattern: LogPattern;
  /** The count the doctor's rules saw (the daemon-log-analysis fact), null when that fact has no count for it. */
  count: number | null;
  /** Why the fact has no count, when it failed or is missing (a bundle without it). */
  factError: string | null;
  /** Where the lines came from (files, or the bundle's log section). */
  sources: string[];
  lines: PatternLines;
  consumers: Consumer[];
}

export type Explained = Explanation | PatternExplanation;

/** Where an explanation's log lines come from: the daemon's log on this machine, or a bundle's log section. */
export type LogSource = () => LogText[];

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

/** Whether a condition tree reads a path of the log analysis fact that one of `paths` begins. */
function reads(cond: unknown, heads: string[]): boolean {
  const c = (cond ?? {}) as Record<string, unknown>;
  if (typeof c.fact === 'string') return c.fact === LOG_ANALYSIS_FACT && typeof c.path === 'string' && heads.some((h) => c.path === h || (c.path as string).startsWith(`${h}.`));
  for (const k of ['all', 'any'] as const) if (Array.isArray(c[k])) return (c[k] as unknown[]).some((x) => reads(x, heads));
  return c.not !== undefined && reads(c.not, heads);
}

/**
 * `ID` is a doctor rule id or a log pattern id; `doctor/ID` and `logs/ID` say which when one id names both. The
 * doctor runs once (its facts: this machine's, or a bundle's through `opts.overrides`); `log` gives the log lines.
 */
export async function explainDoctor(opts: DoctorOptions, asked: string, log: LogSource = () => []): Promise<Explained> {
  const m = /^(doctor|logs)\/(.+)$/.exec(asked);
  const id = m ? m[2] : asked;
  const [{ loadPatterns }, { loadPacked, defaultPackOptions }, { logsKind }] = await Promise.all([import('../logs/patterns.js'), import('../rules/packs.js'), import('../logs/kind.js')]);
  const patterns = (await loadPatterns()).patterns;
  const pattern = m?.[1] === 'doctor' ? undefined : patterns.find((p) => p.id === id);
  const s = await runDoctorStages({ ...opts, collectFacts: [...(opts.collectFacts ?? []), ...(pattern ? [LOG_ANALYSIS_FACT] : [])] });
  const rule = m?.[1] === 'logs' ? undefined : s.collection.loaded.rules.find((r) => r.rule.event.params.id === id);
  const packOf = (ruleId: string) => s.collection.loaded.packs.get(ruleId) ?? 'shipped';
  const suppressed = (ruleId: string) => s.capture.report.suppressed.some((x) => x.id === ruleId);
  if (!rule && pattern) {
    const packed = await loadPacked<LogPattern>(logsKind, defaultPackOptions(process.env));
    const item = packed.items.find((x) => x.rule.id === id);
    const { patternLines } = await import('../logs/explain-pattern.js');
    const texts = log();
    const fact = s.capture.facts[LOG_ANALYSIS_FACT] as { ok?: boolean; error?: string; patterns?: Record<string, { count?: unknown }> } | undefined;
    const count = fact?.patterns?.[id]?.count;
    const heads = [`$.patterns.${id}`, ...(pattern.family ? [`$.families.${pattern.family}`] : [])];
    return {
      kind: 'log-pattern',
      id,
      file: item?.file ?? '',
      pack: item?.pack ?? 'shipped',
      pattern,
      count: typeof count === 'number' ? count : fact && fact.ok !== false && fact.patterns ? 0 : null,
      factError: fact === undefined ? 'not collected' : fact.ok === false ? String(fact.error ?? 'failed') : null,
      sources: texts.map((t) => t.display),
      lines: patternLines(texts, patterns, id),
      consumers: s.collection.loaded.rules
        .filter((r) => reads(r.rule.conditions, heads))
        .map((r) => {
          const tree = s.evaluation.trees.get(r.rule.name);
          const rid = r.rule.event.params.id;
          return { rule: rid, file: r.file, pack: packOf(rid), fired: s.evaluation.fired.some((f) => f.rule === r), suppressed: suppressed(rid), tree: tree === undefined ? null : treeOf(tree) };
        }),
    };
  }
  if (!rule) throw new UsageError(`no doctor rule or log pattern "${visible(id)}" in this run: opta rules list shows each rule's id and its pack (opta rules list --kind doctor, --kind logs)`);
  const tree = s.evaluation.trees.get(rule.rule.name);
  return {
    kind: 'rule',
    alsoPattern: m === null && patterns.some((p) => p.id === id),
    id,
    file: rule.file,
    pack: packOf(id),
    fired: s.evaluation.fired.some((f) => f.rule === rule),
    suppressed: suppressed(id),
    tree: tree === undefined ? null : treeOf(tree),
    rule: rule.rule,
    report: s.capture.report,
    facts: s.capture.facts,
  };
}
