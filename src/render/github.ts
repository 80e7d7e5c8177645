// Renders a doctor report for GitHub Actions: workflow commands (::error/::warning/::notice) and a Markdown job summary.
import type { CheckResult, DoctorReport, Finding } from '../doctor/report-types.js';
import { renderText, summaryLine } from './text.js';

/** A command's message (GitHub's escapeData): only these three would end or corrupt the command. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A command's property value (GitHub's escapeProperty): also ':' and ',', which separate properties. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function workflowCommand(command: 'error' | 'warning' | 'notice', properties: Record<string, string>, message: string): string {
  const props = Object.entries(properties).map(([k, v]) => `${k}=${escapeProperty(v)}`).join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

const COMMAND = { error: 'error', warn: 'warning', info: 'notice' } as const;

/**
 * The plain text report for the job log, then one annotation per finding (its severity's level, whatever --strict
 * says: the exit code is what fails the job), one per broken rule file, and a ::notice with the summary line.
 * Messages keep their line breaks (escaped).
 */
export function renderGithub(report: DoctorReport): string {
  return renderText(report, {}) + renderGithubCommands(report);
}

/** The workflow commands alone. */
export function renderGithubCommands(report: DoctorReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(workflowCommand(COMMAND[f.severity], { title: `opta doctor: ${f.check}: ${f.id}` }, `${f.message}\nwhy: ${f.why}\nnext: ${f.remediation}`));
  }
  for (const s of report.suppressed ?? []) {
    lines.push(workflowCommand('notice', { title: `opta doctor: suppressed: ${s.id}` }, `${s.message}\nsuppressed until ${s.suppression.until}: ${s.suppression.reason} (${s.suppression.file})`));
  }
  for (const n of report.notices ?? []) lines.push(workflowCommand('warning', { title: 'opta doctor' }, n));
  for (const p of report.ruleProblems) {
    lines.push(workflowCommand('error', { title: 'opta doctor: invalid rule file' }, `rule file ${p.file} is invalid at ${p.jsonPath}: ${p.message}\nnext: opta rules validate`));
  }
  lines.push(workflowCommand('notice', { title: 'opta doctor' }, summaryLine(report)));
  return lines.join('\n') + '\n';
}

const ICON: Record<CheckResult['status'], string> = {
  ok: '✅ ok',
  info: 'ℹ️ info',
  warn: '⚠️ warning',
  error: '❌ error',
  skipped: '⏭️ skipped',
  'not-checked': '❓ not checked',
};

/** A table cell: no pipe or line break may end it early, no HTML may open. */
function cell(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n|\r/g, '<br>');
}

/** A fenced block longer than any run of backticks inside it, so a command cannot close it. */
function fenced(s: string, lang = 'sh'): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${s}\n${fence}`;
}

function findingSection(f: Finding): string {
  return [`### ${cell(f.id)} (${f.severity})`, '', cell(f.message), '', `**why:** ${cell(f.why)}`, '', '**next:**', '', fenced(f.remediation), ''].join('\n');
}

/** The Markdown appended to $GITHUB_STEP_SUMMARY: the verdict, every check's line, then each finding in full. */
export function renderGithubSummary(report: DoctorReport): string {
  const lines = [`## opta doctor: ${cell(summaryLine(report))}`, '', '| check | status | result |', '| --- | --- | --- |'];
  for (const c of report.checks) lines.push(`| ${cell(c.label)} | ${ICON[c.status]} | ${cell(c.summary)} |`);
  lines.push('');
  for (const f of report.findings) lines.push(findingSection(f));
  for (const p of report.ruleProblems) lines.push(`- invalid rule file \`${cell(p.file)}\` at \`${cell(p.jsonPath)}\`: ${cell(p.message)}`);
  lines.push(`<sub>opta ${cell(report.tool.version)}, ${cell(report.home)}, ${report.durationMs} ms</sub>`, '');
  return lines.join('\n');
}
