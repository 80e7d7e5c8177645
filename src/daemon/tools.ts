// Runs a built-in tool in a worker thread with a heap limit; a crashed worker is a tool error, not a daemon crash.
import { Worker } from 'node:worker_threads';
import { errorCode } from '../core/errors.js';
import type { Logger } from './logger.js';
import type { ToolSpec } from './lmx-client.js';
import type { ToolJob, ToolReply } from './tool-worker.js';

const WORKER_URL = new URL('./tool-worker.js', import.meta.url);
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

export function runTool(
  tool: string,
  args: Record<string, unknown>,
  opts: { memoryLimitMb: number; signal: AbortSignal; logger: Logger },
): Promise<ToolReply> {
  return new Promise((resolve) => {
    const job: ToolJob = { tool, args, maxOutputChars: MAX_TOOL_OUTPUT_CHARS };
    const worker = new Worker(WORKER_URL, {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: opts.memoryLimitMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(opts.memoryLimitMb / 4)) },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const done = (r: ToolReply) => {
      if (settled) return;
      settled = true;
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
