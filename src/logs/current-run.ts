// The log analysis of the current daemon run, bounded: what `opta doctor` (and the support bundle) read, at a cost that does not grow with the log.
import type { OptaPaths } from '../core/paths.js';
import { mergeAnalysis, type Analysis } from './analysis.js';
import { closeInputs, defaultInputs, openInputs } from './inputs.js';
import { Matcher } from './matcher.js';
import { loadPatterns, templateContext, type LoadedPatterns } from './patterns.js';
import { alignToLine, scanSegment } from './reader.js';

/**
 * The doctor reads at most the last 256 KiB of daemon.log (and daemon.log.1, if daemon.log is shorter): about 2,500
 * lines. A one-shot process scans them before V8 has optimised the scanner (a few µs a line); measured in a fresh
 * process, the whole analysis takes ~3 ms with 16 KiB, ~5 ms with 256 KiB and ~14 ms with 1 MiB. The current run is
 * what follows the last "daemon started" line in that window; if the run is longer, its counts cover only the window
 * (`window.partial`, and messages say so).
 */
export const CURRENT_RUN_MAX_BYTES = 256 * 1024;

export interface CurrentRunOptions {
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  maxBytes?: number;
  /** Patterns already loaded (the doctor loads them once); default: the built-in ones. */
  patterns?: LoadedPatterns;
}

export async function analyzeCurrentRun(opts: CurrentRunOptions): Promise<Analysis> {
  const patterns = opts.patterns ?? (await loadPatterns());
  return analyzeCurrentRunWith(opts, patterns);
}

/** The synchronous core: patterns are loaded, the rest is a bounded read. */
export function analyzeCurrentRunWith(opts: CurrentRunOptions, loaded: LoadedPatterns): Analysis {
  const startedAt = Date.now();
  const maxBytes = opts.maxBytes ?? CURRENT_RUN_MAX_BYTES;
  const context = templateContext(opts.paths, opts.env);
  const base = { patterns: loaded.patterns, sinceStart: true, window: { maxBytes }, problems: loaded.problems, context, startedAt };
  let files;
  try {
    files = openInputs(defaultInputs(opts.paths, opts.env));
  } catch {
    // No daemon log yet: nothing to say about a run that never wrote one.
    return mergeAnalysis({ ...base, files: [], segments: [] });
  }
  try {
    // The window: the last maxBytes of the logs taken together, newest file first, cut at a line start.
    let left = maxBytes;
    const from = new Array<number>(files.length).fill(0);
    for (let i = files.length - 1; i >= 0; i--) {
      const take = Math.min(files[i].size, left);
      left -= take;
      from[i] = take < files[i].size ? alignToLine(files[i].fd, files[i].size - take, files[i].size) : 0;
    }
    const matcher = new Matcher(loaded.patterns, true);
    const kept = files.map((f, i) => ({ f, i })).filter(({ f, i }) => from[i] < f.size || f.size === 0);
    const segments = kept.map(({ f, i }, k) => scanSegment({ file: k, fd: f.fd, start: from[i], end: f.size }, matcher, loaded.patterns.length));
    return mergeAnalysis({
      ...base,
      files: kept.map(({ f, i }) => ({ path: f.path, display: f.display, bytes: f.size, fromByte: from[i] })),
      segments,
    });
  } finally {
    closeInputs(files);
  }
}
