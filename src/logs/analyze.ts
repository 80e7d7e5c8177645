// `opta logs analyze` core: splits the opened inputs at line boundaries across threads (worker_threads), scans them, and merges the result.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { causeText, OptaError } from '../core/errors.js';
import { mergeAnalysis, type Analysis, type TemplateContext } from './analysis.js';
import { closeInputs, openInputs, type LogInput, type Opened } from './inputs.js';
import { Matcher } from './matcher.js';
import type { SegmentResult } from './run-scope.js';
import type { LoadedPatterns } from './patterns.js';
import type { WorkerJob } from './analyze-worker.js';
import { alignToLine, scanGzip, scanSegment, scanStream, type Segment, type Source } from './reader.js';
import { workerStart } from '../core/install.js';

export { defaultInputs, openInputs, STDIN_INPUT, type LogInput } from './inputs.js';

/** Below this, one thread: starting a worker (~30 ms) costs more than it saves. */
export const PARALLEL_MIN_BYTES = 24 * 1024 * 1024;

/** Splits the inputs into `threads` runs of about equal bytes, each a list of segments that start at line starts. */
export function planSegments(files: Array<{ fd: number; size: number; path?: string; key?: string }>, threads: number): Segment[][] {
  const offsets: number[] = [];
  let total = 0;
  for (const f of files) {
    offsets.push(total);
    total += f.size;
  }
  // Thread t reads global bytes [bounds[t], bounds[t+1]); each inner bound is moved to the next line start.
  const bounds = [0];
  for (let t = 1; t < threads; t++) {
    let g = Math.round((total * t) / threads);
    let fi = 0;
    while (fi < files.length - 1 && g >= offsets[fi] + files[fi].size) fi++;
    g = offsets[fi] + alignToLine(source(files[fi]), g - offsets[fi], files[fi].size);
    bounds.push(Math.max(g, bounds[t - 1]));
  }
  bounds.push(total);
  const plan: Segment[][] = Array.from({ length: threads }, () => []);
  files.forEach((f, fi) => {
    for (let t = 0; t < threads; t++) {
      const start = Math.max(offsets[fi], bounds[t]);
      const end = Math.min(offsets[fi] + f.size, bounds[t + 1]);
      if (end > start) plan[t].push({ file: fi, ...source(f), start: start - offsets[fi], end: end - offsets[fi] });
    }
  });
  return plan;
}

/** A file's descriptor, or for one not kept open (see MAX_OPEN_INPUTS) its path and identity. */
function source(f: { fd: number; path?: string; key?: string }): Source {
  return f.fd >= 0 ? { fd: f.fd } : { fd: -1, path: f.path, key: f.key };
}

