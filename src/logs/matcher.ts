// The log analyser's inner loop: finds each line's format, time and level in raw bytes and tests only the patterns whose literal prefilter passes.
import { latin1Bytes, type Level, type LogPattern } from './pattern-types.js';
import { prefilterOf } from './prefilters.js';

/**
 * Why it looks like this: a log of 300 MB has millions of lines and ~1% of them matter. Text is handled as latin1
 * (one char per byte, so invalid UTF-8 cannot break anything and V8 searches it with memchr), each line's level is
 * read from a few bytes, and a pattern's regex runs only on lines of its levels whose message starts with one of
 * its literal prefixes (or contains one of its required literals), as grep's prefilter does. Only those lines are
 * decoded as UTF-8.
 */

/** Index of lines with no recognisable time and level (stack traces, other programs' output). */
export const UNPARSED = 4;
const LEVEL_INDEX: Record<Level, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

/** Where one occurrence is: the line number within its segment (1-based) and the line's time, if it has one. */
export interface Hit {
  line: number;
  time: string | null;
}

export interface PatternAcc {
  count: number;
  first: Hit;
  last: Hit & { values: Record<string, string> };
  samples: Array<{ line: number; text: string }>;
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

interface Compiled {
  index: number;
  id: string;
  re: RegExp;
  runStart: boolean;
  startup: boolean;
}

interface LevelTable {
  /** Patterns with literal prefixes, by the first byte of each prefix; jsonSafe: the prefixes read the same inside a JSON string. */
  byFirst: Array<Array<{ p: Compiled; prefixes: string[]; jsonSafe: boolean }> | undefined>;
  /** Patterns with required literals (indices into Matcher.literals). */
  scanned: Array<{ p: Compiled; lits: number[] }>;
  /** Patterns with no usable literal: their regex runs on every line of the level. */
  always: Compiled[];
  /** For JSON lines, the patterns not found through byFirst: the literals the raw line must contain (null: none known). */
  jsonRest: Array<{ p: Compiled; lits: string[] | null }>;
  /** 1 at (first byte << 8 | second byte) of every prefix: most lines are rejected by this one read. */
  first: Uint8Array;
  /** scanned or always patterns exist: every line of the level must be looked at. */
  other: boolean;
}

const SAMPLES = 3;
const SAMPLE_CHARS = 400;
const NON_ASCII = /[\x80-\xff]/;
/** Keys a JSON line's level may have, the usual one first (each is looked up with indexOf: no regex, no garbage). */
const JSON_LEVEL_KEYS = ['"level"', '"severity"', '"lvl"', '"loglevel"', '"levelname"', '"log.level"'];
const JSON_MSG_KEYS = ['msg', 'message', 'text', 'log'];
const JSON_MSG_KEYS_QUOTED = JSON_MSG_KEYS.map((k) => `"${k}"`);
const JSON_TIME_KEYS = ['ts', 'time', 'timestamp', '@timestamp', 't', 'date'];

/** C0 controls but TAB, DEL and C1 controls: terminal escapes, BEL, line breaks. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
/** Longest JSON time value quoted (the text format's time is at most 48 characters by construction). */
const TIME_CHARS = 48;
/** Longest named-group value kept: it is quoted in messages, remediation commands and the doctor's evidence lines. */
const VALUE_CHARS = 200;
/** Characters of a word as secrets are written (tokens, keys, base64, URL-encoded). */
const WORD_CHAR = /[A-Za-z0-9_+/=.~%:@-]/;

/**
 * `text` cut to at most `max` characters and "…", never inside a word: a secret cut short no longer has the shape
 * the redactor recognises, and its first part would be shown. The whole word goes instead.
 */
export function clipWords(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  if (WORD_CHAR.test(text[end])) while (end > 0 && WORD_CHAR.test(text[end - 1])) end--;
  return text.slice(0, end) + '…';
}

/**
 * Text quoted from the log (samples, values, times) is shown, never obeyed: a control character (an escape sequence
 * that clears the screen or retitles the terminal, BEL, a line break inside a JSON value) becomes \xNN.
 */
export function visible(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : text;
}

function decode(latin1: string): string {
  return NON_ASCII.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}

function eqi(s: string, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if ((s.charCodeAt(at + k) | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/** A level word (any case) to its index: error/err/fatal/critical/crit/panic, warn/warning, info/notice, debug/trace. */
export function levelOf(s: string, at: number, len: number): number {
  switch (s.charCodeAt(at) | 0x20) {
    case 101: // e
      return (len === 5 && eqi(s, at, 'error')) || (len === 3 && eqi(s, at, 'err')) ? 3 : -1;
    case 119: // w
      return (len === 4 && eqi(s, at, 'warn')) || (len === 7 && eqi(s, at, 'warning')) ? 2 : -1;
    case 105: // i
      return len === 4 && eqi(s, at, 'info') ? 1 : -1;
    case 100: // d
      return len === 5 && eqi(s, at, 'debug') ? 0 : -1;
    case 116: // t
      return len === 5 && eqi(s, at, 'trace') ? 0 : -1;
    case 102: // f
      return len === 5 && eqi(s, at, 'fatal') ? 3 : -1;
    case 99: // c
      return (len === 8 && eqi(s, at, 'critical')) || (len === 4 && eqi(s, at, 'crit')) ? 3 : -1;
    case 110: // n
      return len === 6 && eqi(s, at, 'notice') ? 1 : -1;
    case 112: // p
      return len === 5 && eqi(s, at, 'panic') ? 3 : -1;
    default:
      return -1;
  }
}

/**
 * The level of a JSON line: "level":"error" (any key above, any case), or a number; -1 when there is none. Every
 * occurrence of a key is tried, so a nested or unrelated one first ({"user":{"level":"admin"},"level":"warn"}) does
 * not hide the line's own level.
 */
function jsonLevel(raw: string): number {
  for (const key of JSON_LEVEL_KEYS) {
    for (let k = raw.indexOf(key); k >= 0; k = raw.indexOf(key, k + 1)) {
      let i = k + key.length;
      while (raw.charCodeAt(i) === 32) i++;
      if (raw.charCodeAt(i) !== 58) continue;
      i++;
      while (raw.charCodeAt(i) === 32) i++;
      let level = -1;
      if (raw.charCodeAt(i) === 34) {
        const w = ++i;
        while (i < raw.length && i - w < 9 && ((raw.charCodeAt(i) | 0x20) >= 97 && (raw.charCodeAt(i) | 0x20) <= 122)) i++;
        if (raw.charCodeAt(i) === 34) level = levelOf(raw, w, i - w);
      } else {
        let n = 0;
        const d = i;
        while (raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) n = n * 10 + raw.charCodeAt(i++) - 48;
        if (i > d) level = numericLevel(n);
      }
      if (level >= 0) return level;
    }
  }
  return -1;
}

/**
 * Where the string value of a message key ("msg", "message", "text", "log") starts, just after its opening quote,
 * for the key whose quote is at `q`; -1 when there is none.
 */
function jsonMessageAfter(raw: string, q: number): number {
  let i: number;
  switch (raw.charCodeAt(q + 1)) {
    case 109: // m
      i = raw.startsWith('msg"', q + 1) ? q + 5 : raw.startsWith('message"', q + 1) ? q + 9 : -1;
      break;
    case 116: // t
      i = raw.startsWith('text"', q + 1) ? q + 6 : -1;
      break;
    case 108: // l
      i = raw.startsWith('log"', q + 1) ? q + 5 : -1;
      break;
    default:
      return -1;
  }
  if (i < 0) return -1;
  while (raw.charCodeAt(i) === 32) i++;
  if (raw.charCodeAt(i++) !== 58) return -1;
  while (raw.charCodeAt(i) === 32) i++;
  return raw.charCodeAt(i) === 34 ? i + 1 : -1;
}

/**
 * In a flat JSON line (no object nested in it), where the message JSON.parse picks starts: the first of the keys, in
 * JSON_MSG_KEYS order, that is followed by ":" and has a string value ({"type":"msg","msg":...} and {"msg":404,
 * "message":...} included); -1 when there is none. Each key is looked up with indexOf, as grep would.
 */
function flatJsonMessageAt(raw: string): number {
  for (const key of JSON_MSG_KEYS_QUOTED) {
    for (let q = raw.indexOf(key); q >= 0; q = raw.indexOf(key, q + 1)) {
      let i = q + key.length;
      while (raw.charCodeAt(i) === 32) i++;
      if (raw.charCodeAt(i) !== 58) continue; // a value such as "type":"msg"
      i++;
      while (raw.charCodeAt(i) === 32) i++;
      if (raw.charCodeAt(i) === 34) return i + 1;
      break; // this key's value is not a string ("msg":404): the next key
    }
  }
  return -1;
}

/** pino/bunyan numbers (10..60), and syslog severities (0..7). */
function numericLevel(n: number): number {
  if (n <= 7) return n <= 3 ? 3 : n === 4 ? 2 : n <= 6 ? 1 : 0;
  return n >= 50 ? 3 : n >= 40 ? 2 : n >= 30 ? 1 : 0;
}

function jsonTime(v: unknown): string | null {
  if (typeof v === 'string') return visible(v.length > TIME_CHARS ? v.slice(0, TIME_CHARS) + '…' : v);
  if (typeof v === 'number' && Number.isFinite(v)) {
    // Epoch seconds (possibly fractional) or milliseconds.
    const ms = v < 1e11 ? v * 1000 : v;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
  }
  return null;
}

export function newSegment(file: number, startByte: number, endByte: number, patterns: number): SegmentResult {
  return { file, startByte, endByte, lines: 0, levels: [0, 0, 0, 0, 0], matched: [0, 0, 0, 0, 0], acc: new Array(patterns).fill(null), start: null, pending: null, seenOther: false, bytesRead: 0 };
}

export class Matcher {
  readonly compiled: Compiled[] = [];
  /** Distinct required literals (latin1 bytes) of every scanned pattern. */
  private readonly literals: string[] = [];
  private readonly tables: LevelTable[] = [];
  /** Per scan call: where each literal next occurs in the current text (-2 unknown, -1 nowhere further). */
  private next = new Int32Array(0);
  /** The line being counted matched a start-up pattern (sinceStart only). */
  private startupHit = false;

  /** `patterns` in the order results are reported; run-start patterns are tested first on every line. */
  constructor(patterns: LogPattern[], private readonly sinceStart = false) {
    for (let l = 0; l < 4; l++) this.tables.push({ byFirst: new Array(256).fill(undefined), scanned: [], always: [], jsonRest: [], first: new Uint8Array(65536), other: false });
    const order = patterns.map((p, i) => ({ p, i })).sort((a, b) => Number(Boolean(b.p.runStart)) - Number(Boolean(a.p.runStart)) || a.i - b.i);
    for (const { p, i } of order) {
      const c: Compiled = { index: i, id: p.id, re: new RegExp(p.regex), runStart: p.runStart === true, startup: p.startup === true };
      this.compiled.push(c);
      const info = prefilterOf(p.regex);
      const prefixes = info.prefixes?.map(latin1Bytes) ?? null;
      const lits = info.literals?.map(latin1Bytes) ?? null;
      // JSON escapes quotes, backslashes, control and (some writers) non-ASCII characters: such literals prove nothing there.
      const jsonSafe = (xs: string[] | null) => (xs && xs.every((x) => /^[\x20-\x7e]*$/.test(x) && !/["\\/]/.test(x)) ? xs : null);
      for (const level of new Set(p.levels)) {
        const t = this.tables[LEVEL_INDEX[level]];
        if (prefixes) {
          const byByte = new Map<number, string[]>();
          for (const x of prefixes) byByte.set(x.charCodeAt(0), [...(byByte.get(x.charCodeAt(0)) ?? []), x]);
          const safe = jsonSafe(prefixes) !== null;
          for (const [b, xs] of byByte) (t.byFirst[b] ??= []).push({ p: c, prefixes: xs, jsonSafe: safe });
          // In a JSON line the prefix is checked where the message value starts, unless JSON may write it otherwise.
          if (!safe) t.jsonRest.push({ p: c, lits: jsonSafe(lits) });
          continue;
        }
        t.jsonRest.push({ p: c, lits: jsonSafe(lits) });
        if (lits) {
          t.scanned.push({
            p: c,
            lits: lits.map((x) => {
              const k = this.literals.indexOf(x);
              return k >= 0 ? k : this.literals.push(x) - 1;
            }),
          });
        } else t.always.push(c);
      }
    }
    for (const t of this.tables) {
      for (const b of t.byFirst) {
        for (const x of b?.flatMap((e) => e.prefixes) ?? []) {
          if (x.length > 1) t.first[(x.charCodeAt(0) << 8) | x.charCodeAt(1)] = 1;
          else t.first.fill(1, x.charCodeAt(0) << 8, (x.charCodeAt(0) + 1) << 8);
        }
      }
      t.other = t.scanned.length > 0 || t.always.length > 0;
    }
    this.next = new Int32Array(this.literals.length);
  }

  /** Scans the complete lines of s[from, to) (to is just past a newline, or the end of a final unterminated line). */
  scan(s: string, from: number, to: number, r: SegmentResult): void {
    this.next.fill(-2);
    const tables = this.tables;
    const levels = r.levels;
    const sinceStart = this.sinceStart;
    // The line count lives in a local while scanning and is written back before anything that reads it (record()).
    let lines = r.lines;
    let p = from;
    while (p < to) {
      let e = s.indexOf('\n', p);
      if (e < 0 || e > to) e = to;
      lines++;
      let end = e;
      // CR of a CRLF ending, and blanks after the message: a pattern anchored at its end ($) still matches.
      while (end > p && (s.charCodeAt(end - 1) === 13 || s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
      if (end > p) {
        // The daemon's own format, "[HH:MM:SS] LEVEL message" with the level padded to five, decided in a few reads
        // here in the loop (the general parser handles every other shape).
        let level = -1;
        if (s.charCodeAt(p) === 91 && s.charCodeAt(p + 9) === 93 && s.charCodeAt(p + 3) === 58 && s.charCodeAt(p + 10) === 32) {
          const c1 = s.charCodeAt(p + 12);
          const c2 = s.charCodeAt(p + 13);
          const c3 = s.charCodeAt(p + 14);
          const c4 = s.charCodeAt(p + 15);
          switch (s.charCodeAt(p + 11)) {
            case 73: // INFO
              if (c1 === 78 && c2 === 70 && c3 === 79 && c4 === 32) level = 1;
              break;
            case 69: // ERROR
              if (c1 === 82 && c2 === 82 && c3 === 79 && c4 === 82 && s.charCodeAt(p + 16) === 32) level = 3;
              break;
            case 87: // WARN
              if (c1 === 65 && c2 === 82 && c3 === 78 && c4 === 32) level = 2;
              break;
            case 68: // DEBUG
              if (c1 === 69 && c2 === 66 && c3 === 85 && c4 === 71 && s.charCodeAt(p + 16) === 32) level = 0;
              break;
          }
        }
        if (level >= 0) {
          let msg = p + 16;
          while (msg < end && s.charCodeAt(msg) === 32) msg++;
          const t = tables[level];
          const key = msg + 1 < end ? (s.charCodeAt(msg) << 8) | s.charCodeAt(msg + 1) : msg < end ? s.charCodeAt(msg) << 8 : -1;
          if ((key >= 0 && t.first[key] === 1) || t.other) {
            r.lines = lines;
            // Counted after matching: a run-start line (with sinceStart) resets the counts and then counts itself.
            const hit = this.match(s, p, end, msg, level, p + 1, p + 9, r);
            if (sinceStart) this.count(r, level, hit);
            else {
              levels[level]++;
              if (hit) r.matched[level]++;
            }
          } else if (sinceStart) {
            r.lines = lines;
            this.count(r, level, false);
          } else levels[level]++;
        } else {
          r.lines = lines;
          this.line(s, p, end, r);
        }
      }
      p = e + 1;
    }
    r.lines = lines;
  }

  private line(s: string, p: number, end: number, r: SegmentResult): void {
    const c = s.charCodeAt(p);
    let t0 = -1;
    let t1 = -1;
    let at = -1;
    if (c === 91) {
      // [HH:MM:SS] (the guide) or [2026-11-25T10:00:01.123Z] (ISO-8601)
      if (s.charCodeAt(p + 9) === 93 && s.charCodeAt(p + 3) === 58) t1 = p + 9;
      else {
        const lim = Math.min(end, p + 48);
        for (let k = p + 1; k < lim; k++) {
          if (s.charCodeAt(k) === 93) {
            t1 = k;
            break;
          }
        }
      }
      const d = s.charCodeAt(p + 1);
      if (t1 > 0 && d >= 48 && d <= 57) {
        t0 = p + 1;
        at = t1 + 1;
      }
    } else if (c >= 48 && c <= 57) {
      // 2026-11-25T10:00:01.123Z LEVEL msg, or 2026-11-25 10:00:01,123 LEVEL msg
      if (s.charCodeAt(p + 4) === 45 && s.charCodeAt(p + 7) === 45) {
        let k = p + 10;
        if (s.charCodeAt(k) === 32) k++;
        const lim = Math.min(end, p + 48);
        while (k < lim && s.charCodeAt(k) !== 32) k++;
        if (k < lim) {
          t0 = p;
          t1 = k;
          at = k;
        }
      }
    } else if (c === 123) {
      this.jsonLine(s, p, end, r);
      return;
    }
    let level = UNPARSED;
    let msg = end;
    if (at > 0) {
      let i = at;
      while (i < end && s.charCodeAt(i) === 32) i++;
      const w = i;
      while (i < end && i - w < 9) {
        const ch = s.charCodeAt(i) | 0x20;
        if (ch < 97 || ch > 122) break;
        i++;
      }
      const after = i < end ? s.charCodeAt(i) : 32;
      const lv = i > w && (after === 32 || after === 58 || after === 9) ? levelOf(s, w, i - w) : -1;
      if (lv >= 0 && i > at) {
        level = lv;
        if (s.charCodeAt(i) === 58) i++;
        while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
        msg = i;
      }
    }
    this.count(r, level, level !== UNPARSED && this.match(s, p, end, msg, level, t0, t1, r));
  }

  /** Counts a line by level; with sinceStart, keeps start-up lines aside until it is clear whether a run starts after them. */
  private count(r: SegmentResult, level: number, hit: boolean): void {
    r.levels[level]++;
    if (hit) r.matched[level]++;
    if (!this.sinceStart) return;
    const q = r.pending;
    if (this.startupHit || (level === UNPARSED && q !== null)) {
      // A start-up line (or unparsed output such as a warning of node itself in between): part of the burst.
      q!.lines++;
      q!.levels[level]++;
      if (hit) q!.matched[level]++;
    } else if (level !== UNPARSED) {
      r.seenOther = true;
      r.pending = null;
    }
    this.startupHit = false;
  }

  /** Tests the line's message against the patterns of its level whose prefilter passes; true if any matched. */
  private match(s: string, p: number, end: number, msg: number, level: number, t0: number, t1: number, r: SegmentResult): boolean {
    const t = this.tables[level];
    let text: string | undefined;
    let hit = false;
    if (msg < end) {
      const bucket = t.byFirst[s.charCodeAt(msg)];
      if (bucket !== undefined) {
        for (let b = 0; b < bucket.length; b++) {
          const xs = bucket[b].prefixes;
          for (let k = 0; k < xs.length; k++) {
            if (s.startsWith(xs[k], msg)) {
              text ??= decode(s.slice(msg, end));
              if (this.test(bucket[b].p, text, r, s, p, end, t0, t1)) hit = true;
              break;
            }
          }
        }
      }
    }
    for (let b = 0; b < t.scanned.length; b++) {
      const lits = t.scanned[b].lits;
      for (let k = 0; k < lits.length; k++) {
        const li = lits[k];
        let at = this.next[li];
        if (at === -2 || (at >= 0 && at < msg)) at = this.next[li] = s.indexOf(this.literals[li], msg);
        if (at >= 0 && at < end) {
          text ??= decode(s.slice(msg, end));
          if (this.test(t.scanned[b].p, text, r, s, p, end, t0, t1)) hit = true;
          break;
        }
      }
    }
    for (let b = 0; b < t.always.length; b++) {
      text ??= decode(s.slice(msg, end));
      if (this.test(t.always[b], text, r, s, p, end, t0, t1)) hit = true;
    }
    return hit;
  }

  private test(cp: Compiled, text: string, r: SegmentResult, s: string, p: number, end: number, t0: number, t1: number): boolean {
    const m = cp.re.exec(text);
    if (!m) return false;
    this.record(cp, r, s, p, end, t0 >= 0 ? visible(decode(s.slice(t0, t1))) : null, m.groups);
    return true;
  }

  private jsonLine(s: string, p: number, end: number, r: SegmentResult): void {
    const raw = s.slice(p, end);
    let level = jsonLevel(raw);
    if (level < 0) level = UNPARSED;
    let hit = false;
    if (level !== UNPARSED) {
      // Candidates without parsing: prefixes where the message value starts, required literals anywhere in the line.
      const t = this.tables[level];
      let cands: Compiled[] | undefined;
      const admit = (at: number) => {
        if (at < 0 || at + 1 >= raw.length || t.first[(raw.charCodeAt(at) << 8) | raw.charCodeAt(at + 1)] !== 1) return;
        for (const e of t.byFirst[raw.charCodeAt(at)] ?? []) {
          if (e.jsonSafe && !cands?.includes(e.p) && e.prefixes.some((x) => raw.startsWith(x, at))) (cands ??= []).push(e.p);
        }
      };
      // A flat line (the usual one) has its message where flatJsonMessageAt says; in a line with a nested object the
      // first "msg" may be someone else's ({"ctx":{"msg":"x"},"msg":"..."}), so every message key is tried.
      if (raw.indexOf('{', 1) < 0) admit(flatJsonMessageAt(raw));
      else for (let q = raw.indexOf('"'); q >= 0; q = raw.indexOf('"', q + 1)) admit(jsonMessageAfter(raw, q));
      for (const { p: cp, lits } of t.jsonRest) if (!lits || lits.some((x) => raw.includes(x))) (cands ??= []).push(cp);
      if (cands) {
        let obj: Record<string, unknown> | null = null;
        try {
          const v = JSON.parse(decode(raw)) as unknown;
          if (v && typeof v === 'object' && !Array.isArray(v)) obj = v as Record<string, unknown>;
        } catch {
          obj = null;
        }
        const key = obj ? JSON_MSG_KEYS.find((k) => typeof obj![k] === 'string') : undefined;
        if (obj && key) {
          const tk = JSON_TIME_KEYS.find((k) => obj![k] !== undefined);
          // Its first line, as the daemon writes only the first line of a multi-line message (a stack trace follows).
          const full = obj[key] as string;
          const br = full.search(/[\r\n]/);
          const message = (br >= 0 ? full.slice(0, br) : full).trimEnd();
          for (const cp of cands) {
            const mm = cp.re.exec(message);
            if (mm) {
              this.record(cp, r, s, p, end, tk ? jsonTime(obj[tk]) : null, mm.groups);
              hit = true;
            }
          }
        }
      }
    }
    this.count(r, level, hit);
  }

  private record(cp: Compiled, r: SegmentResult, s: string, p: number, end: number, time: string | null, groups: Record<string, string> | undefined): void {
    const line = r.lines;
    const values: Record<string, string> = {};
    if (groups) for (const k in groups) values[k] = clipWords(visible(groups[k] ?? ''), VALUE_CHARS);
    const text = () => {
      // One byte more than is shown when the line is longer: whether the cut falls inside a word.
      const cut = end - p > SAMPLE_CHARS;
      const t = visible(decode(s.slice(p, cut ? p + SAMPLE_CHARS + 1 : end)));
      return cut || t.length > SAMPLE_CHARS ? clipWords(t, Math.min(t.length - 1, SAMPLE_CHARS)) : t;
    };
    if (cp.runStart) {
      let scopeLine = line;
      let carry = !r.seenOther;
      if (this.sinceStart) {
        // A new daemon run: what came before it is another run's story, except its own start-up lines.
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
    addHit(r.acc, cp.index, line, time, values, text);
    if (cp.startup && this.sinceStart) {
      this.startupHit = true;
      const q = (r.pending ??= { firstLine: line, lines: 0, levels: [0, 0, 0, 0, 0], matched: [0, 0, 0, 0, 0], acc: new Array(r.acc.length).fill(null), fromStart: !r.seenOther });
      addHit(q.acc, cp.index, line, time, values, text);
    }
  }
}

function addHit(acc: Array<PatternAcc | null>, i: number, line: number, time: string | null, values: Record<string, string>, text: () => string): void {
  let a = acc[i];
  if (a === null) a = acc[i] = { count: 0, first: { line, time }, last: { line, time, values }, samples: [] };
  a.count++;
  a.last = { line, time, values };
  if (a.samples.length < SAMPLES) a.samples.push({ line, text: text() });
}
