// Reads a support bundle back (text or JSON): its format version, its sections, and the doctor facts `opta support analyze` replays.
import { readUpTo } from '../core/read-small.js';
import fs from 'node:fs';
import path from 'node:path';
import { OptaError, causeText } from '../core/errors.js';
import { visible } from '../rules/language/escape.js';
import type { DoctorReport } from '../doctor/report-types.js';
import type { FactValue } from '../facts/fact.js';
import { FACT_VALUE_SCHEMAS } from '../facts/fact-schemas.js';
import { BUNDLE_END, BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, BUNDLE_TITLE, type Bundle } from './bundle.js';

export interface ReadBundle {
  form: 'text' | 'json';
  generatedAt: string | null;
  toolVersion: string | null;
  formatVersion: number;
  sections: Array<{ id: string | null; title: string; text: string }>;
  capture: { report: DoctorReport; facts: Record<string, FactValue> };
  /** What the reader had to skip or could not check (a cut-off end, ...). */
  notes: string[];
}

/** A bundle that cannot be analysed: exit 2, one paragraph naming the file and the next step. */
export class BundleError extends OptaError {
  constructor(message: string) {
    // Messages quote the bundle (a section's error, a JSON parser's excerpt): shown, never obeyed.
    super(visible(message), 2);
  }
}

const ASK = 'Ask for a new one, made with: opta support bundle';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkVersion(name: string, version: number | null, tool: string | null): void {
  if (version === null) {
    throw new BundleError(
      `${name} has no bundle format line: it was made by the troubleshooting guide's shell one-liner or by an opta older than \`opta support bundle\`. ` +
        `It holds the doctor's text but none of its facts, so there is nothing to analyse offline; read its "opta doctor" part as it is. ${ASK}`,
    );
  }
  if (version > BUNDLE_FORMAT_VERSION) {
    throw new BundleError(`${name} was made by opta ${tool ?? '(unknown)'} in bundle format ${version}; this opta reads bundle format ${BUNDLE_FORMAT_VERSION} and older. Analyse it with opta ${tool ?? 'of that version'} or newer.`);
  }
  if (version < 1) throw new BundleError(`${name} says it is in bundle format ${version}, which no opta ever wrote. ${ASK}`);
}

const EDITED = '(was the bundle edited?)';

/**
 * The doctor report and facts, taken as far as they are readable: a fact that is not an object is treated as missing
 * (its checks say "not checked", which is the truth) and a finding without an id is left out of the comparison, each
 * with a note, rather than failing deep inside the rules.
 */
function checkCapture(name: string, data: unknown, where: string, notes: string[]): ReadBundle['capture'] {
  const d = data as { report?: unknown; facts?: unknown } | undefined;
  if (!isObject(d) || !isObject(d.report) || !isObject(d.facts) || !Array.isArray((d.report as { findings?: unknown }).findings)) {
    throw new BundleError(`${name}: ${where} is not a doctor report with facts (expected {"report": {...}, "facts": {...}}). ${ASK}`);
  }
  const entries = Object.entries(d.facts);
  // Each fact against its shape before any rule reads it: a value a command would print must be one opta could have
  // written (a chmod command opta builds, a pid that is a number, a path that is one shell word).
  const misshapen = entries.filter(([id, v]) => isObject(v) && FACT_VALUE_SCHEMAS[id] !== undefined && !FACT_VALUE_SCHEMAS[id].safeParse(v).success).map(([id]) => id);
  const facts = Object.fromEntries(entries.filter(([id, v]) => isObject(v) && !misshapen.includes(id))) as Record<string, FactValue>;
  const odd = entries.filter(([, v]) => !isObject(v)).map(([id]) => id);
  if (odd.length) notes.push(`facts that are not objects ${EDITED} were treated as missing: ${odd.join(', ')}`);
  if (misshapen.length) notes.push(`facts that do not have the shape opta writes ${EDITED} were treated as missing: ${misshapen.join(', ')}`);
  const all = (d.report as { findings: unknown[] }).findings;
  const findings = all.filter((f) => isObject(f) && typeof f.id === 'string');
  if (findings.length < all.length) notes.push(`${all.length - findings.length} of the bundle's own findings are not findings ${EDITED}: compared without them`);
  return { report: { ...(d.report as unknown as DoctorReport), findings: findings as unknown as DoctorReport['findings'] }, facts };
}