export interface AnalyzeOptions {
  inputs: LogInput[];
  /** A promise is fine: workers are started while the patterns load. */
  patterns: LoadedPatterns | Promise<LoadedPatterns>;
  context: TemplateContext;
  sinceStart?: boolean;
  /** Threads to use (default: the machine's cores, at most 8); inputs under parallelMinBytes use one. */
  threads?: number;
  parallelMinBytes?: number;
  /** Called with bytes read and total (0: not known, a pipe is read), after each chunk and every 100 ms while waiting for workers. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * A worker's young generation, capped: the analyser allocates a 64 KiB string per chunk and keeps almost nothing,
 * so a small young generation costs no speed (measured) and keeps the resident size of every thread down.
 */
const WORKER_YOUNG_MB = 4;

/** Pieces per thread: threads take the next piece as they finish one, so a worker that starts late still does its share. */
const PIECES_PER_THREAD = 4;

export async function analyzeLogs(opts: AnalyzeOptions): Promise<Analysis> {
  const startedAt = Date.now();
  const patternsLoaded = Promise.resolve(opts.patterns);
  // If opening the inputs fails, the patterns are never awaited; a rejection then must not surface as unhandled.
  patternsLoaded.catch(() => undefined);
  const files = openInputs(opts.inputs);
  let workers: Worker[] = [];
  try {
    const total = files.reduce((n, f) => n + f.size, 0);
    const wanted = opts.threads ?? Math.min(8, os.availableParallelism());
    // A pipe on standard input is read from its start to its end, so by one thread; so is UTF-16 (a line break is
    // two bytes there, and the planner splits at one).
    const streaming = files.some((f) => f.stream || f.gzip);
    const whole = streaming || files.some((f) => f.utf16);
    const threads = !whole && total >= (opts.parallelMinBytes ?? PARALLEL_MIN_BYTES) ? Math.max(1, wanted) : 1;
    // Every piece is scanned in a worker when there are several threads, the main thread only waits: a worker's young
    // generation can be capped (resourceLimits), the main thread's cannot, and it grew by ~17 MB when it scanned too
    // (measured: peak RSS 105 MB with the main thread scanning, 89 MB without, same wall time). The workers start
    // now and load their code while the patterns load here.
    if (threads > 1) {
      const start = workerStart('analyze-worker');
      workers = Array.from({ length: threads }, () => new Worker(start.file, { argv: start.argv, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } }));
    }
    const loaded = await patternsLoaded;
    const patterns = loaded.patterns;
    // Pieces in file and byte order; results are stored by piece index, so merging keeps that order.
    const pieces = streaming
      ? files.map((f, fi): Segment => ({ file: fi, ...source(f), start: 0, end: f.size }))
      : planSegments(files, threads === 1 ? 1 : threads * PIECES_PER_THREAD).flat();
    // [0]: the next piece to take (workers Atomics.add it); then bytes read per thread.
    const shared = new SharedArrayBuffer(8 * threads + 8);
    const progress = new Float64Array(shared, 8, threads);
    const report = () => opts.onProgress?.(progress.reduce((a, b) => a + b, 0), streaming ? 0 : total);
    const results: SegmentResult[] = new Array(pieces.length);
    if (threads === 1) {
      const matcher = new Matcher(patterns, Boolean(opts.sinceStart));
      let before = 0;
      for (let i = 0; i < pieces.length; i++) {
        const piece = pieces[i];
        const onBytes = (d: number) => {
          progress[0] = before + d;
          report();
        };
        try {
          const f = files[piece.file];
          results[i] = f.stream
            ? await scanStream(piece, process.stdin, matcher, patterns.length, onBytes)
            : f.gzip
              ? await scanGzip(piece, matcher, patterns.length, onBytes)
              : scanSegment(piece, matcher, patterns.length, onBytes);
        } catch (err) {
          // As a worker reports it: one paragraph naming the file (read errors, a file opened again that changed).
          throw new OptaError(`cannot read the log ${files[piece.file].display}: ${causeText(err)}`, 2);
        }
        before += results[i].bytesRead;
      }
    } else {
      const replies = workers.map((w, slot) => runWorker(w, { pieces, patterns, sinceStart: Boolean(opts.sinceStart), shared, slot }, files));
      const ticker = opts.onProgress ? setInterval(report, 100) : undefined;
      try {
        for (const done of await Promise.all(replies)) for (const { index, result } of done) results[index] = result;
      } finally {
        clearInterval(ticker);
      }
    }
    return mergeAnalysis({
      // A stream's size is what it turned out to hold (a .gz file's, what it held decompressed).
      files: files.map((f, fi) => ({ path: f.path, display: f.display, bytes: f.stream || f.gzip ? results.find((x) => x.file === fi)!.bytesRead : f.size, fromByte: 0 })),
      segments: results,
      patterns,
      sinceStart: Boolean(opts.sinceStart),
      problems: loaded.problems,
      context: opts.context,
      startedAt,
    });
  } finally {
    // A worker that is still there (the patterns failed to load, another worker failed) must not keep opta alive.
    for (const w of workers) void w.terminate();
    closeInputs(files);
  }
}

type WorkerReply = { ok: true; results: Array<{ index: number; result: SegmentResult }> } | { ok: false; file: number; error: string };

function runWorker(w: Worker, job: WorkerJob, files: Opened[]): Promise<Array<{ index: number; result: SegmentResult }>> {
  return new Promise((resolve, reject) => {
    w.once('message', (m: WorkerReply) => {
      if (m.ok) resolve(m.results);
      else reject(new OptaError(`cannot read the log ${files[m.file]?.display ?? '(unknown)'}: ${m.error}`, 2));
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`log analysis worker exited with code ${code} before answering`)));
    w.postMessage(job);
  });
}
