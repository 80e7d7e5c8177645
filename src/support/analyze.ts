// `opta support analyze`: today's doctor rules over the facts a bundle captured, offline (nothing on this machine is probed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { causeText } from '../core/errors.js';
import { optaPaths } from '../core/paths.js';
import { VERSION } from '../core/version.js';
import { runDoctor } from '../doctor/run.js';
import type { DoctorReport } from '../doctor/report-types.js';
import type { FactValue } from '../facts/fact.js';
import type { ReadBundle } from './bundle-read.js';

/** The error a fact gets when a rule needs it and the bundle does not hold it. */
export const MISSING_FACT = 'not in the bundle';

export interface Analysis {
  bundle: { file: string; form: 'text' | 'json'; generatedAt: string | null; madeBy: string | null; formatVersion: number; home: string };
  analysedWith: { version: string; rulesDir: string | null };
  /** Facts today's rules needed that the bundle does not hold: their checks say "not checked". */
  missingFacts: Array<{ fact: string; checks: string[] }>;
  /** Against the report the user's own opta made when the bundle was made. */
  comparedWithBundle: { same: boolean; newFindings: string[]; goneFindings: string[] };
  notes: string[];
  report: DoctorReport;
}

export async function analyzeBundle(file: string, b: ReadBundle, opts: { rulesDir?: string } = {}): Promise<Analysis> {
  const home = typeof b.capture.report.home === 'string' && b.capture.report.home ? b.capture.report.home : '~/.config/opta';
  const logs = await todaysLogPatterns(b, home);
  const report = await runDoctor({
    // The user's home as the bundle names it; nothing is read there (every fact is replayed or missing).
    paths: optaPaths(home),
    env: {},
    rulesDir: opts.rulesDir,
    overrides: logs.facts,
    offline: { missing: MISSING_FACT },
    strict: b.capture.report.strict === true,
  });
  const missing = report.facts.filter((r) => !r.overridden && r.error === MISSING_FACT).map((r) => r.id);
  const checksUsing = (fact: string) => report.checks.filter((c) => c.facts.includes(fact)).map((c) => c.id);
  const before = new Set(b.capture.report.findings.map((f) => f.id));
  const after = new Set(report.findings.map((f) => f.id));
  const newFindings = [...after].filter((id) => !before.has(id)).sort();
  const goneFindings = [...before].filter((id) => !after.has(id)).sort();
  return {
    bundle: { file, form: b.form, generatedAt: b.generatedAt, madeBy: b.toolVersion, formatVersion: b.formatVersion, home },
    analysedWith: { version: VERSION, rulesDir: opts.rulesDir ? path.resolve(opts.rulesDir) : null },
    missingFacts: missing.map((fact) => ({ fact, checks: checksUsing(fact) })),
    comparedWithBundle: { same: !newFindings.length && !goneFindings.length, newFindings, goneFindings },
    notes: [...b.notes, ...logs.notes],
    report,
  };
}

const LOG_SECTION = 'opta daemon logs --lines 200';

/**
 * Today's log patterns over the log lines the bundle holds (its `opta daemon logs --lines 200` section, already
 * redacted): a pattern the bundle's own analysis does not have (one added since the bundle was made) is added to the
 * replayed daemon-log-analysis fact, so a doctor rule on it can fire on an old bundle. The lines go through a private
 * temporary file (the analyser reads files); nothing of this machine is probed.
 */
