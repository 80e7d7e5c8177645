// daemon/state.json without zod: a reader that classifies it exactly like state.ts readState, guarded removal, setting aside.
import fs from 'node:fs';
import path from 'node:path';
import { causeText, errorCode, OptaError } from './errors.js';
import type { DaemonState, StateRead } from './state.js';
import { readSmallFile } from './read-small.js';

/** Mirrors DaemonStateSchema (checked by a test); zod would add ~45 ms to every `opta doctor`. */
const FIELDS: Array<[keyof DaemonState, (v: unknown) => string | undefined]> = [
  ['pid', (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? undefined : 'expected a positive whole number')],
  ['port', (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= 65535 ? undefined : 'expected a port from 1 to 65535')],
  ['host', (v) => (typeof v === 'string' && v.length >= 1 ? undefined : 'expected a non-empty string')],
  ['token', (v) => (typeof v === 'string' && v.length >= 32 ? undefined : 'expected a string of at least 32 characters')],
  ['daemonId', (v) => (typeof v === 'string' && v.length >= 1 ? undefined : 'expected a non-empty string')],
  ['startedAt', (v) => (typeof v === 'string' && v.length >= 1 ? undefined : 'expected a non-empty string')],
  ['version', (v) => (typeof v === 'string' && v.length >= 1 ? undefined : 'expected a non-empty string')],
];

export function checkStateLite(json: unknown): { ok: true; state: DaemonState } | { ok: false; error: string } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, error: '(root): expected an object' };
  const o = json as Record<string, unknown>;
  const state: Record<string, unknown> = {};
  for (const [key, check] of FIELDS) {
    const problem = check(o[key]);
    if (problem) return { ok: false, error: `${key}: ${problem}` };
    state[key] = o[key];
  }
  // Like a non-strict zod object: unknown keys are allowed and dropped.
  return { ok: true, state: state as unknown as DaemonState };
}

export type StateCheck = (json: unknown) => { ok: true; state: DaemonState } | { ok: false; error: string };

/**
 * Reads and classifies state.json with the given validator. Never throws for bad content; throws OptaError
 * when the file cannot be read. state.ts passes the zod schema; fast read-only paths pass checkStateLite.
 */
export function readStateWith(file: string, check: StateCheck): StateRead {
  let text: string;
  try {
    text = readSmallFile(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { class: 'missing', path: file };
    throw new OptaError(`failed to read state file ${file}: ${causeText(err)}. Check its owner and mode (ls -l ${file}).`, 1, { cause: err });
  }
  if (text.trim() === '') return { class: 'empty', path: file };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { class: 'not-json', path: file, error: causeText(err) };
  }
  const r = check(json);
  return r.ok ? { class: 'valid', path: file, state: r.state } : { class: 'wrong-shape', path: file, error: r.error };
}

/** Same contract as readState, without loading zod. */
export function readStateLite(file: string): StateRead {
  return readStateWith(file, checkStateLite);
}

/** Removes state.json only while it still names this daemon, so a daemon never deletes a successor's state. */
export function removeStateIfOwned(file: string, daemonId: string): boolean {
  const cur = readStateLite(file);
  if (cur.class !== 'valid' || cur.state.daemonId !== daemonId) return false;
  fs.rmSync(file, { force: true });
  return true;
}

/** Moves a corrupt or stale state file aside (state.json.corrupt-<time>) instead of deleting evidence. */
export function setStateAside(file: string, label: 'corrupt' | 'stale'): string | undefined {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = path.join(path.dirname(file), `${path.basename(file)}.${label}-${stamp}`);
  try {
    fs.renameSync(file, target);
    return target;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw new OptaError(`failed to move state file ${file} aside: ${causeText(err)}`, 1, { cause: err });
  }
}
