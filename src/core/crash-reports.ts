// The crash reports kept in <home>/daemon/crashes/: their names, bounds and header, and a cheap listing (one readdir, one small read).
import fs from 'node:fs';
import path from 'node:path';

/** At most this many reports are kept; the oldest go first. */
export const MAX_CRASH_REPORTS = 10;
/** At most this many bytes of reports in all; the oldest go first (a report is ~100 KiB at most: all ten fit). */
export const MAX_CRASH_BYTES = 1024 * 1024;
/** The dead run's log kept in one report: its last bytes, from the run's start line when that fits. */
export const MAX_CRASH_LOG_BYTES = 32 * 1024;
/** The doctor's facts kept in one report, as JSON: the largest facts are left out (named) past this. */
export const MAX_CRASH_FACTS_BYTES = 48 * 1024;
/** What a report says when the daemon left no last words in its log. */
export const NO_LAST_WORDS = 'no last words: killed or lost power';
/** The first line of every report: a listing skips any other file. */
export const CRASH_REPORT_HEADER = 'opta daemon crash report (format 1)';

export function crashDir(home: string): string {
  return path.join(home, 'daemon', 'crashes');
}

/**
 * crash-<the run's start, compact UTC>-<its pid>.txt: one dead run has one name, whoever finds it first (the guardian,
 * `daemon start`, `daemon status`, `doctor --fix`), so the exclusive create of that name is the claim and a second
 * finder writes nothing. The report's modification time is set to when the run was last seen: listings sort and count
 * by it (a run that started days ago and died now is a crash of today).
 */
const NAME = /^crash-(\d{8}T\d{6}\d{3}Z|[A-Za-z0-9]{1,40})-(\d{1,10})\.txt$/;

export function crashFileName(startedAt: string, pid: number): string {
  return `crash-${runStamp(startedAt)}-${pid}.txt`;
}

/** The start time as it names a file: compact UTC when it parses, else its letters and digits (never a path). */
function runStamp(startedAt: string): string {
  const t = Date.parse(startedAt);
  if (Number.isFinite(t)) return new Date(t).toISOString().replace(/[-:.]/g, '');
  return startedAt.replace(/[^A-Za-z0-9]/g, '').slice(0, 40) || 'unknown';
}

export interface CrashEntry {
  file: string;
  name: string;
  /** When the dead run was last seen (epoch ms): the report's modification time. */
  at: number;
  /** The dead run's pid and start stamp, from the name: the run's key. */
  pid: number;
  run: string;
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
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(dir, name));
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    out.push({ file: path.join(dir, name), name, at: st.mtimeMs, pid: Number(m[2]), run: `${m[1]}-${m[2]}`, bytes: st.size });
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
