// daemon/state.json without zod: a reader that classifies it exactly like state.ts readState (one shape: state-shape.ts), the running record's write, the stopped record a stop leaves, setting aside.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { causeText, errorCode, OptaError } from './errors.js';
import { checkStateLite, variantOf, type DaemonState, type StateCheck, type StateRead, type StopHow, type StoppedState } from './state-shape.js';
import { readSmallFile } from './read-small.js';

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
  const variant = variantOf(json);
  const r = check(json, variant);
  if (!r.ok) return { class: 'wrong-shape', path: file, error: r.error };
  return variant === 'stopped' ? { class: 'stopped', path: file, stopped: r.value as StoppedState } : { class: 'valid', path: file, state: r.value as DaemonState };
}

/** Same contract as readState, without loading zod. */
export function readStateLite(file: string): StateRead {
  return readStateWith(file, checkStateLite);
}

/** Writes a running daemon's record (atomic, 0600), checked like the schema checks it: unknown keys are dropped. */
export function writeState(file: string, state: DaemonState): void {
  const r = checkStateLite(state, 'running');
  if (!r.ok) throw new OptaError(`not a daemon state record (${r.error}); nothing was written to ${file}`);
  writeFileAtomic(file, JSON.stringify(r.value, null, 2) + '\n');
}

/** The stopped record of a running daemon's: what it had, when and how it stopped; the token is dropped (nothing can use it). */
export function stoppedRecord(state: DaemonState, how: StopHow, at = new Date()): StoppedState {
  const { pid, port, host, daemonId, startedAt, version } = state;
  return { status: 'stopped', pid, port, host, daemonId, startedAt, version, stoppedAt: at.toISOString(), how };
}

/**
 * Rewrites state.json as a stopped record, only while it still names this daemon as running (a daemon never touches a
 * successor's state). Atomic and 0600, so the guide's Reset Everything finds the file to remove after a stop and
 * `opta daemon status` can say when it stopped. If the record cannot be written (a full disk), the running record is
 * removed instead: a file naming a daemon that is gone would read as a crash.
 */
export function markStoppedIfOwned(file: string, daemonId: string, how: StopHow): boolean {
  const cur = readStateLite(file);
  if (cur.class !== 'valid' || cur.state.daemonId !== daemonId) return false;
  try {
    writeFileAtomic(file, JSON.stringify(stoppedRecord(cur.state, how), null, 2) + '\n');
  } catch {
    fs.rmSync(file, { force: true });
  }
  return true;
}

/** Moves a corrupt or stale state file aside (state.json.corrupt-<time>) instead of deleting evidence. */
/** How many set-aside copies of each label are kept: enough to look back at a few crashes, bounded however many happen. */
export const ASIDE_KEPT = 5;

export function setStateAside(file: string, label: 'corrupt' | 'stale'): string | undefined {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = path.join(path.dirname(file), `${path.basename(file)}.${label}-${stamp}`);
  try {
    fs.renameSync(file, target);
    pruneAside(file, label);
    return target;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw new OptaError(`failed to move state file ${file} aside: ${causeText(err)}`, 1, { cause: err });
  }
}

/** Removes all but the newest ASIDE_KEPT copies of `label` (their names sort by time); a copy that will not go stays. */
function pruneAside(file: string, label: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.${label}-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(prefix)).sort();
  } catch {
    return;
  }
  for (const n of names.slice(0, Math.max(0, names.length - ASIDE_KEPT))) {
    try {
      fs.rmSync(path.join(dir, n), { force: true });
    } catch {
      // Best effort: an old copy that cannot go is no reason to fail the move that just succeeded.
    }
  }
}
