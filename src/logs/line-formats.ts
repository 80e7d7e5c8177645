// The log line formats the analyser recognises in raw bytes: the daemon's own, ISO-8601 and bracketed times, JSON lines (level, message, time).
import type { Level } from './pattern-types.js';
import { visible } from '../rules/language/escape.js';

/** Index of lines with no recognisable time and level (stack traces, other programs' output). */
export const UNPARSED = 4;
export const LEVEL_INDEX: Record<Level, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

const NON_ASCII = /[\x80-\xff]/;
/** Keys a JSON line's level may have, the usual one first (each is looked up with indexOf: no regex, no garbage). */
const JSON_LEVEL_KEYS = ['"level"', '"Level"', '"severity"', '"lvl"', '"loglevel"', '"levelname"', '"log.level"', '"Severity"', '"LEVEL"'];
/** Capitalised keys too (Go's and .NET's loggers write "Level" and "Msg"/"Message"), each just after its usual form: a miss is an indexOf over the line. */
export const JSON_MSG_KEYS = ['msg', 'Msg', 'message', 'Message', 'text', 'log', 'MSG', 'Text'];
const JSON_MSG_KEYS_QUOTED = JSON_MSG_KEYS.map((k) => `"${k}"`);
export const JSON_TIME_KEYS = ['ts', 'time', 'timestamp', '@timestamp', 't', 'date', 'Time', 'Timestamp', 'TS'];

/** Longest JSON time value quoted (the text format's time is at most 48 characters by construction). */
const TIME_CHARS = 48;
/**
 * Where a text line's time and message are and what its level is (parseTextLine fills it: one object reused for every
 * line, so the hot loop allocates nothing). t0/t1: the time's bounds or -1; msg: where the message starts.
 */
export const parsed = { level: UNPARSED, msg: 0, t0: -1, t1: -1 };

/**
 * Reads a text line's time and level: "[HH:MM:SS] LEVEL msg" (the guide), "[2026-11-25T10:00:01.123Z] LEVEL msg",
 * "2026-11-25T10:00:01.123Z LEVEL msg" and "2026-11-25 10:00:01,123 LEVEL msg". false for a JSON line ("{"): the
 * caller reads it with the JSON helpers below. A line of no known shape is UNPARSED, its message empty.
 */
export function parseTextLine(s: string, p: number, end: number): boolean {
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
  } else if (c === 123) return false;
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
  parsed.level = level;
  parsed.msg = msg;
  parsed.t0 = t0;
  parsed.t1 = t1;
  return true;
}

