// `opta logs analyze` core: opens the inputs once (rotation-safe snapshot), splits them at line boundaries across threads, and merges the result.
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { causeText, errorCode, OptaError } from '../core/errors.js';
import { displayPath, type OptaPaths } from '../core/paths.js';
import { mergeAnalysis, type Analysis, type TemplateContext } from './analysis.js';
import { Matcher, type SegmentResult } from './matcher.js';
import type { LoadedPatterns } from './patterns.js';
import { alignToLine, scanSegment, type Segment } from './reader.js';

export interface LogInput {
  path: string;
  display: string;
  /** A default input that may be absent (daemon.log.1). */
  optional?: boolean;
}

interface Opened extends LogInput {
  fd: number;
  size: number;
}

/** Below this, one thread: starting a worker (~30 ms) costs more than it saves. */
export const PARALLEL_MIN_BYTES = 24 * 1024 * 1024;

/** The daemon's log and its rotated predecessor, oldest first; only those that exist. */
export function defaultInputs(paths: OptaPaths, env: NodeJS.ProcessEnv): LogInput[] {
  const list = [
    { path: paths.logFile + '.1', display: displayPath(paths.logFile + '.1', env), optional: true },
    { path: paths.logFile, display: displayPath(paths.logFile, env), optional: true },
  ];
  const present = list.filter((f) => fs.existsSync(f.path));
  if (!present.length) {
    throw new OptaError(
      `there is no daemon log at ${list[1].display}: the daemon has not written one in this home yet. Start it (opta daemon start), or name a log file: opta logs analyze FILE`,
      2,
    );
  }
  return present;
}

/**
 * Opens every input before reading any, newest first: a rotation between two opens then shows up as the same
 * file twice (daemon.log became daemon.log.1), which is read once. Each file is read up to its size at open time;
 * lines appended later belong to the next analysis, and a file renamed or removed meanwhile is still read whole
 * through its open descriptor.
 */
export function openInputs(inputs: LogInput[]): Opened[] {
  const opened: Array<Opened & { key: string }> = [];
  try {
    for (const input of [...inputs].reverse()) {
      let fd: number;
      try {
        fd = fs.openSync(input.path, 'r');
      } catch (err) {
        if (input.optional && errorCode(err) === 'ENOENT') continue;
        throw new OptaError(`cannot read the log ${input.display}: ${causeText(err)}. Check the path, or run opta logs analyze with no FILE to read the daemon's own log.`, 2);
      }
      const st = fs.fstatSync(fd);
      const key = `${st.dev}:${st.ino}`;
      if (!st.isFile()) {
        fs.closeSync(fd);
        throw new OptaError(`cannot read the log ${input.display}: it is not a regular file. Name a log file, or run opta logs analyze with no FILE to read the daemon's own log.`, 2);
      }
      if (opened.some((o) => o.key === key)) {
        fs.closeSync(fd);
        continue;
      }
      opened.push({ ...input, fd, size: st.size, key });
    }
  } catch (err) {
    for (const o of opened) fs.closeSync(o.fd);
    throw err;
  }
  if (!opened.length) throw new OptaError(`there is no log to analyse: ${inputs.map((i) => i.display).join(', ')} do not exist. Start the daemon (opta daemon start), or name a log file.`, 2);
  return opened.reverse().map(({ key: _key, ...o }) => o);
}

/** Splits the inputs into `threads` runs of about equal bytes, each a list of segments that start at line starts. */
export function planSegments(files: Array<{ fd: number; size: number }>, threads: number): Segment[][] {
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
    g = offsets[fi] + alignToLine(files[fi].fd, g - offsets[fi], files[fi].size);
    bounds.push(Math.max(g, bounds[t - 1]));
  }
  bounds.push(total);
  const plan: Segment[][] = Array.from({ length: threads }, () => []);
  files.forEach((f, fi) => {
    for (let t = 0; t < threads; t++) {
      const start = Math.max(offsets[fi], bounds[t]);
      const end = Math.min(offsets[fi] + f.size, bounds[t + 1]);
      if (end > start) plan[t].push({ file: fi, fd: f.fd, start: start - offsets[fi], end: end - offsets[fi] });
    }
  });
  return plan;
}

export interface AnalyzeOptions {
  inputs: LogInput[];
  patterns: LoadedPatterns;
  context: TemplateContext;
  sinceStart?: boolean;
  /** Threads to use (default: the machine's cores, at most 8); inputs under parallelMinBytes use one. */
  threads?: number;
  parallelMinBytes?: number;
  /** Called with bytes read and total, after each chunk and every 100 ms while waiting for workers. */
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
  const files = openInputs(opts.inputs);
  try {
    const patterns = opts.patterns.patterns;
    const total = files.reduce((n, f) => n + f.size, 0);
    const wanted = opts.threads ?? Math.min(8, os.availableParallelism());
    const threads = total >= (opts.parallelMinBytes ?? PARALLEL_MIN_BYTES) ? Math.max(1, wanted) : 1;
    // Pieces in file and byte order; results are stored by piece index, so merging keeps that order.
    const pieces = planSegments(files, threads === 1 ? 1 : threads * PIECES_PER_THREAD).flat();
    const shared = new SharedArrayBuffer(8 * threads + 8);
    const progress = new Float64Array(shared, 8, threads);
    const next = new Int32Array(shared, 0, 1);
    const report = () => opts.onProgress?.(progress.reduce((a, b) => a + b, 0), total);
    const results: SegmentResult[] = new Array(pieces.length);
    const workers = Array.from({ length: threads - 1 }, (_, k) => runWorker(pieces, patterns, Boolean(opts.sinceStart), shared, k + 1, files));
    const matcher = new Matcher(patterns, Boolean(opts.sinceStart));
    let before = 0;
    for (let i = Atomics.add(next, 0, 1); i < pieces.length; i = Atomics.add(next, 0, 1)) {
      results[i] = scanSegment(pieces[i], matcher, patterns.length, (d) => {
        progress[0] = before + d;
        report();
      });
      before += results[i].bytesRead;
    }
    const ticker = workers.length && opts.onProgress ? setInterval(report, 100) : undefined;
    try {
      for (const done of await Promise.all(workers)) for (const { index, result } of done) results[index] = result;
    } finally {
      clearInterval(ticker);
    }
    return mergeAnalysis({
      files: files.map((f) => ({ path: f.path, display: f.display, bytes: f.size, fromByte: 0 })),
      segments: results,
      patterns,
      sinceStart: Boolean(opts.sinceStart),
      problems: opts.patterns.problems,
      context: opts.context,
      startedAt,
    });
  } finally {
    for (const f of files) fs.closeSync(f.fd);
  }
}

type WorkerReply = { ok: true; results: Array<{ index: number; result: SegmentResult }> } | { ok: false; file: number; error: string };

function runWorker(pieces: Segment[], patterns: LoadedPatterns['patterns'], sinceStart: boolean, shared: SharedArrayBuffer, slot: number, files: Opened[]): Promise<Array<{ index: number; result: SegmentResult }>> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./analyze-worker.js', import.meta.url), { workerData: { pieces, patterns, sinceStart, shared, slot }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
    w.once('message', (m: WorkerReply) => {
      if (m.ok) resolve(m.results);
      else reject(new OptaError(`cannot read the log ${files[m.file]?.display ?? '(unknown)'}: ${m.error}`, 2));
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`log analysis worker exited with code ${code} before answering`)));
  });
}