async function todaysLogPatterns(b: ReadBundle, home: string): Promise<{ facts: Record<string, FactValue>; notes: string[] }> {
  const facts = b.capture.facts;
  const section = b.sections.find((s) => s.title === LOG_SECTION);
  if (!section || !section.text || /^\((not available|ran out of time)/.test(section.text)) return { facts, notes: [] };
  const [{ analyzeLogs }, { loadPatterns, contextFor }, { factFromAnalysis, LOG_ANALYSIS_FACT }, { DEFAULT_CONFIG }] = await Promise.all([
    import('../logs/analyze.js'),
    import('../logs/patterns.js'),
    import('../facts/daemon-log-analysis.js'),
    import('../core/config-lite.js'),
  ]);
  const captured = facts[LOG_ANALYSIS_FACT] as { ok?: boolean; patterns?: Record<string, FactValue>; evidence?: Record<string, string[]> } | undefined;
  const settings = (facts.config ?? {}) as Partial<Record<keyof typeof DEFAULT_CONFIG, Record<string, unknown>>>;
  const config = Object.fromEntries(Object.entries(DEFAULT_CONFIG).map(([k, v]) => [k, { ...v, ...(settings[k as keyof typeof DEFAULT_CONFIG] ?? {}) }])) as typeof DEFAULT_CONFIG;
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-analyze-'));
  } catch (e) {
    // The captured facts are the analysis; today's patterns over the log lines are an extra that needs a temp file.
    return { facts, notes: [`today's log patterns did not run over the bundle's log lines: no temporary file could be made (${causeText(e)}); set TMPDIR to a writable directory`] };
  }
  let fresh: FactValue;
  try {
    const log = path.join(dir, 'daemon.log');
    fs.writeFileSync(log, section.text.endsWith('\n') ? section.text : section.text + '\n', { mode: 0o600 });
    const analysis = await analyzeLogs({
      inputs: [{ path: log, display: 'daemon.log' }],
      patterns: loadPatterns(),
      context: contextFor(config, { home, log: `${home}/daemon/daemon.log`, sessions: `${home}/sessions`, state: `${home}/daemon/state.json`, config: `${home}/config.json` }),
      sinceStart: true,
    });
    fresh = factFromAnalysis(analysis);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const freshPatterns = fresh.patterns as Record<string, FactValue>;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!captured || captured.ok === false || !isObject(captured.patterns)) {
    return { facts: { ...facts, [LOG_ANALYSIS_FACT]: fresh }, notes: [`the bundle holds no log analysis: today's log patterns ran over its last ${section.text.split('\n').length} log lines`] };
  }
  const added = Object.keys(freshPatterns).filter((id) => !(id in captured.patterns!));
  if (!added.length) return { facts, notes: [] };
  const evidence: Record<string, string[]> = { ...(isObject(captured.evidence) ? captured.evidence : {}) };
  for (const id of added) {
    const check = freshPatterns[id].check as string | null;
    if (check) evidence[check] = [...(Array.isArray(evidence[check]) ? evidence[check] : []), String(freshPatterns[id].message)];
  }
  const merged = { ...captured, patterns: { ...captured.patterns, ...Object.fromEntries(added.map((id) => [id, freshPatterns[id]])) }, evidence };
  return { facts: { ...facts, [LOG_ANALYSIS_FACT]: merged }, notes: [`log patterns the bundle's opta did not have matched its last log lines: ${added.join(', ')}`] };
}

export function renderAnalysisText(a: Analysis, doctorText: string): string {
  const lines = [
    `Analysis of ${a.bundle.file}`,
    `  made:     ${a.bundle.generatedAt ?? '(unknown time)'} by opta ${a.bundle.madeBy ?? '(unknown)'} (bundle format ${a.bundle.formatVersion}), home ${a.bundle.home}`,
    `  rules:    ${a.analysedWith.rulesDir ?? `the built-in rules of opta ${a.analysedWith.version}`}, run offline over the bundle's facts`,
    '',
    doctorText.replace(/\n+$/, ''),
    '',
  ];
  if (a.missingFacts.length) {
    lines.push(`Facts missing from the bundle: ${a.missingFacts.map((m) => (m.checks.length ? `${m.fact} (${m.checks.join(', ')})` : m.fact)).join(', ')}; their checks say "not checked".`);
  } else lines.push('Facts missing from the bundle: none.');
  const c = a.comparedWithBundle;
  if (c.same) lines.push(`Compared with the report opta ${a.bundle.madeBy ?? ''} made then: the same findings.`.replace('  ', ' '));
  else {
    const parts = [c.newFindings.length ? `new: ${c.newFindings.join(', ')}` : '', c.goneFindings.length ? `no longer reported: ${c.goneFindings.join(', ')}` : ''].filter(Boolean);
    lines.push(`Compared with the report opta ${a.bundle.madeBy ?? ''} made then: ${parts.join('; ')}.`.replace('  ', ' '));
  }
  for (const n of a.notes) lines.push(`Note: ${n}.`);
  return lines.join('\n') + '\n';
}
