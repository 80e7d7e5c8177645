// The literal prefilters of the built-in log patterns, worked out at build time, so a one-shot `opta doctor` does not parse regexes.
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../core/install.js';
import { regexInfo } from './regex-info.js';

/** Written by build-artifacts.js after `tsc`: regex source -> its prefixes and required literals. */
export const PREFILTERS_FILE = path.join(PACKAGE_ROOT, 'dist', 'src', 'logs', 'prefilters.json');

/** The bundles carry the table as JSON text (src/build/bundle.ts): no file to read; tsc's output reads PREFILTERS_FILE. */
declare const OPTA_LOG_PREFILTERS: string | undefined;

export type Prefilter = { prefixes: string[] | null; literals: string[] | null };

let cache: Record<string, Prefilter> | undefined;

/**
 * The prefilter of a regex: from the build's table when the source is in it (the table is keyed by the source
 * itself, so it cannot be stale), else worked out now (a pattern file edited or added since the build).
 */
export function prefilterOf(source: string): Prefilter {
  if (!cache) {
    try {
      cache = JSON.parse(typeof OPTA_LOG_PREFILTERS !== 'undefined' ? OPTA_LOG_PREFILTERS : fs.readFileSync(PREFILTERS_FILE, 'utf8')) as Record<string, Prefilter>;
    } catch {
      cache = {};
    }
  }
  const hit = Object.hasOwn(cache, source) ? cache[source] : undefined;
  if (hit) return hit;
  const info = regexInfo(source);
  return (cache[source] = { prefixes: info.prefixes, literals: info.literals });
}

/** Build step: the table for every regex of the built-in patterns. */
export function writePrefilters(sources: string[], file = PREFILTERS_FILE): void {
  const out: Record<string, Prefilter> = {};
  for (const s of sources) {
    const info = regexInfo(s);
    out[s] = { prefixes: info.prefixes, literals: info.literals };
  }
  fs.writeFileSync(file, JSON.stringify(out) + '\n');
}
