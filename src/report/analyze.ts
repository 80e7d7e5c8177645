// `opta support analyze`: today's doctor rules over the facts a bundle captured, offline (nothing on this machine is probed).
import path from 'node:path';
import { optaPaths } from '../core/paths.js';
import { VERSION } from '../core/version.js';
import { runDoctor } from '../engine/run.js';
import type { DoctorReport } from '../engine/report-types.js';
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
  const report = await runDoctor({
    // The user's home as the bundle names it; nothing is read there (every fact is replayed or missing).
    paths: optaPaths(home),
    env: {},
    rulesDir: opts.rulesDir,
    overrides: b.capture.facts,
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
    notes: b.notes,
    report,
  };
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
