// Worker-thread entry for the built-in read-only tools (read_file, list_dir): confined to the session's workspace, bounded.
import { kindOf } from '../../core/read-small.js';
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parentPort, workerData } from 'node:worker_threads';
import { isInside, realHome } from './workspace.js';

export interface ToolJob {
  tool: string;
  args: Record<string, unknown>;
  maxOutputChars: number;
  /** read_file reads at most this many bytes of a file (tools.maxReadBytes). */
  maxReadBytes: number;
  /** The session's workspace (a real path), or null: nothing may be read. */
  workspace: string | null;
  /** Never read, whatever the workspace: it holds the daemon's token and the LMX key. */
  optaHome: string;
}

export type ToolReply = { ok: true; output: string; truncated: boolean } | { ok: false; error: string };

/** A refusal or failure the model reads as the tool's result. */
class ToolError extends Error {}

/**
 * Resolves the path argument against the workspace and proves, after every symlink, that it stays inside the
 * workspace and outside the opta home. Returns the real path and its stat.
 */
function resolveArg(job: ToolJob): { shown: string; real: string; st: fs.Stats } {
  const given = job.args.path;
  if (typeof given !== 'string' || given === '') throw new ToolError('argument "path" must be a non-empty string');
  if (!job.workspace) {
    throw new ToolError('this session has no workspace root, so its tools read nothing; create the session with "workspace" (an absolute directory), e.g. opta sessions create --workspace <dir>');
  }
  const shown = JSON.stringify(given);
  const outside = new ToolError(`${shown} is outside the session's workspace (${job.workspace})`);
  const abs = path.resolve(job.workspace, given);
  const home = realHome(job.optaHome);
  // Decided before touching the file system, so nothing outside says whether it exists.
  if (isInside(abs, home) || isInside(abs, path.resolve(job.optaHome))) throw new ToolError(`${shown} is inside the opta home (${home}), which tools never read`);
  if (!isInside(abs, job.workspace)) throw outside;
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ToolError(code === 'ENOENT' ? `${shown} does not exist` : `${shown} cannot be resolved (${code})`);
  }
  if (isInside(real, home)) throw new ToolError(`${shown} is inside the opta home (${home}), which tools never read`);
  // Against the real path stored when the session was made, not the workspace's real path now: a workspace directory
  // later replaced by a link (to /, say) must not carry the boundary along with it.
  if (!isInside(real, job.workspace)) throw outside;
  return { shown, real, st: fs.statSync(real) };
}


const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** Reads at most `max` bytes of a regular file; `more` says whether the file goes on. */
function readCapped(shown: string, real: string, st: fs.Stats, max: number): { buf: Buffer; more: boolean; size: number } {
  if (st.isDirectory()) throw new ToolError(`${shown} is a directory; use list_dir`);
  // Only regular files: a FIFO would block the read for ever, a device (/dev/zero) never ends.
  if (!st.isFile()) throw new ToolError(`${shown} is not a regular file (${kindOf(st)})`);
  // O_NONBLOCK: should the name be swapped for a FIFO after the check, opening it still cannot hang.
  const fd = fs.openSync(real, O_RDONLY | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0));
  try {
    const now = fs.fstatSync(fd);
    if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev) throw new ToolError(`${shown} changed while it was being opened; try again`);
    // One byte past the cap says whether the file goes on; the buffer grows only as the file really does.
    const cap = max + 1;
    let buf = Buffer.allocUnsafe(Math.min(cap, Math.max(now.size + 1, 64 * 1024)));
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        if (buf.length === cap) break;
        const bigger = Buffer.allocUnsafe(Math.min(cap, buf.length * 2));
        buf.copy(bigger, 0, 0, got);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return { buf: buf.subarray(0, Math.min(got, max)), more: got > max, size: now.size };
  } finally {
    fs.closeSync(fd);
  }
}

// Lines are numbered as an editor shows them. The bytes are decoded in chunks so the heap grows step by step: V8 then
// stops the worker at its limit (ERR_WORKER_OUT_OF_MEMORY), whereas one giant allocation could abort the whole process.
const CHUNK_BYTES = 64 * 1024;

function readFile(job: ToolJob): { output: string; truncated: boolean } {
  const { shown, real, st } = resolveArg(job);
  const { buf, more, size } = readCapped(shown, real, st, job.maxReadBytes);
  const decoder = new StringDecoder('utf8');
  const lines: string[] = [];
  let carry = '';
  const add = (line: string) => lines.push(`${String(lines.length + 1).padStart(6)}  ${line}`);
  for (let off = 0; off < buf.length; off += CHUNK_BYTES) {
    const parts = (carry + decoder.write(buf.subarray(off, off + CHUNK_BYTES))).split('\n');
    carry = parts.pop() ?? '';
    for (const p of parts) add(p);
  }
  carry += decoder.end();
  if (carry !== '' || lines.length === 0) add(carry);
  const note = more ? `[truncated: read the first ${job.maxReadBytes} of ${size > job.maxReadBytes ? size : `more than ${job.maxReadBytes}`} bytes (tools.maxReadBytes)]` : undefined;
  return withNote(firstChars(lines, job.maxOutputChars - (note ?? CUT).length - 1), note);
}

const CUT = '[output truncated]';

/** Appends the note about a cut, if any, as a last line the model reads. */
function withNote(r: { output: string; truncated: boolean }, note: string | undefined): { output: string; truncated: boolean } {
  if (!note && !r.truncated) return r;
  return { output: `${r.output}\n${note ?? CUT}`, truncated: true };
}

/** Joins lines up to the output cap without ever building the whole text as one string. */
function firstChars(lines: string[], max: number): { output: string; truncated: boolean } {
  const picked: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > max) {
      picked.push(line.slice(0, Math.max(0, max - size)));
      return { output: picked.join('\n'), truncated: true };
    }
    picked.push(line);
    size += line.length + 1;
  }
  return { output: picked.join('\n'), truncated: false };
}

function listDir(job: ToolJob): { output: string; truncated: boolean } {
  const { shown, real, st } = resolveArg(job);
  if (!st.isDirectory()) throw new ToolError(`${shown} is not a directory`);
  const names = fs
    .readdirSync(real, { withFileTypes: true })
    .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
    .sort();
  return withNote(firstChars(names, job.maxOutputChars - CUT.length - 1), undefined);
}

const TOOLS: Record<string, (job: ToolJob) => { output: string; truncated: boolean }> = { read_file: readFile, list_dir: listDir };

function run(job: ToolJob): ToolReply {
  const fn = TOOLS[job.tool];
  if (!fn) return { ok: false, error: `unknown tool "${job.tool}"` };
  try {
    return { ok: true, ...fn(job) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

if (parentPort) parentPort.postMessage(run(workerData as ToolJob));
