// Merges the segments of one analysis (any number of files and threads) into findings a person reads: counts, first/last, samples, filled messages.
import type { RuleProblem } from '../rules/rule-problem.js';
import { UNPARSED } from './line-formats.js';
import type { PatternAcc, SegmentResult } from './run-scope.js';
import { fillTemplate } from '../rules/language/template.js';
import { visible } from '../rules/language/escape.js';
import type { LogPattern, Severity } from './pattern-schema.js';
import type { z } from 'zod';
import type { AnalysisSchema, LevelCountsSchema, LocationSchema, LogFindingSchema } from './analysis-schema.js';

export const ANALYSIS_SCHEMA_VERSION = 1;

/** Where a finding's first or last line is: the file as a person types it, its 1-based line (null after a bounded read), its time. */
export type Location = z.infer<typeof LocationSchema>;
/** A pattern's finding: counts, first/last, up to 3 samples as written, the named groups of the last match, filled text. */
export type LogFinding = z.infer<typeof LogFindingSchema>;
export type LevelCounts = z.infer<typeof LevelCountsSchema>;
/** What one analysis found over its files (only the current daemon run with sinceStart; the doctor reads a bounded window). */
export type Analysis = z.infer<typeof AnalysisSchema>;

export interface TemplateContext {
  config: unknown;
  paths: Record<string, string>;
}

export interface MergeInput {
  files: Array<{ path: string; display: string; bytes: number; fromByte: number }>;
  /** In file order, and byte order within a file. */
  segments: SegmentResult[];
  patterns: LogPattern[];
  sinceStart: boolean;
  window?: { maxBytes: number } | null;
  problems: RuleProblem[];
  context: TemplateContext;
  startedAt: number;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warn: 1, info: 2 };

function counts(levels: number[]): LevelCounts {
  return { DEBUG: levels[0], INFO: levels[1], WARN: levels[2], ERROR: levels[3], unparsed: levels[UNPARSED] };
}

export function human(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  if (n < 1073741824) return `${Math.round((n / 1048576) * 10) / 10} MiB`;
  return `${Math.round((n / 1073741824) * 10) / 10} GiB`;
}

export function mergeAnalysis(m: MergeInput): Analysis {
  // Absolute line numbers: a file read from byte 0 numbers its lines; one read from its end (the doctor) cannot.
  const bases: Array<number | null> = [];
  const base = new Map<number, number | null>();
  for (const s of m.segments) {
    if (!base.has(s.file)) base.set(s.file, m.files[s.file].fromByte === 0 ? 0 : null);
    const b = base.get(s.file)!;
    bases.push(b);
    base.set(s.file, b === null ? null : b + s.lines);
  }
  const lastStart = m.segments.reduce((k, s, i) => (s.start ? i : k), -1);
  const from = m.sinceStart && lastStart >= 0 ? lastStart : 0;
  // Each part in scope with the index of the segment it came from (for line numbers and file names).
  const inScope: Array<{ i: number; acc: Array<PatternAcc | null>; levels: number[]; matched: number[]; lines: number }> = [];
  const sStart = m.segments[from]?.start;
  const tail = from > 0 && m.sinceStart && sStart?.carry ? m.segments[from - 1].pending : null;
  // Start-up lines that ended the segment before the one where the run started belong to that run.
  if (tail) inScope.push({ i: from - 1, acc: tail.acc, levels: tail.levels, matched: tail.matched, lines: tail.lines });
  m.segments.slice(from).forEach((s, j) => {
    const lines = j === 0 && m.sinceStart && s.start ? s.lines - s.start.scopeLine + 1 : s.lines;
    inScope.push({ i: from + j, acc: s.acc, levels: s.levels, matched: s.matched, lines });
  });
  const lineAt = (i: number, rel: number) => (bases[i] === null ? null : bases[i]! + rel);
  const fileOf = (i: number) => m.files[m.segments[i].file].display;

  const run: Analysis['run'] =
    lastStart >= 0
      ? { found: true, file: fileOf(lastStart), line: lineAt(lastStart, m.segments[lastStart].start!.line), time: m.segments[lastStart].start!.time }
      : { found: false, file: null, line: null, time: null };

  const levels = [0, 0, 0, 0, 0];
  const matched = [0, 0, 0, 0, 0];
  let lines = 0;
  // Not only those in scope: the pieces before the run start were read too, and how many there are depends on the threads.
  const bytes = m.segments.reduce((n, s) => n + s.bytesRead, 0);
  const cutLines = m.segments.reduce((n, s) => n + (s.cutLines ?? 0), 0);
  for (const s of inScope) {
    for (let l = 0; l < 5; l++) {
      levels[l] += s.levels[l];
      matched[l] += s.matched[l];
    }
    lines += s.lines;
  }

  const partial = Boolean(m.window) && !(m.sinceStart && run.found) && m.files.some((f) => f.fromByte > 0);
  const scope = m.sinceStart && run.found ? ' since the daemon started' : partial && m.window ? ` in the last ${human(m.window.maxBytes)} of the log` : '';

  const findings: LogFinding[] = [];
  m.patterns.forEach((p, pi) => {
    let count = 0;
    let first: Location | null = null;
    let last: Location | null = null;
    let values: Record<string, string> = {};
    const samples: LogFinding['samples'] = [];
    inScope.forEach((s) => {
      const a = s.acc[pi];
      if (!a) return;
      const i = s.i;
      count += a.count;
      first ??= { file: fileOf(i), line: lineAt(i, a.first.line), time: a.first.time };
      last = { file: fileOf(i), line: lineAt(i, a.last.line), time: a.last.time };
      values = a.last.values;
      for (const x of a.samples) if (samples.length < 3) samples.push({ file: fileOf(i), line: lineAt(i, x.line), text: x.text, ...(x.context ? { context: x.context } : {}) });
    });
    if (!count || !first || !last) return;
    const when = (l: Location) => l.time ?? (l.line !== null ? `line ${l.line}` : 'an unknown time');
    const vars = { ...values, count, times: `${count} time${count === 1 ? '' : 's'}`, first: when(first), last: when(last), scope, config: m.context.config, paths: m.context.paths };
    findings.push({
      id: p.id,
      severity: p.severity,
      check: p.check,
      guide: p.guide,
      fix: p.fix,
      count,
      first,
      last,
      samples,
      values,
      message: fillTemplate(p.message, vars, 'logs'),
      why: visible(p.why),
      remediation: fillTemplate(p.remediation, vars, 'logs'),
    });
  });
  findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.count - a.count || a.id.localeCompare(b.id));

  return {
    schemaVersion: ANALYSIS_SCHEMA_VERSION,
    files: m.files,
    sinceStart: m.sinceStart,
    run,
    window: m.window ? { maxBytes: m.window.maxBytes, partial } : null,
    lines,
    bytes,
    findings,
    counts: {
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warn').length,
      infos: findings.filter((f) => f.severity === 'info').length,
    },
    levels: counts(levels),
    other: counts(levels.map((n, l) => n - matched[l])),
    problems: m.problems,
    ...(cutLines ? { cutLines } : {}),
    durationMs: Date.now() - m.startedAt,
  };
}

