// opta's temp files: one name shape (.<name>.<pid>.<8 hex>.tmp, 0600 from creation), and the sweep that removes those a killed writer left.
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from './proc.js';

/** The shape of every temp file opta writes beside its target; the pid is the writer's. Nothing else is ever swept. */
const TEMP_NAME = /^\.[^/]+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * What makes a temp file's name unique besides the pid: creation is exclusive ('wx'), so this needs no strength, and
 * not loading node:crypto saves ~2 ms of every command that writes (config set, daemon start's lock).
 */
export function tempSuffix(): string {
  return Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
}

/** A new temp name beside `file` (the sweep below knows it by its shape). */
export function tempPathFor(file: string, base = path.basename(file)): string {
  return path.join(path.dirname(file), `.${base}.${process.pid}.${tempSuffix()}.tmp`);
}

/**
 * Removes from `dir` the temp files a writer killed mid-write (SIGKILL, a power loss) left: only opta's own names,
 * only regular files of this user, only when the pid in the name is dead (a live one may be writing it now). Run by
 * every writer before it writes there, so no temp file outlives the next run in its directory. Never throws.
 */
export function sweepTemps(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    const file = path.join(dir, name);
    try {
      const st = fs.lstatSync(file);
      if (!st.isFile() || (uid !== undefined && st.uid !== uid)) continue;
      fs.rmSync(file, { force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}
