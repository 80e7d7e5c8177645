// `--explain` for a log pattern id: the lines of the current run it matched (with their values) and its near misses, from a bounded window of log text.
import fs from 'node:fs';
import type { OptaPaths } from '../core/paths.js';
import { visible } from '../rules/language/escape.js';
import { clipWords } from './clip-words.js';
import { CURRENT_RUN_MAX_BYTES } from './current-run.js';
import { precedence, yields } from './family.js';
import { closeInputs, defaultInputs, openInputs } from './inputs.js';
import { JSON_MSG_KEYS, JSON_TIME_KEYS, jsonLevel, jsonTime, LEVEL_INDEX, parsed, parseTextLine, UNPARSED } from './line-formats.js';
import { MATCH_CHARS } from './matcher.js';
import type { LogPattern } from './pattern-schema.js';
import { LEVELS } from './pattern-types.js';
import { prefilterOf } from './prefilters.js';

/** Lines shown of each kind (the newest); the totals are always given. */
export const SHOWN_MATCHES = 10;
export const SHOWN_NEAR_MISSES = 5;
/** A line shown is cut at this many characters, a captured value at VALUE_CHARS (as the analyser's samples are). */
const LINE_CHARS = 400;
const VALUE_CHARS = 200;

/** Log text to look through: a file (or a bundle's section) as a person names it, and its first line's number when it was read from its start. */
export interface LogText {
  display: string;
  text: string;
  firstLine: number | null;
}

export interface ExplainedLine {
  file: string;
  line: number | null;
  time: string | null;
  level: string;
  text: string;
  /** Named groups of the match (matched lines); empty for a near miss. */
  values: Record<string, string>;
  /** A near miss that the regex did match but whose family gave the line to another member. */
  countedAs?: string;
}

export interface PatternLines {
  /** Where the current run begins (the last run-start line), or null when none is in the text. */
  run: { file: string; line: number | null; time: string | null } | null;
  /** Lines looked at (those of the current run). */
  lines: number;
  /** What the prefilter knows of every match: it starts with one of `prefixes`, or contains one of `literals`. */
  prefixes: string[] | null;
  literals: string[] | null;
  /** The literal start every match shares (the prefixes' common start): a line with it that did not match is a near miss. */
  shared: string | null;
  matched: { total: number; shown: ExplainedLine[] };
  nearMisses: { total: number; shown: ExplainedLine[] };
}

interface Parsed {
  file: string;
  line: number | null;
  level: number;
  msg: string;
  time: string | null;
  raw: string;
}

function parseLine(raw: string): { level: number; msg: string; time: string | null } {
  if (raw.startsWith('{')) {
    const level = jsonLevel(raw);
    let obj: Record<string, unknown> | null = null;
    try {
      const v = JSON.parse(raw) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) obj = v as Record<string, unknown>;
    } catch {
      obj = null;
    }
    const key = obj ? JSON_MSG_KEYS.find((k) => typeof obj![k] === 'string') : undefined;
    if (!obj || !key || level < 0) return { level: UNPARSED, msg: '', time: null };
    const full = obj[key] as string;
    const br = full.indexOf('\n');
    const tk = JSON_TIME_KEYS.find((k) => obj![k] !== undefined);
    return { level, msg: (br >= 0 ? full.slice(0, br) : full).trimEnd(), time: tk ? jsonTime(obj[tk]) : null };
  }
  parseTextLine(raw, 0, raw.length);
  const { level, msg, t0, t1 } = parsed;
  return { level, msg: level === UNPARSED ? '' : raw.slice(msg), time: t0 >= 0 ? raw.slice(t0, t1) : null };
}

function shownLine(p: Parsed, values: Record<string, string>, countedAs?: string): ExplainedLine {
  const v: Record<string, string> = {};
  for (const k in values) v[k] = clipWords(visible(values[k] ?? ''), VALUE_CHARS);
  const t = visible(p.raw);
  return {
    file: p.file,
    line: p.line,
    time: p.time === null ? null : visible(p.time),
    level: LEVELS[p.level] ?? 'unparsed',
    text: t.length > LINE_CHARS ? clipWords(t, LINE_CHARS) : t,
    values: v,
    ...(countedAs ? { countedAs } : {}),
  };
}

/** The longest start all of `xs` share (null when they share none). */
function commonStart(xs: string[]): string | null {
  let n = xs[0].length;
  for (const x of xs) {
    let k = 0;
    while (k < n && k < x.length && x[k] === xs[0][k]) k++;
    n = k;
  }
  return n > 0 ? xs[0].slice(0, n) : null;
}

