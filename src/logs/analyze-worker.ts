// Worker thread of `opta logs analyze`: started early (it loads its code while the patterns load), then takes pieces of the already-open log files until none are left.
import { parentPort } from 'node:worker_threads';
import { Matcher } from './matcher.js';
import type { SegmentResult } from './run-scope.js';
import type { LogPattern } from './pattern-schema.js';
import { scanSegment, type Segment } from './reader.js';

export interface WorkerJob {
  pieces: Segment[];
  patterns: LogPattern[];
  sinceStart: boolean;
  /** [0]: the next piece to take (Int32); then bytes read per thread (Float64, from byte 8). */
  shared: SharedArrayBuffer;
  slot: number;
}

parentPort?.once('message', (data: WorkerJob) => {
  const next = new Int32Array(data.shared, 0, 1);
  const progress = new Float64Array(data.shared, 8);
  const matcher = new Matcher(data.patterns, data.sinceStart);
  const results: Array<{ index: number; result: SegmentResult }> = [];
  let before = 0;
  let current = -1;
  try {
    // The descriptors belong to the process, so this thread reads the same (possibly since rotated) files.
    for (let i = Atomics.add(next, 0, 1); i < data.pieces.length; i = Atomics.add(next, 0, 1)) {
      current = data.pieces[i].file;
      const result = scanSegment(data.pieces[i], matcher, data.patterns.length, (d) => (progress[data.slot] = before + d));
      before += result.bytesRead;
      results.push({ index: i, result });
    }
    parentPort!.postMessage({ ok: true, results });
  } catch (err) {
    parentPort!.postMessage({ ok: false, file: current, error: err instanceof Error ? err.message : String(err) });
  }
});