/** Sections as data: one that is not an object with a string title and text is skipped, with a note. */
function readableSections(raw: unknown[], notes: string[]): ReadBundle['sections'] {
  const ok = raw.filter((s): s is Record<string, unknown> => isObject(s) && typeof s.title === 'string' && typeof s.text === 'string');
  const skipped = raw.length - ok.length;
  if (skipped) notes.push(`${skipped} section${skipped === 1 ? '' : 's'} of the bundle ${skipped === 1 ? 'is' : 'are'} not a section ${EDITED}: skipped`);
  return ok.map((s) => ({ id: typeof s.id === 'string' ? s.id : null, title: s.title as string, text: s.text as string }));
}

function readJsonBundle(name: string, text: string): ReadBundle {
  let b: Partial<Bundle>;
  checkJsonShape(name, text);
  try {
    b = JSON.parse(text) as Partial<Bundle>;
  } catch (err) {
    if (text.includes(`"${BUNDLE_FORMAT}"`)) {
      throw new BundleError(`${name} is a JSON support bundle cut off before its end (${(err as Error).message}); the facts analyze reads may be in the missing part. ${ASK} and send the whole file.`);
    }
    throw notABundle(name);
  }
  if (!isObject(b) || b.format !== BUNDLE_FORMAT) throw notABundle(name);
  const version = typeof b.formatVersion === 'number' ? b.formatVersion : null;
  const tool = isObject(b.tool) && typeof b.tool.version === 'string' ? b.tool.version : null;
  // The one-liner makes text only: a JSON bundle without its version was changed after opta wrote it.
  if (version === null) {
    throw new BundleError(`${name} is a JSON support bundle without a number in "formatVersion" (${b.formatVersion === undefined ? 'none' : JSON.stringify(b.formatVersion)}): it was changed after opta wrote it. ${ASK} and send the file as it is.`);
  }
  checkVersion(name, version, tool);
  const sections: unknown[] = Array.isArray(b.sections) ? b.sections : [];
  const dr = sections.find((s): s is Bundle['sections'][number] => isObject(s) && s.id === 'doctor-report');
  if (!dr) throw new BundleError(`${name} has no doctor report section, so it holds no facts to analyse. ${ASK}`);
  if (dr.status !== 'ok') throw new BundleError(`${name} holds no doctor facts: when it was made, its doctor report section ${dr.status === 'timed-out' ? 'ran out of time' : 'failed'} (${dr.error ?? dr.text}). Its other sections are readable as they are. ${ASK}, perhaps with a longer --timeout.`);
  const notes: string[] = [];
  return {
    form: 'json',
    generatedAt: typeof b.generatedAt === 'string' ? b.generatedAt : null,
    toolVersion: tool,
    formatVersion: version!,
    sections: readableSections(sections, notes),
    capture: checkCapture(name, dr.data, 'its doctor report section', notes),
    notes,
  };
}

function notABundle(name: string): BundleError {
  return new BundleError(`${name} is not an opta support bundle: it neither begins with "${BUNDLE_TITLE}" nor is a JSON bundle (format "${BUNDLE_FORMAT}"). Make one with: opta support bundle`);
}

/** Longer than any line opta writes in a bundle (its log lines are cut at 64 KiB; its JSON is indented). */
export const MAX_LINE_CHARS = 1024 * 1024;

/** Trailing blanks off, in one pass from the end (a regex /[ \t]+$/ retries from every blank: quadratic on a line of them). */
function trimBlanks(l: string): string {
  let end = l.length;
  while (end > 0 && (l.charCodeAt(end - 1) === 32 || l.charCodeAt(end - 1) === 9)) end--;
  return end === l.length ? l : l.slice(0, end);
}

/** Deeper or wider than any JSON opta writes in a bundle: such a document is refused before JSON.parse sees it. */
export const MAX_JSON_DEPTH = 64;
export const MAX_JSON_MEMBERS = 100_000;

