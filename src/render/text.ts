// Renders a doctor report as text exactly like the guide: "Checking daemon...        ● running (pid 12345, port 9999)".
import type { Kleur } from 'kleur';
import type { CheckResult, DoctorReport, Finding } from '../doctor/report-types.js';
import { pathTable } from './path-table.js';

/** Facts that --verbose shows as a table under each check that used them, healthy or not. */
const FACT_TABLES: Record<string, (v: Record<string, unknown>) => string[]> = { 'lmx-path': pathTable };

export const LABEL_WIDTH = 26;
const INDENT = ' '.repeat(LABEL_WIDTH + 2);

export interface TextOptions {
  /** kleur with the CLI's colour decision applied, or undefined for plain text (kleur is then not even loaded). */
  kleur?: Kleur;
  verbose?: boolean;
  /** The run's fact values (with --verbose: the tables of FACT_TABLES). */
  facts?: Record<string, Record<string, unknown>>;
}

type Paint = Pick<Kleur, 'green' | 'yellow' | 'red' | 'dim' | 'bold'>;
const id = (s: string) => s;
const PLAIN = { green: id, yellow: id, red: id, dim: id, bold: id } as unknown as Paint;

function dot(status: CheckResult['status'] | Finding['severity'], k: Paint): string {
  if (status === 'ok' || status === 'info') return k.green('●');
  if (status === 'warn' || status === 'skipped') return k.yellow('●');
  return k.red('●');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Which checks get a line: the guide's five always; extras only when they have something to say (or --verbose). */
export function visibleChecks(report: DoctorReport, verbose = false): CheckResult[] {
  return report.checks.filter((c) => verbose || c.core || c.status !== 'ok');
}

export function summaryLine(report: DoctorReport): string {
  const { errors, warnings } = report.counts;
  const problems = errors + warnings;
  // A check that could not run is not a pass (offline, a fact the bundle lacks; its rules report live failures).
  const notChecked = report.checks.filter((c) => c.status === 'not-checked').map((c) => c.id);
  // A broken rule file's rules did not run: the last line must never say all passed (the files are named on stderr).
  const broken = report.ruleProblems?.length ? new Set(report.ruleProblems.map((p) => p.file)).size : 0;
  const notRun = broken ? `${plural(broken, 'rule file')} could not be used, so not every rule ran (see the errors above)` : '';
  if (problems === 0 && broken) return `No problem found by the rules that ran, but ${notRun}.`;
  if (problems === 0 && notChecked.length) return `No problem found, but not all checks ran: ${notChecked.join(', ')} not checked.`;
  if (problems === 0) return 'All checks passed.';
  const parts = [errors && plural(errors, 'error'), warnings && plural(warnings, 'warning')].filter(Boolean).join(', ');
  const head = errors === 0 && !report.strict && !broken ? `All checks passed with ${parts}` : `${plural(problems, 'problem')} (${parts})`;
  const fixable = report.fixable;
  const tail =
    fixable.length === 0
      ? `opta doctor --fix cannot repair ${problems === 1 ? 'it; run the command shown' : 'any of them; run the commands shown'}.`
      : `opta doctor --fix can repair ${fixable.length === problems ? (problems === 1 ? 'it' : 'all of them') : `${fixable.length} of them`}: ${fixable.join(', ')}.`;
  return `${head}; ${tail}${broken ? ` And ${notRun}.` : ''}`;
}

export function renderText(report: DoctorReport, opts: TextOptions): string {
  const k: Paint = opts.kleur ?? PLAIN;
  const lines: string[] = [];
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  for (const c of visibleChecks(report, opts.verbose)) {
    const label = `Checking ${c.label}...`.padEnd(LABEL_WIDTH);
    const findings = c.findings.map((id) => byId.get(id)!).filter(Boolean);
    if (!findings.length) {
      lines.push(`${label}${dot(c.status, k)} ${c.summary}`);
    } else {
      findings.forEach((f, i) => {
        lines.push(`${i === 0 ? label : ' '.repeat(LABEL_WIDTH)}${dot(f.severity, k)} ${f.message}`);
        lines.push(`${INDENT}${k.dim('why:')}  ${f.why}`);
        lines.push(`${INDENT}${k.dim('next:')} ${k.bold(f.remediation)}`);
      });
    }
    // The log is evidence: under a check that fails; for one that passes (the stack recovered), only with --verbose.
    if (opts.verbose || c.status === 'error' || c.status === 'warn') for (const l of c.log ?? []) lines.push(`${INDENT}${k.dim('log:')}  ${l}`);
    if (opts.verbose) {
      const facts = c.facts.map((id) => {
        const r = report.facts.find((x) => x.id === id);
        if (!r) return id;
        const state = r.overridden ? 'given' : r.timedOut ? `timed out after ${r.timeoutMs} ms` : r.ok ? `${r.ms} ms` : `failed in ${r.ms} ms`;
        return `${id} (${state})`;
      });
      lines.push(`${INDENT}${k.dim('facts:')} ${facts.join(', ') || 'none'}; ready after ${c.ms} ms`);
      for (const id of c.facts) {
        const v = opts.facts?.[id];
        if (v && FACT_TABLES[id]) for (const row of FACT_TABLES[id](v)) lines.push(`${INDENT}${row}`);
      }
    }
  }
  if (opts.verbose) {
    for (const s of report.suppressed ?? []) lines.push(`${INDENT}suppressed: ${s.id} until ${s.suppression.until}: ${s.suppression.reason} (${s.message})`);
    lines.push('');
    lines.push(
      `Rules: ${report.rules.selected} of ${report.rules.loaded} selected, ${report.rules.validatedNow} validated now (the rest were validated at build time). ` +
        `Facts: ${report.facts.length} collected. Took ${report.durationMs} ms (deadline ${report.deadlineMs} ms).`,
    );
  }
  lines.push('');
  lines.push(summaryLine(report));
  return lines.join('\n') + '\n';
}

export function renderRuleProblems(report: Pick<DoctorReport, 'ruleProblems'>): string[] {
  return report.ruleProblems.map((p) => `opta: rule file ${p.file} is invalid at ${p.jsonPath}: ${p.message}`);
}
