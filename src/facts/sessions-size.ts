// Fact sessions-size: how many sessions and bytes sessions/ holds, and how fast this daemon makes it grow against the free space.
import fs from 'node:fs';
import path from 'node:path';
import type { FactCollector, FactValue } from './fact.js';

/** A rate is believed only after the daemon has run this long: a burst in its first minutes says nothing about a week. */
export const MIN_RATE_UPTIME_MS = 10 * 60 * 1000;
const WEEK_HOURS = 7 * 24;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Counts sessions/<id>/ and adds up the sizes of their files, by readdir and lstat only (no file is opened), stopping
 * at the collector's deadline (then `complete` is false and the figures are a floor).
 */
function scan(dir: string, endsAt: number): { sessions: number; bytes: number; complete: boolean } {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return { sessions: 0, bytes: 0, complete: true };
  }
  let sessions = 0;
  let bytes = 0;
  for (const name of names) {
    if (Date.now() > endsAt) return { sessions, bytes, complete: false };
    const sub = path.join(dir, name);
    const st = fs.lstatSync(sub, { throwIfNoEntry: false });
    if (!st?.isDirectory()) continue;
    sessions++;
    let files: string[] = [];
    try {
      files = fs.readdirSync(sub);
    } catch {
      continue;
    }
    for (const f of files) {
      const fst = fs.lstatSync(path.join(sub, f), { throwIfNoEntry: false });
      if (fst?.isFile()) bytes += fst.size;
    }
  }
  return { sessions, bytes, complete: true };
}

export const sessionsSize: FactCollector<'sessions-size'> = {
  id: 'sessions-size',
  description: 'sessions/: session count and bytes (the running daemon\'s figures, else readdir + lstat within the deadline), and its growth since the daemon started (GET /v3/health) against the free space',
  async collect(ctx): Promise<FactValue> {
    const [daemon, disk] = await Promise.all([ctx.fact('daemon'), ctx.fact('disk-space')]);
    const counts = (daemon.status === 'running' ? daemon.counts : null) as Record<string, unknown> | null;
    const uptimeMs = num(daemon.uptimeMs);
    const fromDaemon = counts && num(counts.sessionBytes) !== null && num(counts.sessions) !== null;
    const size = fromDaemon
      ? { sessions: num(counts.sessions)!, bytes: num(counts.sessionBytes)!, complete: true }
      : scan(ctx.paths.sessionsDir, ctx.endsAt ?? Date.now() + ctx.timeoutMs - 50);
    const appended = counts ? num(counts.sessionBytesAppended) : null;
    // The rate the daemon measured itself: bytes it appended per hour of its uptime (null before it means anything).
    const bytesPerHour = appended !== null && uptimeMs !== null && uptimeMs >= MIN_RATE_UPTIME_MS ? Math.round(appended / (uptimeMs / 3_600_000)) : null;
    const free = num(disk.freeBytes);
    const hoursLeft = bytesPerHour && free !== null ? free / bytesPerHour : null;
    return {
      path: ctx.paths.sessionsDir,
      source: fromDaemon ? 'daemon' : 'scan',
      sessions: size.sessions,
      bytes: size.bytes,
      MiB: Math.round((size.bytes / 1048576) * 10) / 10,
      complete: size.complete,
      appendedBytes: appended,
      uptimeMs,
      bytesPerHour,
      MiBPerDay: bytesPerHour === null ? null : Math.round((bytesPerHour * 24 / 1048576) * 10) / 10,
      daysOfFreeSpace: hoursLeft === null ? null : Math.round((hoursLeft / 24) * 10) / 10,
      fillsWithinWeek: hoursLeft !== null && hoursLeft < WEEK_HOURS,
    };
  },
};
