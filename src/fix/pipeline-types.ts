// The closed vocabularies of fix pipeline files (file names, set-aside labels, argument names), zod-free; the file's types come from pipeline-schema.ts.
import type { OptaPaths } from '../core/paths.js';

/**
 * The files a step may name, by name only. sessions/ (the users' history) has no name here, so no pipeline can
 * point an action at it or anything under it; free paths and shell text cannot be written either.
 */
export const FILE_NAMES = ['stateFile', 'logFile', 'configFile'] as const;
export type FileName = (typeof FILE_NAMES)[number];

/** What a set-aside file is labelled with: state.json.corrupt-<time>, state.json.stale-<time>. */
export const ASIDE_LABELS = ['corrupt', 'stale'] as const;
export type AsideLabel = (typeof ASIDE_LABELS)[number];

export const ARG_NAMES = ['file', 'label'] as const;
export type ArgName = (typeof ARG_NAMES)[number];

export function resolveFile(paths: OptaPaths, name: FileName): string {
  return paths[name];
}
