// A per-home lock file (O_EXCL) that serialises daemon start, the crash guardian and fix runs across processes.
import fs from 'node:fs';
import crypto from 'node:crypto';
import { ensurePrivateDir } from './atomic.js';
import path from 'node:path';
import { causeText, errorCode, OptaError } from './errors.js';
import { isAlive } from './proc.js';

export interface Lock {
  release(): void;
}

/** Who holds a lock file (its pid and when it took it), or undefined when nobody does. */
export function lockHolder(file: string): { pid?: number; at?: string } | undefined {
  const h = readHolder(file);
  if (!h) return undefined;
  const at = /"at":\s*"([^"]+)"/.exec(h.text)?.[1];
  return { pid: h.pid, at };
}

function readHolder(file: string): { text: string; pid?: number; ageMs: number } | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const ageMs = Date.now() - fs.statSync(file).mtimeMs;
    const pid = Number(/"pid":\s*(\d+)/.exec(text)?.[1]);
    return { text, pid: Number.isFinite(pid) && pid > 0 ? pid : undefined, ageMs };
  } catch {
    return undefined;
  }
}

/** Moves a stale lock out of the way, putting it back if it turned out to be a fresh one. */
function breakStale(file: string, seen: string): void {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  let now = '';
  try { now = fs.readFileSync(aside, 'utf8'); } catch { /* gone */ }
  if (now !== seen) {
    try { fs.linkSync(aside, file); } catch { /* someone holds a newer lock */ }
  }
  fs.rmSync(aside, { force: true });
}

export async function acquireLock(file: string, timeoutMs = 20000): Promise<Lock> {
  ensurePrivateDir(path.dirname(file));
  const deadline = Date.now() + timeoutMs;
  const body = JSON.stringify({ pid: process.pid, at: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, body);
      fs.closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          const h = readHolder(file);
          if (h && h.text === body) fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw new OptaError(`failed to create lock file ${file}: ${causeText(err)}`, 1, { cause: err });
    }
    const holder = readHolder(file);
    // A holder that died, or a lock that stayed unreadable for 2 s (crash between open and write), is stale.
    if (holder && ((holder.pid !== undefined && !isAlive(holder.pid)) || (holder.pid === undefined && holder.ageMs > 2000))) {
      breakStale(file, holder.text);
      continue;
    }
    if (Date.now() > deadline) {
      throw new OptaError(`timed out waiting for lock ${file} held by pid ${holder?.pid ?? 'unknown'}. If no opta command is running, remove the lock file and try again.`);
    }
    await new Promise((r) => setTimeout(r, Math.min(20 + attempt * 5, 100)));
  }
}
