// Renders `opta doctor --explain RULE`: whether the rule fired, its conditions as a tree with this run's fact values and each comparison's result, its check, its fix pipeline's plan now, and the guide section.
import { visible } from '../rules/language/escape.js';
import type { Explanation, ExplainNode } from '../doctor/explain.js';
import type { PipelineRecord } from '../fix/fix-types.js';

const MAX_VALUE = 200;

/** A value from a fact (text from outside): JSON, cut, escaped. */
function shown(v: unknown): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v);
  return visible(s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE)}…` : s);
}

const mark = (r: boolean | null) => (r === true ? 'true ' : r === false ? 'false' : 'n/a  ');

function lines(n: ExplainNode, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  if (n.kind !== 'leaf') {
    out.push(`${pad}${mark(n.result)} ${n.kind}:`);
    for (const c of n.children ?? []) lines(c, depth + 1, out);
    return;
  }
  const where = `${n.fact}${n.path ? ` ${n.path}` : ''}`;
  const held = 'factResult' in n ? `was ${shown(n.factResult)}` : 'not evaluated (the engine had its answer already)';
  out.push(`${pad}${mark(n.result)} ${where} ${held}; ${n.operator} ${shown(n.value)}`);
}

export function renderExplanation(e: Explanation, plan: PipelineRecord | null): string {
  const p = e.rule.event.params;
  const out: string[] = [];
  const verdict = e.fired ? (e.suppressed ? 'fired (suppressed)' : 'fired') : e.tree ? 'did not fire' : 'was not evaluated (the run ran out of time or a fact failed)';
  out.push(`Rule ${p.id} (${e.pack} pack, ${visible(e.file)}): ${verdict}`);
  out.push(`Check: ${p.check}, severity ${p.severity}`);
  out.push('Conditions (true/false: the result of each comparison in this run):');
  if (e.tree) lines(e.tree, 1, out);
  else out.push('  (no result from the engine)');
  const finding = [...e.report.findings, ...e.report.suppressed].find((f) => f.id === p.id);
  if (finding) {
    out.push(`Message: ${finding.message}`);
    out.push(`Next: ${finding.remediation}`);
  }
  if (p.fix) {
    out.push(`Repaired by: ${p.fix}${plan ? ` (${plan.title})` : ''}`);
    for (const s of plan?.steps ?? []) out.push(`  ${s.index}. ${s.action}: ${s.title}: ${s.guard.held ? s.plan.summary : `skipped by its guard${s.guard.detail ? ` (${s.guard.detail})` : ''}`}${s.asks && s.guard.held ? ' [asks]' : ''}`);
  } else out.push('Repaired by: no fix pipeline');
  out.push(`Guide: the "${p.guide}" section of the troubleshooting guide`);
  return out.join('\n') + '\n';
}