/** One pass over JSON text (strings skipped): the nesting depth and the members of the widest object or array. */
function checkJsonShape(name: string, text: string): void {
  const counts: number[] = [];
  let widest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // a string: to its closing quote, over escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123 || c === 91) {
      counts.push(1);
      if (counts.length > MAX_JSON_DEPTH) throw new BundleError(`${name} holds JSON nested more than ${MAX_JSON_DEPTH} deep, which opta never writes: it was changed after opta wrote it. ${ASK}`);
    } else if (c === 125 || c === 93) counts.pop();
    else if (c === 44 && counts.length && ++counts[counts.length - 1] > widest) {
      widest = counts[counts.length - 1];
      if (widest > MAX_JSON_MEMBERS) throw new BundleError(`${name} holds a JSON object or array of more than ${MAX_JSON_MEMBERS} members, which opta never writes: it was changed after opta wrote it. ${ASK}`);
    }
  }
}

function readTextBundle(name: string, text: string): ReadBundle {
  // Any line end (CRLF from a mail program, CR from an old Mac editor), and no trailing blanks (editors add or keep them).
  const lines = text.split(/\r\n|\r|\n/).map(trimBlanks);
  const long = lines.findIndex((l) => l.length > MAX_LINE_CHARS);
  if (long >= 0) throw new BundleError(`${name} has a line of more than ${MAX_LINE_CHARS / 1024} KiB (line ${long + 1}), which opta never writes in a bundle: it was changed after opta wrote it. ${ASK}`);
  const header = lines.slice(0, 8);
  const fmt = header.map((l) => /^# opta (\S+), bundle format (\d+)/.exec(l)).find(Boolean);
  const generated = header.map((l) => /^# Generated: (\S+)/.exec(l)).find(Boolean);
  checkVersion(name, fmt ? Number(fmt[2]) : null, fmt ? fmt[1].replace(/,$/, '') : null);
  // Sections start at "## <title>" lines; the doctor report is the last one, so a "## " inside a log line cannot fake it.
  const sections: ReadBundle['sections'] = [];
  let cur: { title: string; body: string[] } | undefined;
  // The last end line counts: a log line that happens to read like one cannot cut the bundle short.
  const endAt = lines.lastIndexOf(BUNDLE_END);
  const ended = endAt > 0;
  for (const line of lines.slice(1, ended ? endAt : undefined)) {
    if (line.startsWith('## ')) {
      if (cur) sections.push({ id: null, title: cur.title, text: cur.body.join('\n').trim() });
      cur = { title: line.slice(3), body: [] };
    } else cur?.body.push(line);
  }
  if (cur) sections.push({ id: null, title: cur.title, text: cur.body.join('\n').trim() });
  const notes: string[] = [];
  const last = sections.at(-1);
  const dr = [...sections].reverse().find((s) => s.title.startsWith('doctor report (JSON'));
  if (!dr) {
    if (!ended) throw new BundleError(`${name} is cut off: it ends ${last ? `inside its "${last.title}" section` : 'in its header'}, before the doctor report that analyze reads (no "${BUNDLE_END}" line). ${ASK} and send the whole file.`);
    throw new BundleError(`${name} has no doctor report section, so it holds no facts to analyse. ${ASK}`);
  }
  let data: unknown;
  checkJsonShape(name, dr.text);
  try {
    data = JSON.parse(dr.text);
  } catch (err) {
    if (!ended) throw new BundleError(`${name} is cut off inside its doctor report (no "${BUNDLE_END}" line), so the facts analyze reads are incomplete. ${ASK} and send the whole file.`);
    if (dr.text.startsWith('{')) {
      throw new BundleError(
        `${name}: its doctor report is not valid JSON (${(err as Error).message}): the file was changed after opta wrote it (an editor or a mail program re-wrapping lines?). ` +
          `Ask for the file itself, as an attachment, or for a JSON bundle: opta support bundle --json`,
      );
    }
    throw new BundleError(`${name} holds no doctor facts: its doctor report section says ${JSON.stringify(dr.text.split('\n')[0])}. Its other sections are readable as they are. ${ASK}, perhaps with a longer --timeout.`);
  }
  if (!ended) notes.push(`the bundle has no "${BUNDLE_END}" line: it was cut off after its doctor report`);
  return {
    form: 'text',
    generatedAt: generated ? generated[1] : null,
    toolVersion: fmt![1].replace(/,$/, ''),
    formatVersion: Number(fmt![2]),
    sections,
    capture: checkCapture(name, data, 'its doctor report section', notes),
    notes,
  };
}

/** Far larger than any bundle opta writes (a few hundred KiB; its log section is 200 lines): a bigger input is not one. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

const mib = (n: number) => `${Math.round(n / (1024 * 1024))} MiB`;

function tooLarge(name: string, size?: number): BundleError {
  return new BundleError(
    `${name} is larger than any support bundle (${size === undefined ? '' : `${mib(size)}; `}more than ${mib(MAX_BUNDLE_BYTES)}), so it was not read: a bundle is usually well under 1 MiB. ` +
      `Check that this is the opta-support-*.txt or .json file the user sent. ${ASK}`,
  );
}

/** UTF-8 as opta writes it, or UTF-16 with its BOM (Windows Notepad's "Unicode", PowerShell's `>`). */
function decodeBundle(buf: Buffer): string {
  if (buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  // swap16 needs whole code units: a cut-off last byte is dropped (the reader then says the bundle is cut off).
  if (buf[0] === 0xfe && buf[1] === 0xff) return Buffer.from(buf.subarray(2, buf.length - (buf.length % 2))).swap16().toString('utf16le');
  return buf.toString('utf8');
}

/**
 * Reads a bundle file (or standard input for "-") without trusting it: a directory is named as one, a regular file
 * larger than MAX_BUNDLE_BYTES is refused before it is read, and a stream (a pipe, /dev/zero) is read only up to it.
 */
export async function readBundleFile(file: string): Promise<string> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    let stream: NodeJS.ReadableStream;
    if (file === '-') stream = process.stdin;
    else {
      // stat before open: opening a FIFO waits for a writer, perhaps for ever.
      let pre: fs.Stats;
      try {
        pre = await fs.promises.stat(file);
      } catch (e) {
        throw new BundleError(`cannot read the bundle ${file}: ${causeText(e)}`);
      }
      if (!pre.isFile() && !pre.isDirectory()) {
        throw new BundleError(`${file} is not a regular file (a ${pre.isFIFO() ? 'named pipe' : pre.isCharacterDevice() ? 'character device' : pre.isBlockDevice() ? 'block device' : 'socket'}), so it was not read: name the bundle file itself, or pipe it in with "-" (opta support analyze - < bundle.txt).`);
      }
      try {
        handle = await fs.promises.open(file, 'r');
      } catch (e) {
        throw new BundleError(`cannot read the bundle ${file}: ${causeText(e)}`);
      }
      const st = await handle.stat();
      if (st.isDirectory()) throw new BundleError(`${file} is a directory, not a bundle: name the bundle file in it (opta support analyze ${path.join(file, 'opta-support-<time>.txt')}).`);
      if (st.isFile() && st.size > MAX_BUNDLE_BYTES) throw tooLarge(file, st.size);
      stream = handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 });
    }
    let buf: Buffer | null;
    try {
      buf = await readUpTo(stream, MAX_BUNDLE_BYTES);
    } catch (e) {
      throw new BundleError(`cannot read the bundle ${file}: ${causeText(e)}`);
    }
    if (!buf) throw tooLarge(file === '-' ? 'standard input' : file);
    return decodeBundle(buf);
  } finally {
    await handle?.close();
  }
}

/** Parses a bundle's content; `name` is how errors refer to it (the path given). */
export function readBundle(name: string, content: string): ReadBundle {
  const text = content.replace(/^\uFEFF/, '');
  const start = text.trimStart();
  if (start.startsWith('{')) return readJsonBundle(name, start);
  if (start.startsWith(BUNDLE_TITLE)) return readTextBundle(name, start);
  throw notABundle(name);
}
