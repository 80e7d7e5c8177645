// `opta support redact FILE...`: any text file a person wants to attach, through the bundle's redactor (same placeholders for the same values in one run), bounded and never written over.
import fs from 'node:fs';
import path from 'node:path';
import { causeText, OptaError, UsageError } from '../core/errors.js';
import { writeFileOnce } from '../core/atomic.js';
import { anythingAt, kindOf, readUpTo } from '../core/read-small.js';
import type { Redactor } from '../redact/redactor.js';

/** Larger than a log or config anyone attaches; a bigger file is named, not read. */
export const MAX_REDACT_INPUT = 64 * 1024 * 1024;

export interface RedactInput {
  /** What the person typed ("-" for standard input). */
  name: string;
  text: string;
}

function tooLarge(name: string): OptaError {
  return new OptaError(`${name} is larger than ${MAX_REDACT_INPUT / 1024 / 1024} MiB: opta support redact reads no further. Attach the part that matters (tail -n 5000 ${name} > part.txt; opta support redact part.txt).`, 2);
}

/** Reads one input whole, up to the limit: a regular file or standard input; a directory, a device or binary content is refused. */
export async function readRedactInput(name: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<RedactInput> {
  let stream: NodeJS.ReadableStream;
  let handle: fs.promises.FileHandle | undefined;
  try {
    if (name === '-') stream = stdin;
    else {
      try {
        handle = await fs.promises.open(name, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
      } catch (e) {
        throw new OptaError(`cannot read ${name}: ${causeText(e)}. Nothing was written.`, 2);
      }
      const st = await handle.stat();
      if (!st.isFile()) throw new OptaError(`${name} is ${kindOf(st)}, not a text file: name the files to redact (opta support redact ${st.isDirectory() ? path.join(name, '<file>') : '<file>'}). Nothing was written.`, 2);
      if (st.size > MAX_REDACT_INPUT) throw tooLarge(name);
      stream = handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 });
    }
    let read: Buffer | null;
    try {
      read = await readUpTo(stream, MAX_REDACT_INPUT);
    } catch (e) {
      throw new OptaError(`cannot read ${name}: ${causeText(e)}. Nothing was written.`, 2);
    }
    if (!read) throw tooLarge(name === '-' ? 'standard input' : name);
    const buf = read;
    // A NUL in the first 8 KiB: an archive, an image, a core file. Redacting it as text would corrupt it and miss what it holds.
    if (buf.subarray(0, 8192).includes(0)) throw new OptaError(`${name === '-' ? 'standard input' : name} is not a text file (it holds NUL bytes): opta support redact reads text only. Unpack or convert it first. Nothing was written.`, 2);
    return { name, text: buf.toString('utf8') };
  } finally {
    await handle?.close();
  }
}

/** report.txt -> report.redacted.txt (in `dir`). */
export function redactedName(input: string, dir: string): string {
  const base = input === '-' ? 'stdin.txt' : path.basename(input);
  const ext = path.extname(base);
  return path.join(dir, `${base.slice(0, base.length - ext.length) || base}.redacted${ext}`);
}


/**
 * Where each redacted text goes, settled before anything is read: no --out is standard output; --out naming a
 * directory takes <name>.redacted<ext> per input; --out naming a file takes the one input. Never an existing file.
 */
export function redactTargets(inputs: string[], out: string | undefined): Array<string | undefined> {
  if (out === undefined || out === '-') return inputs.map(() => undefined);
  const isDir = fs.existsSync(out) && fs.statSync(out).isDirectory();
  const targets = isDir ? inputs.map((i) => redactedName(i, out)) : [out];
  if (!isDir && inputs.length > 1) throw new UsageError(`--out ${out} names one file, but ${inputs.length} files were given: name a directory with --out (each goes to <name>.redacted<ext> there), or leave --out out to print them.`);
  for (const t of targets) {
    if (anythingAt(t)) throw new UsageError(`cannot write ${t}: a file is already there, and opta support redact never replaces a file. Remove it, or name another file or directory with --out.`);
    const dir = path.dirname(path.resolve(t));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`cannot write ${t}: the directory ${dir} does not exist. Name an existing directory with --out.`);
  }
  if (new Set(targets.map((t) => path.resolve(t))).size !== targets.length) throw new UsageError(`two of the files given have the same name (${inputs.join(', ')}): redact them in separate runs or --out separate directories.`);
  return targets;
}

/** Redacts every input with one redactor (so one value has one placeholder across them) and writes each, created whole with mode 0600. */
export function writeRedacted(inputs: RedactInput[], targets: Array<string | undefined>, redactor: Redactor, stdout: (s: string) => void): string[] {
  const texts = inputs.map((i) => redactor.text(i.text));
  // A value a later file revealed is a secret in the earlier ones too.
  const final = texts.map((t) => redactor.again(t));
  const written: string[] = [];
  final.forEach((t, n) => {
    const target = targets[n];
    if (target === undefined) {
      stdout(inputs.length > 1 ? `==> ${inputs[n].name} <==\n${t}${t.endsWith('\n') ? '' : '\n'}` : t);
      return;
    }
    if (!writeFileOnce(target, t, 0o600)) throw new UsageError(`cannot write ${target}: a file appeared there meanwhile, and opta support redact never replaces a file.`);
    written.push(target);
  });
  return written;
}
