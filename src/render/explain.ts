// Renders `--explain ID` (text and JSON): for a doctor rule whether it fired, its conditions as a tree with this run's fact values and each comparison's result, its check, its fix pipeline's plan now, the guide section; for a log pattern its regex, matched lines with values, near misses and the rules that read its count.
import { visible } from '../rules/language/escape.js';
import type { Explained, Explanation, ExplainNode, PatternExplanation } from '../doctor/explain.js';
import type { ExplainedFix } from '../fix/explain-plan.js';
import type { ExplainedLine } from '../logs/explain-pattern.js';

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

export function renderExplanation(e: Explanation, fix: ExplainedFix): string {
  const p = e.rule.event.params;
  const plan = fix.plan;
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
    out.push(`Repaired by: ${p.fix}${plan ? ` (${visible(plan.title)}; ${visible(plan.file)})` : ''}`);
    out.push(fix.offline ? "  its plan on the bundle's facts (guards only; nothing of this machine is probed):" : '  its plan now:');
    for (const s of plan?.steps ?? []) out.push(`  ${s.index}. ${s.action}: ${visible(s.title)}: ${s.guard.held ? visible(s.plan.summary) : `skipped by its guard${s.guard.detail ? ` (${visible(s.guard.detail)})` : ''}`}${s.asks && s.guard.held ? ' [asks]' : ''}`);
    if (fix.note) out.push(`  note: ${visible(fix.note)}`);
  } else out.push('Repaired by: no fix pipeline');
  out.push(`Guide: the "${visible(p.guide)}" section of the troubleshooting guide`);
  if (e.alsoPattern) out.push(`Also a log pattern of that id: --explain logs/${p.id}`);
  return out.join('\n') + '\n';
}

function lineText(l: ExplainedLine): string {
  const where = `${l.file}${l.line !== null ? `:${l.line}` : ''}`;
  // Values are escaped already (visible): quoted as they are, not through JSON.stringify (which would double a backslash).
  const vals = Object.entries(l.values).map(([k, v]) => `${k}="${v}"`);
  return `  ${where}: ${l.text}${vals.length ? `\n      values: ${vals.join(', ')}` : ''}${l.countedAs ? `\n      (matched, but its family counts it as ${l.countedAs})` : ''}`;
}

export function renderPatternExplanation(e: PatternExplanation): string {
  const p = e.pattern;
  const l = e.lines;
  const out: string[] = [];
  out.push(`Log pattern ${e.id} (${e.pack} pack, ${visible(e.file)}): ${l.matched.total} line${l.matched.total === 1 ? '' : 's'} matched in the current run`);
  out.push(`Regex: ${visible(p.regex)}`);
  out.push(`Levels: ${p.levels.join(', ')}; severity ${p.severity}; evidence for the ${p.check ?? 'logs'} check${p.family ? `; family ${p.family}${p.catchAll ? ' (its catch-all)' : ''}` : ''}`);
  const q = (x: string) => JSON.stringify(visible(x));
  const pre = l.shared ? `starts with ${q(l.shared)}` : l.prefixes ? `starts with ${l.prefixes.map(q).join(' or ')}` : l.literals ? `contains ${l.literals.map(q).join(' or ')}` : null;
  out.push(`Every match ${pre ?? 'has no literal part opta can name (so no near misses can be told apart)'}`);
  out.push(`Read: ${e.sources.length ? e.sources.map(visible).join(', ') : 'no daemon log'}; ${l.run ? `the current run begins at ${l.run.file}${l.run.line !== null ? `:${l.run.line}` : ''}${l.run.time ? ` (${l.run.time})` : ''}` : 'no "daemon started" line: all of it'}; ${l.lines} line${l.lines === 1 ? '' : 's'}`);
  out.push(`Count the doctor's rules saw: ${e.count ?? `none (the log analysis fact: ${visible(e.factError ?? 'no count')})`}`);
  const shown = (n: number, total: number) => (total > n ? `, the last ${n} shown` : '');
  out.push(`Matched (${l.matched.total}${shown(l.matched.shown.length, l.matched.total)}):`);
  if (!l.matched.shown.length) out.push('  (none)');
  for (const x of l.matched.shown) out.push(lineText(x));
  out.push(`Near misses: lines of its levels that share its literal part but did not count (${l.nearMisses.total}${shown(l.nearMisses.shown.length, l.nearMisses.total)}):`);
  if (!l.nearMisses.shown.length) out.push('  (none)');
  for (const x of l.nearMisses.shown) out.push(lineText(x));
  if (!e.consumers.length) out.push(`Doctor rules that read its count: none (its findings are evidence under the ${p.check ?? 'logs'} check)`);
  else {
    out.push('Doctor rules that read its count:');
    for (const c of e.consumers) {
      out.push(`  ${c.rule} (${c.pack} pack): ${c.fired ? (c.suppressed ? 'fired (suppressed)' : 'fired') : c.tree ? 'did not fire' : 'was not evaluated'}`);
      if (c.tree) lines(c.tree, 2, out);
    }
  }
  out.push(`Guide: the "${visible(p.guide)}" section of the troubleshooting guide`);
  return out.join('\n') + '\n';
}

/** The explanation as `--json` prints it: what the text says, without the whole report and facts. */
export function explanationJson(e: Explained, fix: ExplainedFix | null): unknown {
  if (e.kind === 'log-pattern') {
    const { pattern, ...rest } = e;
    return { ...rest, regex: pattern.regex, levels: pattern.levels, severity: pattern.severity, check: pattern.check, family: pattern.family ?? null, guide: pattern.guide };
  }
  const p = e.rule.event.params;
  const finding = [...e.report.findings, ...e.report.suppressed].find((f) => f.id === p.id);
  return {
    kind: 'rule',
    id: e.id,
    file: e.file,
    pack: e.pack,
    fired: e.fired,
    suppressed: e.suppressed,
    check: p.check,
    severity: p.severity,
    tree: e.tree,
    message: finding?.message ?? null,
    remediation: finding?.remediation ?? null,
    fix,
    guide: p.guide,
  };
}

export function renderExplained(e: Explained, fix: ExplainedFix | null): string {
  return e.kind === 'log-pattern' ? renderPatternExplanation(e) : renderExplanation(e, fix ?? { id: null, file: null, plan: null, note: null, offline: false });
}
