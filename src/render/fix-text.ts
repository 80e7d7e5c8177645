// Renders the fix plan (what each step would touch, which ask) and the fix summary (rule by rule: fixed / still failing / needs a person) as text.
import type { Kleur } from 'kleur';
import type { FixPlan, FixReport, PipelineRecord, RuleOutcomeName, StepRecord } from '../fix/fix-types.js';

type Paint = Pick<Kleur, 'green' | 'yellow' | 'red' | 'dim' | 'bold'>;
const id = (s: string) => s;
const PLAIN = { green: id, yellow: id, red: id, dim: id, bold: id } as unknown as Paint;

function stepLines(s: StepRecord, k: Paint): string[] {
  const tags = [s.action, s.asks ? 'asks' : '', s.undo ? 'undo' : ''].filter(Boolean).join(', ');
  const lines = [`    ${s.index}. ${s.title} ${k.dim(`[${tags}]`)}`];
  const at = '       ';
  if (!s.guard.held) return [...lines, `${at}skipped: its guard does not hold: ${s.guard.detail}`];
  if (s.plan.nothingToDo) lines.push(`${at}nothing to do now: ${s.plan.nothingToDo}`);
  for (const f of s.plan.files) lines.push(`${at}${f.path}: ${f.change}`);
  for (const p of s.plan.pids) lines.push(`${at}pid ${p.pid}${p.command ? ` (${p.command})` : ''}: ${p.signal}`);
  for (const a of s.plan.leftAlone) lines.push(`${at}left alone: pid ${a.pid}${a.command ? ` (${a.command})` : ''}: ${a.reason}; to stop it yourself: ${k.bold(a.next)}`);
  return lines;
}

function pipelineLines(p: PipelineRecord, k: Paint): string[] {
  const head = `  ${k.bold(p.id)}: ${p.title} ${k.dim(`(repairs ${p.findings.join(', ')}; guide: ${p.guide})`)}`;
  return [head, ...p.steps.flatMap((s) => stepLines(s, k))];
}

export function renderPlan(plan: FixPlan, kleur?: Kleur, heading = 'Plan:'): string {
  const k: Paint = kleur ?? PLAIN;
  const lines = ['', heading];
  if (!plan.pipelines.length) lines.push('  no pipeline applies');
  for (const p of plan.pipelines) lines.push(...pipelineLines(p, k));
  if (plan.needsPerson.length) {
    lines.push('  Needs a person (no pipeline repairs these):');
    for (const n of plan.needsPerson) lines.push(`    ${n.id}: ${n.message}`, `      next: ${k.bold(n.next)}`);
  }
  return lines.join('\n') + '\n';
}

const LABEL: Record<RuleOutcomeName, string> = {
  fixed: 'fixed',
  'still-failing': 'still failing',
  'needs-person': 'needs a person',
  'needs-confirmation': 'needs confirmation',
  appeared: 'appeared',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function finalLine(r: FixReport): string {
  if (r.interrupted) return 'Interrupted (Ctrl-C): no step was started after it, and a pipeline cut short was rolled back. See where things stand: opta doctor';
  if (r.plan.problems.length) return 'opta doctor --fix could not run: the fix pipeline files above are broken. Check them: opta rules validate --kind fixes';
  const before = r.before?.findings ?? [];
  if (!before.length) return 'Nothing to fix: all checks passed.';
  if (!r.plan.pipelines.length) return `Nothing opta can fix here: ${plural(before.length, 'problem')} need${before.length === 1 ? 's' : ''} a person (the commands are above).`;
  const fixed = r.rules.filter((x) => x.outcome === 'fixed').map((x) => x.id);
  const left = r.rules.filter((x) => x.outcome !== 'fixed');
  if (r.exitCode === 0) {
    const warn = left.filter((x) => x.severity === 'warn').length;
    return `Fixed and re-verified: ${fixed.join(', ') || 'nothing needed fixing'}.${warn ? ` ${plural(warn, 'warning')} left (see above).` : ' All checks passed.'}`;
  }
  const counts = (Object.keys(LABEL) as RuleOutcomeName[])
    .filter((o) => o !== 'fixed')
    .map((o) => [o, left.filter((x) => x.outcome === o).length] as const)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${n} ${LABEL[o]}`);
  return `${fixed.length ? `Fixed and re-verified: ${fixed.join(', ')}. ` : ''}Not fixed: ${counts.join(', ')}.`;
}

export function renderFixSummary(r: FixReport, kleur?: Kleur): string {
  const k: Paint = kleur ?? PLAIN;
  const lines: string[] = [];
  for (const p of r.plan.problems) lines.push(`opta: fix pipeline problem: ${p.file} at ${p.jsonPath}: ${p.message}`);
  if (r.rules.length) {
    lines.push('Result, rule by rule:');
    const paint = (o: RuleOutcomeName) => (o === 'fixed' ? k.green : o === 'needs-confirmation' || o === 'needs-person' ? k.yellow : k.red);
    for (const x of r.rules) {
      lines.push(`  ${paint(x.outcome)(LABEL[x.outcome].padEnd(20))}${x.id}${x.outcome === 'fixed' ? '' : `: ${x.message}`}`);
      if (x.next) lines.push(`  ${' '.repeat(20)}next: ${k.bold(x.next)}`);
    }
  }
  const failed = r.plan.pipelines.filter((p) => p.status === 'failed' || p.status === 'rolled-back');
  for (const p of failed) {
    lines.push(`${p.id} ${p.status === 'rolled-back' ? 'failed and was rolled back' : 'failed'}: ${p.error}`);
    for (const s of p.steps.filter((x) => x.undone)) lines.push(`  undone: ${s.title}: ${s.undone!.message}`);
  }
  if (r.reset.offered && !r.reset.ran) lines.push(`Reset Everything was not run: ${r.reset.reason}`);
  lines.push(finalLine(r));
  return '\n' + lines.join('\n') + '\n';
}
