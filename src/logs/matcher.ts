// The log analyser's inner loop: dispatches each line to the patterns of its level whose literal prefilter passes (formats: line-formats.ts; run scoping: run-scope.ts).
import { visible } from '../rules/language/escape.js';
import { clipWords } from './clip-words.js';
import { bareLevel, decode, flatJsonMessageAt, prefix, prefixEnd, jsonLevel, jsonMessageAfter, jsonTime, JSON_MSG_KEYS, JSON_TIME_KEYS, LEVEL_INDEX, parsed, parseTextLine, UNPARSED } from './line-formats.js';
import type { LogPattern } from './pattern-schema.js';
import { latin1Bytes } from './pattern-types.js';
import { prefilterOf } from './prefilters.js';
import { precedence, yields, type Precedence } from './family.js';
import { addHit, holdStartupHit, scopeBurst, startRun, type SegmentResult } from './run-scope.js';

/**
 * Why it looks like this: a log of 300 MB has millions of lines and ~1% of them matter. Text is handled as latin1
 * (one char per byte, so invalid UTF-8 cannot break anything and V8 searches it with memchr), each line's level is
 * read from a few bytes, and a pattern's regex runs only on lines of its levels whose message starts with one of
 * its literal prefixes (or contains one of its required literals), as grep's prefilter does. Only those lines are
 * decoded as UTF-8.
 */

interface Compiled {
  index: number;
  id: string;
  re: RegExp;
  runStart: boolean;
  startup: boolean;
  /** Members of its family it yields a line to (family.ts); empty outside a family. */
  before: Precedence[];
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
  /** Every pattern of the level, in order: a JSON line with an escape in it (\u0020, \/) may spell a literal otherwise. */
  all: Compiled[];
}

const SAMPLE_CHARS = 400;
/**
 * The most of one message a regex sees: a longer one is matched on its first MATCH_CHARS characters (counted in
 * the segment's cutLines). The shipped regexes are linear (build check), but a line of megabytes would still cost its
 * length for every pattern it reaches, and a pattern from elsewhere may be slower than the check can prove.
 */
export const MATCH_CHARS = 64 * 1024;
/** Stack trace lines kept under a sample. */
const TRACE_LINES = 8;
/** Longest named-group value kept: it is quoted in messages, remediation commands and the doctor's evidence lines. */
const VALUE_CHARS = 200;

export class Matcher {
  readonly compiled: Compiled[] = [];
  /** Distinct required literals (latin1 bytes) of every scanned pattern. */
  private readonly literals: string[] = [];
  private readonly tables: LevelTable[] = [];
  /** Per scan call: where each literal next occurs in the current text (-2 unknown, -1 nowhere further). */
  private next = new Int32Array(0);
  /** The line being counted matched a start-up pattern (sinceStart only). */
  private startupHit = false;
  /** The last leveled line was an ERROR (or a stack trace line after one): an indented line next is its context. */
  private inTrace = false;
  /** The sample of the ERROR line the stack trace below belongs to, when it was kept as one. */
  private traceSample: { context?: string[] } | null = null;
  /** The line before was the ERROR line itself (its error's own "TypeError: ..." line may follow). */
  private justError = false;

