// Worker-thread entry for the built-in read-only tools (read_file, list_dir); a heap limit fences off what they load.
import fs from 'node:fs';
import path from 'node:path';
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

// The whole file is read and numbered before truncation, as an editor would show it: a file bigger than the
// worker's heap fails here, in the worker, and never in the daemon.
function readFile(args: Record<string, unknown>): string {
  const text = fs.readFileSync(pathArg(args), 'utf8');
  return text
    .split('\n')
    .map((line, i) => `${String(i + 1).padStart(6)}  ${line}`)
    .join('\n');
}

function listDir(args: Record<string, unknown>): string {
  return fs
    .readdirSync(pathArg(args), { withFileTypes: true })
    .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
    .sort()
    .join('\n');
}

const TOOLS: Record<string, (args: Record<string, unknown>) => string> = { read_file: readFile, list_dir: listDir };

function run(job: ToolJob): ToolReply {
  const fn = TOOLS[job.tool];
  if (!fn) return { ok: false, error: `unknown tool "${job.tool}"` };
  try {
    const full = fn(job.args);
    const truncated = full.length > job.maxOutputChars;
    return { ok: true, output: truncated ? full.slice(0, job.maxOutputChars) : full, truncated };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

if (parentPort) parentPort.postMessage(run(workerData as ToolJob));
