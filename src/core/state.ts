// The daemon state file (daemon/state.json): schema, classified reads, atomic writes, guarded removal.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic.js';
import { causeText, errorCode, OptaError } from './errors.js';

export const DaemonStateSchema = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().min(1).max(65535),
  host: z.string().min(1),
  token: z.string().min(32),
  daemonId: z.string().min(1),
  startedAt: z.string().min(1),
  version: z.string().min(1),
});
export type DaemonState = z.infer<typeof DaemonStateSchema>;

export type StateClass = 'missing' | 'empty' | 'not-json' | 'wrong-shape' | 'valid';

export type StateRead =
  | { class: 'missing'; path: string }
  | { class: 'empty'; path: string }
  | { class: 'not-json'; path: string; error: string }
  | { class: 'wrong-shape'; path: string; error: string }
  | { class: 'valid'; path: string; state: DaemonState };

/** Reads and classifies state.json. Never throws for bad content; throws OptaError when unreadable. */
export function readState(file: string): StateRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
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
  const parsed = DaemonStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join('.') : '(root)';
    return { class: 'wrong-shape', path: file, error: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { class: 'valid', path: file, state: parsed.data };
}

export function writeState(file: string, state: DaemonState): void {
  writeFileAtomic(file, JSON.stringify(DaemonStateSchema.parse(state), null, 2) + '\n');
}

/** Removes state.json only while it still names this daemon, so a daemon never deletes a successor's state. */
export function removeStateIfOwned(file: string, daemonId: string): boolean {
  const cur = readState(file);
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
