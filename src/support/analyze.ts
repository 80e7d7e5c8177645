// `opta support analyze`: today's doctor rules over the facts a bundle captured, offline (nothing on this machine is probed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { causeText } from '../core/errors.js';
import { optaPaths } from '../core/paths.js';
import { VERSION } from '../core/version.js';
import { runDoctor, type DoctorOptions } from '../doctor/run.js';
import type { DoctorReport } from '../doctor/report-types.js';
import type { FactValue } from '../facts/fact.js';
import type { ReadBundle } from './bundle-read.js';
import { visible } from '../rules/language/escape.js';

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

/** A home printed inside commands must be one shell word; another (spaces, quotes, `$`, `;`) is not used in them. */
const SHELL_WORD = /^[\w@%+=:,./~-]+$/;
const DEFAULT_HOME = '~/.config/opta';

/** The doctor's options for a run over a bundle's facts (offline), the home it names and the notes on how it was read. */
export async function bundleDoctorOptions(b: ReadBundle, opts: { rulesDir?: string; deadlineAt?: number } = {}): Promise<{ options: DoctorOptions; said: string; notes: string[] }> {
  const said = typeof b.capture.report.home === 'string' && b.capture.report.home ? b.capture.report.home : DEFAULT_HOME;
  const home = SHELL_WORD.test(said) && said.length <= 4096 ? said : DEFAULT_HOME;
  const homeNote = home === said ? [] : [`the bundle's home ${JSON.stringify(visible(said.slice(0, 200)))} is not one shell word: commands below name ${DEFAULT_HOME} instead`];
  const logs = await todaysLogPatterns(b, home);
  const options: DoctorOptions = {
    ...(opts.deadlineAt !== undefined ? { deadlineAt: opts.deadlineAt } : {}),
    // The user's home as the bundle names it; nothing is read there (every fact is replayed or missing).
    paths: optaPaths(home),
    env: {},
    rulesDir: opts.rulesDir,
    overrides: logs.facts,
    offline: { missing: MISSING_FACT },
    strict: b.capture.report.strict === true,
  };
  return { options, said, notes: [...homeNote, ...logs.notes] };
}

