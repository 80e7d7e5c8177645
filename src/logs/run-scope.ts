// Run scoping for `--since-start` and the doctor: what one pass over a log segment found, and how a "daemon started" line resets it.

import { UNPARSED } from './line-formats.js';

/** Sample lines kept per pattern. */
const SAMPLES = 3;

/** Where one occurrence is: the line number within its segment (1-based) and the line's time, if it has one. */
export interface Hit {
  line: number;
  time: string | null;
}

export interface PatternAcc {
  count: number;
  first: Hit;
  last: Hit & { values: Record<string, string> };
  samples: Array<{ line: number; text: string; context?: string[] }>;
}

/** What one pass over one byte range of one file found (plain data: it crosses worker_threads). */
export interface SegmentResult {
  file: number;
  /** The segment starts at byte 0 of its file, or right after a line of the segment before it (numbers add up). */
  startByte: number;
  endByte: number;
  lines: number;
  /** Lines per level (DEBUG, INFO, WARN, ERROR, unparsed), and those of them that matched a pattern. */
  levels: number[];
  matched: number[];
  /** By pattern index; null where it never matched. */
  acc: Array<PatternAcc | null>;
  /**
   * The last run-start line of the segment; with sinceStart, everything above counts only from there, plus the
   * start-up lines just before it (scopeLine: the first of them). carry: nothing else came before them in this
   * segment, so start-up lines at the end of the segment before belong to this run too.
   */
  start: (Hit & { scopeLine: number; carry: boolean }) | null;
  /** With sinceStart: start-up lines (patterns with startup: true) not yet followed by another line. */
  pending: Pending | null;
  /** With sinceStart: a leveled line other than a start-up line has been seen. */
  seenOther: boolean;
  bytesRead: number;
  /** Lines longer than the matcher's MATCH_CHARS, matched on their start only. */
  cutLines: number;
  /** Stack trace lines under ERROR lines: context of those, in no level's count. */
  context: number;
}

/** Lines the daemon writes while it starts, before "daemon started" (sessions it could not load, a fallback port). */
export interface Pending {
  firstLine: number;
  lines: number;
  levels: number[];
  matched: number[];
  acc: Array<PatternAcc | null>;
  /** They began the segment (no other leveled line before them). */
  fromStart: boolean;
}

export function newSegment(file: number, startByte: number, endByte: number, patterns: number): SegmentResult {
  return { file, startByte, endByte, lines: 0, levels: [0, 0, 0, 0, 0], matched: [0, 0, 0, 0, 0], acc: new Array(patterns).fill(null), start: null, pending: null, seenOther: false, bytesRead: 0, cutLines: 0, context: 0 };
}

/**
 * Counts a line toward the start-up burst (sinceStart only, after it is counted in the segment): start-up lines, and
 * unparsed output between them, are kept aside until it is clear whether a run starts after them; any other leveled
 * line ends the burst.
 */
export function scopeBurst(r: SegmentResult, level: number, hit: boolean, startupHit: boolean): void {
  const q = r.pending;
  if (startupHit || (level === UNPARSED && q !== null)) {
    // A start-up line (or unparsed output such as a warning of node itself in between): part of the burst.
    q!.lines++;
    q!.levels[level]++;
    if (hit) q!.matched[level]++;
  } else if (level !== UNPARSED) {
    r.seenOther = true;
    r.pending = null;
  }
}

/** A run-start line: with sinceStart, what came before it is another run's story, except its own start-up lines. */
export function startRun(r: SegmentResult, line: number, time: string | null, sinceStart: boolean): void {
  let scopeLine = line;
  let carry = !r.seenOther;
  if (sinceStart) {
    const q = r.pending;
    r.levels.fill(0);
    r.matched.fill(0);
    r.acc.fill(null);
    if (q) {
      for (let l = 0; l < 5; l++) {
        r.levels[l] = q.levels[l];
        r.matched[l] = q.matched[l];
      }
      q.acc.forEach((a, i) => (r.acc[i] = a));
      scopeLine = q.firstLine;
      carry = q.fromStart;
    }
    r.pending = null;
  }
  r.start = { line, time, scopeLine, carry };
}

/** A start-up line's hit (sinceStart only), held with the burst it belongs to. */
export function holdStartupHit(r: SegmentResult, index: number, line: number, time: string | null, values: Record<string, string>, text: () => string): void {
  const q = (r.pending ??= { firstLine: line, lines: 0, levels: [0, 0, 0, 0, 0], matched: [0, 0, 0, 0, 0], acc: new Array(r.acc.length).fill(null), fromStart: !r.seenOther });
  addHit(q.acc, index, line, time, values, text);
}

/** Counts a hit; returns the sample it kept (a stack trace below the line is added to it), or null. */
export function addHit(acc: Array<PatternAcc | null>, i: number, line: number, time: string | null, values: Record<string, string>, text: () => string): PatternAcc['samples'][number] | null {
  let a = acc[i];
  if (a === null) a = acc[i] = { count: 0, first: { line, time }, last: { line, time, values }, samples: [] };
  a.count++;
  a.last = { line, time, values };
  if (a.samples.length >= SAMPLES) return null;
  const sample: PatternAcc['samples'][number] = { line, text: text() };
  a.samples.push(sample);
  return sample;
}
