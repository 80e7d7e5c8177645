// A per-home lock file (created whole, exclusively) that serialises daemon start, the crash guardian and fix runs across processes.
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, tempSuffix, writeFileOnce } from './atomic.js';
import { OptaError } from './errors.js';
import { isAlive, processStartId, sameHome } from './proc.js';
import { readSmallFile } from './read-small.js';

export interface Lock {
  release(): void;
}

interface Holder {
  text: string;
  pid?: number;
  start?: string;
  home?: string;
}

function readHolder(file: string): Holder | undefined {
  let text: string;
  try {
    text = readSmallFile(file);
  } catch {
    return undefined;
  }
  let body: { pid?: unknown; start?: unknown; home?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not ours (opta writes the lock whole): it is judged stale below.
  }
  const pid = typeof body?.pid === 'number' && Number.isSafeInteger(body.pid) && body.pid > 0 ? body.pid : undefined;
  return { text, pid, start: typeof body?.start === 'string' ? body.start : undefined, home: typeof body?.home === 'string' ? body.home : undefined };
}

/**
 * A lock is held only by the very opta process that wrote it for this home: it names this home, and its pid is alive
 * and still has the start time recorded in the lock. Anything else (a dead pid, a reused pid, `{"pid":1}`, a lock copied from another home,
 * garbage) is stale and must not make a start wait.
 */
export function holderIsLive(h: Holder, home: string): boolean {
  if (h.pid === undefined || !sameHome(h.home, home) || !isAlive(h.pid)) return false;
  // opta writes the start time wherever it can read one; only where it cannot (an unusual platform) is liveness all
  // there is to go on. A lock without it on a platform that has it was not written by opta (a live pid named by hand).
  if (h.start === undefined) return processStartId(process.pid) === undefined;
  return processStartId(h.pid) === h.start;
}

/** The live holder of a lock file (its pid and when it took it), or undefined when nobody holds it. */
export function lockHolder(file: string, home: string): { pid: number; at?: string } | undefined {
  const h = readHolder(file);
  if (!h || h.pid === undefined || !holderIsLive(h, home)) return undefined;
  let at: string | undefined;
  try {
    const v = (JSON.parse(h.text) as { at?: unknown }).at;
    at = typeof v === 'string' ? v : undefined;
  } catch {
    // A holder that is live wrote it whole; no time is all that is lost.
  }
  return { pid: h.pid, at };
}

/** Moves a stale lock out of the way, putting it back if it turned out to be a fresh one. */
function breakStale(file: string, seen: string): void {
  const aside = `${file}.stale-${process.pid}-${tempSuffix()}`;
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

/** Releases of the locks this process holds now, for a signal that ends it (see onEndingSignal). */
const held = new Set<() => void>();
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Ctrl-C, TERM or HUP while a lock is held (an interrupted `opta daemon start`) would end the process with the lock
 * left behind. When nothing else in the process handles the signal, the locks are released and the signal raised
 * again, so the process still ends as the signal says; code that handles the signal itself releases in its own time.
 */
function onEndingSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  for (const release of [...held]) release();
  for (const s of ENDING_SIGNALS) process.removeListener(s, onEndingSignal);
  process.kill(process.pid, signal);
}

/** Acquisitions under way: the handlers are in place before a lock file can exist (see acquireLock). */
let acquiring = 0;

function listen(): void {
  // First in line, so a handler the code added itself (a once() the signal is removing) is still counted.
  if (!held.size && !acquiring) for (const s of ENDING_SIGNALS) process.prependListener(s, onEndingSignal);
}

function unlisten(): void {
  if (!held.size && !acquiring) for (const s of ENDING_SIGNALS) process.removeListener(s, onEndingSignal);
}

function letGo(release: () => void): void {
  held.delete(release);
  unlisten();
}

/** `home` is the opta home the lock serialises; the lock file lives in it. Throws WriteError when it cannot be created. */
export async function acquireLock(file: string, home: string, timeoutMs = 20000): Promise<Lock> {
  // Without a listener a signal ends the process at once, even between creating the lock file and recording it as
  // held: the listener goes in first, so the signal waits for that synchronous step and then releases the lock.
  listen();
  acquiring++;
  try {
    return await acquire(file, home, timeoutMs);
  } finally {
    acquiring--;
    unlisten();
  }
}

async function acquire(file: string, home: string, timeoutMs: number): Promise<Lock> {
  ensurePrivateDir(path.dirname(file));
  const deadline = Date.now() + timeoutMs;
  const body = JSON.stringify({ pid: process.pid, start: processStartId(process.pid), home, at: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    // Created whole or not at all: a full disk can never leave an empty lock behind.
    if (writeFileOnce(file, body)) {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        letGo(release);
        const h = readHolder(file);
        if (h && h.text === body) fs.rmSync(file, { force: true });
      };
      held.add(release);
      return { release };
    }
    const holder = readHolder(file);
    if (holder && !holderIsLive(holder, home)) {
      breakStale(file, holder.text);
      continue;
    }
    if (Date.now() > deadline) {
      throw new OptaError(`timed out waiting for lock ${file} held by pid ${holder?.pid ?? 'unknown'}. If no opta command is running, remove the lock file and try again.`);
    }
    await new Promise((r) => setTimeout(r, Math.min(20 + attempt * 5, 100)));
  }
}