export function decode(latin1: string): string {
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
export function jsonLevel(raw: string): number {
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
export function jsonMessageAfter(raw: string, q: number): number {
  let i: number;
  switch (raw.charCodeAt(q + 1)) {
    case 109: // m
      i = raw.startsWith('msg"', q + 1) ? q + 5 : raw.startsWith('message"', q + 1) ? q + 9 : -1;
      break;
    case 77: // M
      i = raw.startsWith('Msg"', q + 1) || raw.startsWith('MSG"', q + 1) ? q + 5 : raw.startsWith('Message"', q + 1) ? q + 9 : -1;
      break;
    case 116: // t
      i = raw.startsWith('text"', q + 1) ? q + 6 : -1;
      break;
    case 84: // T
      i = raw.startsWith('Text"', q + 1) ? q + 6 : -1;
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
export function flatJsonMessageAt(raw: string): number {
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

export function jsonTime(v: unknown): string | null {
  if (typeof v === 'string') return visible(v.length > TIME_CHARS ? v.slice(0, TIME_CHARS) + '…' : v);
  if (typeof v === 'number' && Number.isFinite(v)) {
    // Epoch seconds (possibly fractional) or milliseconds.
    const ms = v < 1e11 ? v * 1000 : v;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
  }
  return null;
}


/** The level a prefix carried (`log show`'s Type column), or -1; set by prefixEnd. */
export const prefix = { level: -1, t0: -1, t1: -1 };

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Past the run of spaces (and tabs) at i. */
function spaces(s: string, i: number, end: number): number {
  while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

/** Past the token (no space) at i. */
function token(s: string, i: number, end: number): number {
  while (i < end && s.charCodeAt(i) !== 32 && s.charCodeAt(i) !== 9) i++;
  return i;
}

/** "2026-11-25T10:00:01.123+01:00" or "2026-11-25 10:00:01.123456+0100" (one space allowed after the date): its end, or -1. */
function isoEnd(s: string, i: number, end: number): number {
  if (!(isDigit(s.charCodeAt(i)) && s.charCodeAt(i + 4) === 45 && s.charCodeAt(i + 7) === 45 && s.charCodeAt(i + 13) === 58)) return -1;
  let k = i + 11;
  k = token(s, k, Math.min(end, i + 48));
  return k < end ? k : -1;
}

/** After a syslog host: the tag ("opta[4242]:" or "opta:") and the space after it; -1 when it is not one. */
function tagEnd(s: string, i: number, end: number): number {
  const h = token(s, i, end); // host
  if (h === i || h >= end) return -1;
  const t = spaces(s, h, end);
  const lim = Math.min(end, t + 64);
  for (let k = t; k < lim; k++) {
    const c = s.charCodeAt(k);
    if (c === 58 && (s.charCodeAt(k + 1) === 32 || k + 1 === end)) return spaces(s, k + 1, end);
    if (c === 32) return -1;
  }
  return -1;
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/**
 * Where the line a program wrote starts inside a line another program wrapped: syslog ("Nov 25 10:00:01 host
 * opta[42]: ...", with or without "<PRI>"), journald (`journalctl -o short-iso`: "2026-11-25T10:00:01+0100 host
 * opta[42]: ..."), macOS `log show` ("2026-11-25 10:00:01.123456+0100 0x1a2b Error 0x0 4242 0 opta: ...", whose
 * Type column is kept in prefix.level), `docker logs -t` ("2026-11-25T10:00:01.123456789Z ..."). -1 for none of
 * those. Read only for lines the usual formats did not parse, so it costs the daemon's own lines nothing.
 */
export function prefixEnd(s: string, p: number, end: number): number {
  prefix.level = -1;
  prefix.t0 = prefix.t1 = -1;
  let i = p;
  if (s.charCodeAt(i) === 60) {
    // <PRI> (RFC 3164 on the wire, RFC 5424): severity is PRI & 7
    let k = i + 1;
    let n = 0;
    while (k < i + 5 && isDigit(s.charCodeAt(k))) n = n * 10 + s.charCodeAt(k++) - 48;
    if (s.charCodeAt(k) !== 62 || k === i + 1) return -1;
    prefix.level = numericLevel(n & 7);
    i = k + 1;
    // RFC 5424: "<134>1 2026-11-25T10:00:01Z host app pid msgid - msg" (structured data "-" only)
    if (s.charCodeAt(i) === 49 && s.charCodeAt(i + 1) === 32) {
      const t = isoEnd(s, i + 2, end);
      if (t < 0) return -1;
      prefix.t0 = i + 2;
      prefix.t1 = t;
      let k2 = t;
      for (let f = 0; f < 5; f++) k2 = token(s, spaces(s, k2, end), end); // host app procid msgid sd
      return k2 < end ? spaces(s, k2, end) : -1;
    }
  }
  const c = s.charCodeAt(i);
  if (c >= 65 && c <= 90) {
    // RFC 3164: "Nov 25 10:00:01 host tag[pid]: msg" ("Nov  5" pads the day with a space)
    const m = MONTHS.indexOf(s.slice(i, i + 3));
    if (m < 0 || m % 3 !== 0 || s.charCodeAt(i + 3) !== 32) return -1;
    const d = spaces(s, i + 4, end);
    if (!isDigit(s.charCodeAt(d)) || s.charCodeAt(d + (isDigit(s.charCodeAt(d + 1)) ? 2 : 1)) !== 32) return -1;
    const t = d + (isDigit(s.charCodeAt(d + 1)) ? 3 : 2);
    if (s.charCodeAt(t + 2) !== 58 || s.charCodeAt(t + 5) !== 58 || s.charCodeAt(t + 8) !== 32) return -1;
    prefix.t0 = i;
    prefix.t1 = t + 8;
    return tagEnd(s, t + 9, end);
  }
  const t = isoEnd(s, i, end);
  if (t < 0) return -1;
  prefix.t0 = i;
  prefix.t1 = t;
  const a = spaces(s, t, end);
  if (s.charCodeAt(a) === 48 && s.charCodeAt(a + 1) === 120) {
    // log show: thread, Type, activity, pid, ttl, "process:" (perhaps "(library) [subsystem:category]" after it)
    let k = spaces(s, token(s, a, end), end);
    const w = k;
    k = token(s, k, end);
    switch (s.slice(w, k)) {
      case 'Error':
      case 'Fault':
        prefix.level = 3;
        break;
      case 'Default':
      case 'Info':
      case 'Notice':
        prefix.level = 1;
        break;
      case 'Debug':
        prefix.level = 0;
        break;
      default:
        return -1;
    }
    for (let f = 0; f < 3; f++) k = token(s, spaces(s, k, end), end); // activity pid ttl
    k = spaces(s, k, end);
    const colon = s.indexOf(': ', k);
    return colon > 0 && colon < end ? colon + 2 : -1;
  }
  // docker logs -t: the daemon's own line follows the time stamp; journald short-iso: host and tag follow it
  const c2 = s.charCodeAt(a);
  if (c2 === 91 || c2 === 123) return a;
  const tag = tagEnd(s, a, end);
  return tag >= 0 ? tag : a;
}

/** A bare level word at i ("ERROR msg", "error: msg"): its index and where the message starts in parsed; false when there is none. */
export function bareLevel(s: string, i: number, end: number): boolean {
  let k = i;
  while (k < end && k - i < 9) {
    const ch = s.charCodeAt(k) | 0x20;
    if (ch < 97 || ch > 122) break;
    k++;
  }
  const after = k < end ? s.charCodeAt(k) : 32;
  if (k === i || !(after === 32 || after === 58 || after === 9)) return false;
  const lv = levelOf(s, i, k - i);
  if (lv < 0) return false;
  if (after === 58) k++;
  parsed.level = lv;
  parsed.msg = spaces(s, k, end);
  parsed.t0 = -1;
  parsed.t1 = -1;
  return true;
}