  /** `patterns` in the order results are reported; run-start patterns are tested first on every line. */
  constructor(patterns: LogPattern[], private readonly sinceStart = false) {
    for (let l = 0; l < 4; l++) this.tables.push({ byFirst: new Array(256).fill(undefined), scanned: [], always: [], jsonRest: [], first: new Uint8Array(65536), other: false, all: [] });
    const families = precedence(patterns);
    const order = patterns.map((p, i) => ({ p, i })).sort((a, b) => Number(Boolean(b.p.runStart)) - Number(Boolean(a.p.runStart)) || a.i - b.i);
    for (const { p, i } of order) {
      const c: Compiled = { index: i, id: p.id, re: new RegExp(p.regex), runStart: p.runStart === true, startup: p.startup === true, before: families[i] };
      this.compiled.push(c);
      const info = prefilterOf(p.regex);
      const prefixes = info.prefixes?.map(latin1Bytes) ?? null;
      const lits = info.literals?.map(latin1Bytes) ?? null;
      // JSON escapes quotes, backslashes, control and (some writers) non-ASCII characters: such literals prove nothing there.
      const jsonSafe = (xs: string[] | null) => (xs && xs.every((x) => /^[\x20-\x7e]*$/.test(x) && !/["\\/]/.test(x)) ? xs : null);
      for (const level of new Set(p.levels)) {
        const t = this.tables[LEVEL_INDEX[level]];
        t.all.push(c);
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

  /** A new segment begins (a thread takes pieces in any order): no stack trace continues into it from the last one. */
  startSegment(): void {
    this.inTrace = this.justError = false;
    this.traceSample = null;
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
          this.inTrace = this.justError = level === 3;
          this.traceSample = null;
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
    if (s.charCodeAt(p) === 123 && s.startsWith('{"log":"', p)) {
      // Docker's json-file driver: {"log":"<the line as written>\n","stream":"stderr","time":"..."}
      const inner = dockerLog(s.slice(p, end));
      if (inner !== null) {
        let e = inner.length;
        while (e > 0 && (inner.charCodeAt(e - 1) === 13 || inner.charCodeAt(e - 1) === 32)) e--;
        if (e > 0) this.line(inner, 0, e, r);
        return;
      }
    }
    if (this.inTrace && this.traceLine(s, p, end, r)) return;
    this.justError = false;
    this.traceSample = null;
    if (!parseTextLine(s, p, end)) {
      this.jsonLine(s, p, end, r);
      return;
    }
    if (parsed.level === UNPARSED) {
      // A line another program wrapped (syslog, journald, log show, docker logs -t): the daemon's line inside it.
      const inner = prefixEnd(s, p, end);
      if (inner > p && inner < end) {
        const carried = prefix.level;
        if (s.charCodeAt(inner) === 123) {
          this.jsonLine(s, inner, end, r, carried);
          return;
        }
        if ((!parseTextLine(s, inner, end) || parsed.level === UNPARSED) && !bareLevel(s, inner, end) && carried >= 0) {
          parsed.level = carried;
          parsed.msg = inner;
          parsed.t0 = parsed.t1 = -1;
        }
        if (parsed.level !== UNPARSED && parsed.t0 < 0) {
          // The wrapper's time stamp is the line's time when the inner line has none.
          parsed.t0 = prefix.t0;
          parsed.t1 = prefix.t1;
        }
      }
    }
    const { level, msg, t0, t1 } = parsed;
    this.inTrace = this.justError = level === 3;
    this.count(r, level, level !== UNPARSED && this.match(s, p, end, msg, level, t0, t1, r));
  }

  /**
   * A line of the JavaScript stack trace under an ERROR line ("    at f (x.js:1:2)", "TypeError: x" just below it,
   * "  code: 'EIO'", "}"): context of that line, kept with its sample (at most TRACE_LINES), not a line of its own
   * in the counts. Its line number still counts, so later lines keep theirs.
   */
  private traceLine(s: string, p: number, end: number, r: SegmentResult): boolean {
    const c = s.charCodeAt(p);
    let isTrace = c === 32 || c === 9 || (c === 125 && end - p <= 2);
    if (!isTrace && this.justError) {
      // "TypeError: ...", "Error [ERR_X]: ..." right below the ERROR line: the error's own first line
      const colon = s.indexOf(':', p);
      if (colon > p && colon - p <= 64) {
        const head = s.slice(p, colon);
        isTrace = /^[A-Za-z_$][\w$.]*(?:Error|Exception)(?: \[[\w.]+\])?$/.test(head);
      }
    }
    if (!isTrace) return false;
    const ctx = this.traceSample;
    if (ctx) {
      const list = (ctx.context ??= []);
      if (list.length < TRACE_LINES) list.push(clipWords(visible(decode(s.slice(p, Math.min(end, p + SAMPLE_CHARS + 1)))), SAMPLE_CHARS));
    }
    r.context++;
    this.justError = false;
    return true;
  }

  /** Counts a line by level; with sinceStart, keeps start-up lines aside until it is clear whether a run starts after them. */
  private count(r: SegmentResult, level: number, hit: boolean): void {
    r.levels[level]++;
    if (hit) r.matched[level]++;
    if (!this.sinceStart) return;
    scopeBurst(r, level, hit, this.startupHit);
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
              text ??= this.matchText(s, msg, end, r);
              if (this.test(bucket[b].p, text, level, r, s, p, end, t0, t1)) hit = true;
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
          text ??= this.matchText(s, msg, end, r);
          if (this.test(t.scanned[b].p, text, level, r, s, p, end, t0, t1)) hit = true;
          break;
        }
      }
    }
    for (let b = 0; b < t.always.length; b++) {
      text ??= this.matchText(s, msg, end, r);
      if (this.test(t.always[b], text, level, r, s, p, end, t0, t1)) hit = true;
    }
    return hit;
  }

  /** The message as the regexes see it: decoded, and cut at MATCH_CHARS. */
  private matchText(s: string, msg: number, end: number, r: SegmentResult): string {
    if (end - msg <= MATCH_CHARS) return decode(s.slice(msg, end));
    r.cutLines++;
    return decode(s.slice(msg, msg + MATCH_CHARS));
  }

  private test(cp: Compiled, text: string, level: number, r: SegmentResult, s: string, p: number, end: number, t0: number, t1: number): boolean {
    const m = cp.re.exec(text);
    // Only a line that matched pays for its family's precedence (a few regexes, on ~1% of lines).
    if (!m || (cp.before.length > 0 && yields(cp.before, level, text))) return false;
    this.record(cp, r, s, p, end, t0 >= 0 ? visible(decode(s.slice(t0, t1))) : null, m.groups);
    return true;
  }

  private jsonLine(s: string, p: number, end: number, r: SegmentResult, carried = -1): void {
    const raw = s.slice(p, end);
    let level = jsonLevel(raw);
    if (level < 0) level = carried;
    if (level < 0) level = UNPARSED;
    this.inTrace = this.justError = level === 3;
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
      // The prefilter's JSON-safe literals hold no quote, backslash, slash or non-ASCII character, so the one escape that
      // can spell them otherwise is \uXXXX ("failed:\u0020E"): such a line is tried against every pattern of its level.
      if (raw.indexOf('\\u') >= 0) cands = t.all;
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
          const br = full.indexOf('\n');
          let message = (br >= 0 ? full.slice(0, br) : full).trimEnd();
          if (message.length > MATCH_CHARS) {
            message = message.slice(0, MATCH_CHARS);
            r.cutLines++;
          }
          for (const cp of cands) {
            const mm = cp.re.exec(message);
            if (mm && !(cp.before.length > 0 && yields(cp.before, level, message))) {
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
    if (cp.runStart) startRun(r, line, time, this.sinceStart);
    const sample = addHit(r.acc, cp.index, line, time, values, text);
    if (sample) this.traceSample = sample;
    if (cp.startup && this.sinceStart) {
      this.startupHit = true;
      holdStartupHit(r, cp.index, line, time, values, text);
    }
  }
}


/** The line inside a Docker json-file record, as latin1 bytes without its final newline; null when it is not one. */
function dockerLog(raw: string): string | null {
  // The closing quote: the first one not escaped (an odd run of backslashes before it escapes it).
  let k = raw.indexOf('"', 8);
  for (;;) {
    if (k < 0) return null;
    let b = k - 1;
    while (raw.charCodeAt(b) === 92) b--;
    if ((k - 1 - b) % 2 === 0) break;
    k = raw.indexOf('"', k + 1);
  }
  // The usual record has no escape but its final "\n": its bytes are the line's, no parsing needed.
  const esc = raw.indexOf('\\', 8);
  if (esc === k - 2 && raw.charCodeAt(k - 1) === 110) return raw.slice(8, k - 2);
  if (esc < 0 || esc > k) return raw.slice(8, k);
  try {
    const v = JSON.parse(decode(raw.slice(7, k + 1))) as string;
    return latin1Bytes(v.endsWith('\r\n') ? v.slice(0, -2) : v.endsWith('\n') ? v.slice(0, -1) : v);
  } catch {
    return null;
  }
}
