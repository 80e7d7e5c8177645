// Runs a built-in tool in a worker thread with a heap limit and a time limit; a crashed or stuck worker is a tool error.
import { Worker } from 'node:worker_threads';
import { errorCode } from '../../core/errors.js';
import { workerStart } from '../../core/install.js';
import type { Logger } from './logger.js';
import type { ToolSpec } from './lmx-client.js';
import type { ToolJob, ToolReply } from './tool-worker.js';

export const MAX_TOOL_OUTPUT_CHARS = 64 * 1024;

export const TOOL_SPECS: ToolSpec[] = [
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Read a text file (read-only). Returns its lines, numbered.',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'list_dir',
      description: 'List the entries of a directory (read-only); directories end with "/".',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    },
  },
];

export const TOOL_NAMES = new Set(TOOL_SPECS.map((t) => t.function.name));

export interface ToolRunOptions {
  memoryLimitMb: number;
  maxReadBytes: number;
  timeoutMs: number;
  /** The session's workspace (real path), or null. */
  workspace: string | null;
  optaHome: string;
  signal: AbortSignal;
  logger: Logger;
}

/**
 * Runs one tool call in its own worker: a heap limit fences off what it loads, and after `timeoutMs` the worker is
 * terminated and the call fails, so no tool can hold a turn (or the daemon's shutdown) for ever.
 */
export function runTool(tool: string, args: Record<string, unknown>, opts: ToolRunOptions): Promise<ToolReply> {
  return new Promise((resolve) => {
    const job: ToolJob = { tool, args, maxOutputChars: MAX_TOOL_OUTPUT_CHARS, maxReadBytes: opts.maxReadBytes, workspace: opts.workspace, optaHome: opts.optaHome };
    const start = workerStart('tool-worker');
    const worker = new Worker(start.file, {
      argv: start.argv,
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: opts.memoryLimitMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(opts.memoryLimitMb / 4)) },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      worker.terminate().catch(() => undefined);
      opts.logger.error(`tool ${tool} timed out after ${opts.timeoutMs} ms; worker terminated`);
      done({ ok: false, error: `the tool did not finish within ${opts.timeoutMs} ms (tools.timeoutMs) and was stopped` });
    }, opts.timeoutMs);
    const done = (r: ToolReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = () => {
      worker.terminate().catch(() => undefined);
      done({ ok: false, error: 'cancelled' });
    };
    if (opts.signal.aborted) return onAbort();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (r: ToolReply) => done(r));
    worker.on('error', (err) => {
      const why = errorCode(err) === 'ERR_WORKER_OUT_OF_MEMORY' ? 'heap out of memory' : err.message;
      opts.logger.error(`tool worker crashed: ${why}`);
      done({ ok: false, error: `tool worker crashed: ${why}` });
    });
    worker.on('exit', (code) => {
      if (settled) return;
      opts.logger.error(`tool worker crashed: exit code ${code}`);
      done({ ok: false, error: `tool worker crashed: exit code ${code}` });
    });
  });
}
