// Worker-thread entry for the built-in read-only tools (read_file, list_dir); a heap limit fences off what they load.
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parentPort, workerData } from 'node:worker_threads';

export interface ToolJob {
  tool: string;
  args: Record<string, unknown>;
  maxOutputChars: number;
}

export type ToolReply = { ok: true; output: string; truncated: boolean } | { ok: false; error: string };

function pathArg(args: Record<string, unknown>): string {
  if (typeof args.path !== 'string' || args.path === '') throw new Error('argument "path" must be a non-empty string');
  return path.resolve(args.path);
}

// The whole file is loaded and numbered before truncation, as an editor would show it, so a file bigger than the
// worker's heap fails here, in the worker. It is decoded in chunks so the heap grows step by step: V8 then stops
// the worker at its limit (ERR_WORKER_OUT_OF_MEMORY), whereas one giant allocation could abort the whole process.
const CHUNK_BYTES = 64 * 1024;

function readFile(args: Record<string, unknown>, maxOutputChars: number): { output: string; truncated: boolean } {
  const buf = fs.readFileSync(pathArg(args)); // a Buffer lives outside the JS heap
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
  return firstChars(lines, maxOutputChars);
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

function listDir(args: Record<string, unknown>, maxOutputChars: number): { output: string; truncated: boolean } {
  const names = fs
    .readdirSync(pathArg(args), { withFileTypes: true })
    .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
    .sort();
  return firstChars(names, maxOutputChars);
}

const TOOLS: Record<string, (args: Record<string, unknown>, maxOutputChars: number) => { output: string; truncated: boolean }> = { read_file: readFile, list_dir: listDir };

function run(job: ToolJob): ToolReply {
  const fn = TOOLS[job.tool];
  if (!fn) return { ok: false, error: `unknown tool "${job.tool}"` };
  try {
    return { ok: true, ...fn(job.args, job.maxOutputChars) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

if (parentPort) parentPort.postMessage(run(workerData as ToolJob));
