// Renders a doctor report as JUnit XML (the Apache Ant schema, fixtures/schemas/JUnit.xsd): one testcase per rule that ran.
import type { DoctorReport, Finding, RuleRun } from '../doctor/report-types.js';
import { renderRuleProblems, renderText } from './text.js';

export interface JunitOptions {
  /** The schema requires a hostname; 'localhost' when none is given. */
  hostname?: string;
}

/**
 * XML 1.0 cannot carry these characters at all, not even as character references, and an LMX answer or a port
 * holder's command line can contain them: they are written as visible \xNN instead.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function clean(s: string): string {
  return s.replace(NOT_XML, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function xmlText(s: string): string {
  // \r as a reference: a parser would turn a literal one into \n.
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

export function xmlAttr(s: string): string {
  // Literal newlines and tabs in an attribute are normalised to spaces by every parser; references survive.
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function json(v: unknown): string {
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

/** The body of a <failure>: what, why, next, and the evidence the rule matched. */
function failureBody(f: Finding): string {
  const lines = [f.message, `why:  ${f.why}`, `next: ${f.remediation}`];
  if (f.evidence.length) {
    lines.push('evidence:');
    for (const e of f.evidence) lines.push(`  ${e.fact}${e.path ? ` ${e.path}` : ''} ${e.operator} ${json(e.value)}: was ${json(e.factResult)}`);
  }
  lines.push(`rule: ${f.ruleFile}`, `guide: ${f.guide}`);
  return lines.join('\n');
}

type Outcome = { kind: 'pass' } | { kind: 'failure' | 'error'; type: string; message: string; body: string } | { kind: 'skipped'; message: string };

/**
 * What one rule's testcase says. A finding is a failure (a warning only with --strict, so the JUnit verdict matches
 * the exit code), except findings of the `doctor` check (a check ran out of time or failed), which are errors like
 * the rules that could not be evaluated; rules of a check that was not checked (its dependency failed) are skipped.
 */
function outcomeOf(rule: RuleRun, report: DoctorReport, findings: Map<string, Finding>): Outcome {
  const held = (report.suppressed ?? []).find((s) => s.id === rule.id);
  if (held) return { kind: 'skipped', message: `suppressed until ${held.suppression.until}: ${held.suppression.reason} (${held.message})` };
  const f = findings.get(rule.id);
  if (f) {
    if (f.check === 'doctor') return { kind: 'error', type: f.id, message: f.message, body: failureBody(f) };
    if (f.severity === 'error' || (f.severity === 'warn' && report.strict)) return { kind: 'failure', type: f.severity, message: f.message, body: failureBody(f) };
    return { kind: 'pass' };
  }
  if (rule.outcome === 'unknown') {
    const message = `not checked: ${rule.reason ?? 'unknown'}`;
    return { kind: 'error', type: 'not-checked', message, body: `${message}\nThe rule could not be evaluated; run opta doctor --verbose to see each fact's timing.` };
  }
  const check = report.checks.find((c) => c.id === rule.check);
  if (check?.status === 'skipped') return { kind: 'skipped', message: check.summary };
  return { kind: 'pass' };
}

export function renderJunit(report: DoctorReport, opts: JunitOptions = {}): string {
  const findings = new Map(report.findings.map((f) => [f.id, f]));
  const checkMs = new Map(report.checks.map((c) => [c.id, c.ms]));
  const cases: string[] = [];
  const count = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const rule of report.rules.ran) {
    const o = outcomeOf(rule, report, findings);
    count.tests++;
    const head = `  <testcase classname="${xmlAttr(rule.check)}" name="${xmlAttr(rule.id)}" time="${seconds(checkMs.get(rule.check) ?? 0)}"`;
    if (o.kind === 'pass') {
      cases.push(`${head}/>`);
      continue;
    }
    if (o.kind === 'skipped') {
      count.skipped++;
      cases.push(`${head}>\n    <skipped message="${xmlAttr(o.message)}"/>\n  </testcase>`);
      continue;
    }
    count[o.kind === 'failure' ? 'failures' : 'errors']++;
    cases.push(`${head}>\n    <${o.kind} type="${xmlAttr(o.type)}" message="${xmlAttr(o.message)}">${xmlText(o.body)}</${o.kind}>\n  </testcase>`);
  }
  // A broken rule file is a rule that could not run: an error, so the report shows why doctor exited 2.
  for (const p of report.ruleProblems) {
    count.tests++;
    count.errors++;
    const message = `${p.jsonPath}: ${p.message}`;
    cases.push(
      `  <testcase classname="rules" name="${xmlAttr(p.file)}" time="0.000">\n    <error type="invalid-rule-file" message="${xmlAttr(message)}">${xmlText(`rule file ${p.file} is invalid at ${message}\nnext: opta rules validate`)}</error>\n  </testcase>`,
    );
  }
  const props: Array<[string, string | number | boolean]> = [
    ['opta.version', report.tool.version],
    ['home', report.home],
    ['status', report.status],
    ['exitCode', report.exitCode],
    ['strict', report.strict],
    ['errors', report.counts.errors],
    ['warnings', report.counts.warnings],
    ['infos', report.counts.infos],
    ['deadlineMs', report.deadlineMs],
    ['deadlineReached', report.deadlineReached],
  ];
  const hostname = (opts.hostname ?? '').trim() || 'localhost';
  // The schema's timestamp has no fraction and no zone: the report's ISO time (UTC) cut to the second.
  const timestamp = report.startedAt.slice(0, 19);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="opta doctor" timestamp="${xmlAttr(timestamp)}" hostname="${xmlAttr(hostname)}" tests="${count.tests}" failures="${count.failures}" errors="${count.errors}" skipped="${count.skipped}" time="${seconds(report.durationMs)}">`,
    '  <properties>',
    ...props.map(([k, v]) => `    <property name="${xmlAttr(k)}" value="${xmlAttr(String(v))}"/>`),
    '  </properties>',
    ...cases,
    `  <system-out>${xmlText(renderText(report, {}))}</system-out>`,
    `  <system-err>${xmlText(renderRuleProblems(report).join('\n'))}</system-err>`,
    '</testsuite>',
    '',
  ].join('\n');
}