/**
 * The lines of `texts` a pattern matched in the current run (after the last run-start line, as the doctor counts),
 * and its near misses: lines of one of its levels whose message starts with its literal prefix (or, without one,
 * holds a required literal) that it did not match, or that its family counted under another member.
 */
export function patternLines(texts: LogText[], patterns: LogPattern[], id: string): PatternLines {
  const index = patterns.findIndex((p) => p.id === id);
  const pattern = patterns[index];
  const re = new RegExp(pattern.regex);
  const before = precedence(patterns)[index];
  const starts = patterns.filter((p) => p.runStart).map((p) => ({ re: new RegExp(p.regex), levels: p.levels.map((l) => LEVEL_INDEX[l]) }));
  const all: Parsed[] = [];
  let runAt = -1;
  for (const t of texts) {
    const rows = t.text.split('\n');
    if (rows.length && rows[rows.length - 1] === '') rows.pop();
    rows.forEach((row, k) => {
      const raw = row.replace(/[\r \t]+$/, '');
      if (!raw) return;
      const { level, msg, time } = parseLine(raw);
      const p: Parsed = { file: t.display, line: t.firstLine === null ? null : t.firstLine + k, level, msg: msg.length > MATCH_CHARS ? msg.slice(0, MATCH_CHARS) : msg, time, raw };
      if (level !== UNPARSED && starts.some((s) => s.levels.includes(level) && s.re.test(p.msg))) runAt = all.length;
      all.push(p);
    });
  }
  const run = runAt >= 0 ? all.slice(runAt) : all;
  const { prefixes, literals } = prefilterOf(pattern.regex);
  const shared = prefixes?.length ? commonStart(prefixes) : null;
  const levels = new Set(pattern.levels.map((l) => LEVEL_INDEX[l]));
  const matched: ExplainedLine[] = [];
  const near: ExplainedLine[] = [];
  let matchedTotal = 0;
  let nearTotal = 0;
  for (const p of run) {
    if (!levels.has(p.level)) continue;
    const m = re.exec(p.msg);
    const yielded = m !== null && before.length > 0 && yields(before, p.level, p.msg);
    if (m && !yielded) {
      matchedTotal++;
      matched.push(shownLine(p, m.groups ?? {}));
      if (matched.length > SHOWN_MATCHES) matched.shift();
      continue;
    }
    const close = shared ? p.msg.startsWith(shared) : prefixes ? prefixes.some((x) => p.msg.startsWith(x)) : literals ? literals.some((x) => p.msg.includes(x)) : false;
    if (!close && !yielded) continue;
    nearTotal++;
    const other = yielded ? patterns[before.find((b) => (b.levels >> p.level) & 1 && b.re.test(p.msg))!.index].id : undefined;
    near.push(shownLine(p, {}, other));
    if (near.length > SHOWN_NEAR_MISSES) near.shift();
  }
  const start = runAt >= 0 ? all[runAt] : null;
  return {
    run: start ? { file: start.file, line: start.line, time: start.time === null ? null : visible(start.time) } : null,
    lines: run.length,
    prefixes,
    literals,
    shared,
    matched: { total: matchedTotal, shown: matched },
    nearMisses: { total: nearTotal, shown: near },
  };
}

/**
 * The window of the daemon's log the doctor reads (the last 256 KiB of daemon.log and its plain rotation before
 * it), as text: bounded whatever the log's size. No log yet: no text.
 */
export function currentRunTexts(paths: OptaPaths, env: NodeJS.ProcessEnv, maxBytes = CURRENT_RUN_MAX_BYTES): LogText[] {
  let files;
  try {
    files = openInputs(defaultInputs(paths, env).filter((f) => !f.path.endsWith('.gz')));
  } catch {
    return [];
  }
  try {
    const out: LogText[] = [];
    let left = maxBytes;
    // openInputs gives them oldest first: the window is taken from the newest back.
    for (const f of [...files].reverse()) {
      if (left <= 0 || f.fd < 0 || f.gzip || f.utf16) continue;
      const take = Math.min(f.size, left);
      left -= take;
      const buf = Buffer.alloc(take);
      const got = fs.readSync(f.fd, buf, 0, take, f.size - take);
      let text = buf.toString('utf8', 0, got);
      // Cut at a line start when the read began inside a line.
      if (take < f.size) text = text.slice(text.indexOf('\n') + 1);
      out.unshift({ display: f.display, text, firstLine: take < f.size ? null : 1 });
    }
    return out;
  } finally {
    closeInputs(files);
  }
}
