// The crash reports kept in <home>/daemon/crashes/: their names, bounds and header, and a cheap listing (one readdir, one small read).
import fs from 'node:fs';
import path from 'node:path';

/** At most this many reports are kept; the oldest go first. */
export const MAX_CRASH_REPORTS = 10;
/** At most this many bytes of reports in all; the oldest go first. */
export const MAX_CRASH_BYTES = 512 * 1024;
/** The dead run's log kept in one report: its last bytes, from the run's start line when that fits. */
export const MAX_CRASH_LOG_BYTES = 32 * 1024;
/** What a report says when the daemon left no last words in its log. */
export const NO_LAST_WORDS = 'no last words: killed or lost power';
/** The first line of every report: a listing skips any other file. */
export const CRASH_REPORT_HEADER = 'opta daemon crash report (format 1)';

export function crashDir(home: string): string {
  return path.join(home, 'daemon', 'crashes');
}

/** crash-<last seen, compact UTC>-<daemon id>.txt: sorts by time, and names one dead run once. */
const NAME = /^crash-(\d{8}T\d{6}\d{3}Z)-([A-Za-z0-9-]{1,64})\.txt$/;

export function crashFileName(lastSeen: Date, daemonId: string): string {
  const stamp = lastSeen.toISOString().replace(/[-:.]/g, '');
  return `crash-${stamp}-${safeId(daemonId)}.txt`;
}

export function safeId(daemonId: string): string {
  return daemonId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 64) || 'unknown';
}

function stampTime(stamp: string): number {
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}.${stamp.slice(15, 18)}Z`;
  return Date.parse(iso);
}

export interface CrashEntry {
  file: string;
  name: string;
  /** When the dead run was last seen (epoch ms), from the name. */
  at: number;
  daemonId: string;
  bytes: number;
}

/** The reports in the crash directory, oldest first; anything else there (a temp file, a stranger) is skipped. */
export function listCrashReports(home: string): CrashEntry[] {
  const dir = crashDir(home);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: CrashEntry[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const at = stampTime(m[1]);
    if (!Number.isFinite(at)) continue;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(dir, name));
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    out.push({ file: path.join(dir, name), name, at, daemonId: m[2], bytes: st.size });
  }
  return out.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : 1));
}

/** The header fields of one report (`key: value` lines before the first blank line), read from its first 8 KB. */
export function readCrashHeader(file: string): Record<string, string> | undefined {
  let text: string;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      const buf = Buffer.alloc(8192);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  if (lines[0] !== CRASH_REPORT_HEADER) return undefined;
  const out: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const i = line.indexOf(': ');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 2).slice(0, 500);
  }
  return out;
}