/** The bundle's daemon log lines (its `opta daemon logs --lines 200` section, redacted when it was made), or null. */
export function bundleLogText(b: ReadBundle): string | null {
  const section = b.sections.find((s) => s.title === LOG_SECTION);
  if (!section || !section.text || /^\((not available|ran out of time)/.test(section.text)) return null;
  return section.text;
}

export async function analyzeBundle(file: string, b: ReadBundle, opts: { rulesDir?: string; deadlineAt?: number } = {}): Promise<Analysis> {
  const { options, said, notes } = await bundleDoctorOptions(b, opts);
  const report = await runDoctor(options);
  const missing = report.facts.filter((r) => !r.overridden && r.error === MISSING_FACT).map((r) => r.id);
  // A check whose facts the bundle lacks was not checked, which is not healthy: never exit 0 on it.
  if (missing.length && report.exitCode === 0) report.exitCode = 1;
  const checksUsing = (fact: string) => report.checks.filter((c) => c.facts.includes(fact)).map((c) => c.id);
  const before = new Set(b.capture.report.findings.map((f) => f.id));
  const after = new Set(report.findings.map((f) => f.id));
  const newFindings = [...after].filter((id) => !before.has(id)).sort();
  const goneFindings = [...before].filter((id) => !after.has(id)).sort();
  return {
    bundle: { file, form: b.form, generatedAt: b.generatedAt, madeBy: b.toolVersion, formatVersion: b.formatVersion, home: said },
    analysedWith: { version: VERSION, rulesDir: opts.rulesDir ? path.resolve(opts.rulesDir) : null },
    missingFacts: missing.map((fact) => ({ fact, checks: checksUsing(fact) })),
    comparedWithBundle: { same: !newFindings.length && !goneFindings.length, newFindings, goneFindings },
    notes: [...b.notes, ...notes],
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
  const text = bundleLogText(b);
  if (text === null) return { facts, notes: [] };
  const section = { text };
  const [{ analyzeLogs }, { loadPatterns, contextFor }, { factFromAnalysis, LOG_ANALYSIS_FACT }, { DEFAULT_CONFIG }] = await Promise.all([
    import('../logs/analyze.js'),
    import('../logs/patterns.js'),
    import('../facts/daemon-log-analysis.js'),
    import('../core/config-lite.js'),
  ]);
  const captured = facts[LOG_ANALYSIS_FACT] as { ok?: boolean; patterns?: Record<string, FactValue>; evidence?: Record<string, string[]> } | undefined;
  const settings = (facts.config ?? {}) as Partial<Record<keyof typeof DEFAULT_CONFIG, Record<string, unknown>>>;
  // A bundle's setting is taken only where it has the default's type (a number stays a number; a string is one word):
  // these values are printed inside commands (opta config set tools.timeoutMs {{config.tools.timeoutMs*2}}).
  const sane = (def: Record<string, unknown>, given: unknown) =>
    Object.fromEntries(
      Object.entries(typeof given === 'object' && given !== null ? given : {}).filter(
        ([k, x]) => k in def && typeof x === typeof def[k] && (typeof x !== 'number' || Number.isFinite(x)) && (typeof x !== 'string' || SHELL_WORD.test(x)),
      ),
    );
  const config = Object.fromEntries(Object.entries(DEFAULT_CONFIG).map(([k, v]) => [k, { ...v, ...sane(v as Record<string, unknown>, settings[k as keyof typeof DEFAULT_CONFIG]) }])) as typeof DEFAULT_CONFIG;
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-analyze-'));
  } catch (e) {
    // The captured facts are the analysis; today's patterns over the log lines are an extra that needs a temp file.
    return { facts, notes: [`today's log patterns did not run over the bundle's log lines: no temporary file could be made (${causeText(e)}); set TMPDIR to a writable directory`] };
  }
  let fresh: FactValue;
  const loaded = loadPatterns();
  try {
    const log = path.join(dir, 'daemon.log');
    fs.writeFileSync(log, section.text.endsWith('\n') ? section.text : section.text + '\n', { mode: 0o600 });
    const analysis = await analyzeLogs({
      inputs: [{ path: log, display: 'daemon.log' }],
      patterns: loaded,
      context: contextFor(config, { home, log: `${home}/daemon/daemon.log`, sessions: `${home}/sessions`, state: `${home}/daemon/state.json`, config: `${home}/config.json` }),
      sinceStart: true,
    });
    fresh = factFromAnalysis(analysis, (await loaded).patterns);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const freshPatterns = fresh.patterns as Record<string, FactValue>;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (captured && captured.ok !== false && isObject(captured.patterns)) {
    // A remediation in the bundle is text someone could have written: the command printed is today's rule's, filled
    // by opta from this home's paths and settings, or, where it needs a value of the log line, today's from the bundle's log lines.
    const today = new Map((await loadPatterns()).patterns.map((p) => [p.id, p]));
    const { fillTemplate } = await import('../rules/language/template.js');
    const ctx = contextFor(config, { home, log: `${home}/daemon/daemon.log`, sessions: `${home}/sessions`, state: `${home}/daemon/state.json`, config: `${home}/config.json` });
    const patterns: Record<string, FactValue> = {};
    for (const [id, v] of Object.entries(captured.patterns!)) {
      const p = today.get(id);
      const own = freshPatterns[id]?.remediation;
      const text = typeof own === 'string' ? own : p && !/\{\{(?!config\.|paths\.)/.test(p.remediation) ? fillTemplate(p.remediation, { ...ctx }, 'logs') : p ? 'opta daemon logs --lines 200' : 'opta logs analyze';
      patterns[id] = { ...v, remediation: text };
    }
    captured.patterns = patterns;
  }
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
    `Analysis of ${visible(a.bundle.file)}`,
    `  made:     ${visible(a.bundle.generatedAt ?? '(unknown time)')} by opta ${visible(a.bundle.madeBy ?? '(unknown)')} (bundle format ${a.bundle.formatVersion}), home ${visible(a.bundle.home)} (as the bundle says)`,
    `  rules:    ${visible(a.analysedWith.rulesDir ?? `the built-in rules of opta ${a.analysedWith.version}`)}, run offline over the bundle's facts`,
    "  quoted:   values and log lines below come from the bundle (escaped); every command shown is opta's own",
    '',
    doctorText.replace(/\n+$/, ''),
    '',
  ];
  if (a.missingFacts.length) {
    lines.push(`Facts missing from the bundle: ${a.missingFacts.map((m) => (m.checks.length ? `${m.fact} (${m.checks.join(', ')})` : m.fact)).join(', ')}; their checks say "not checked", so the bundle's machine is not known to be healthy.`);
  } else lines.push('Facts missing from the bundle: none.');
  const c = a.comparedWithBundle;
  const made = visible(a.bundle.madeBy ?? '');
  if (c.same) lines.push(`Compared with the report opta ${made} made then: the same findings.`.replace('  ', ' '));
  else {
    const parts = [c.newFindings.length ? `new: ${c.newFindings.join(', ')}` : '', c.goneFindings.length ? `no longer reported: ${c.goneFindings.map(visible).join(', ')}` : ''].filter(Boolean);
    lines.push(`Compared with the report opta ${made} made then: ${parts.join('; ')}.`.replace('  ', ' '));
  }
  for (const n of a.notes) lines.push(`Note: ${visible(n)}.`);
  return lines.join('\n') + '\n';
}
