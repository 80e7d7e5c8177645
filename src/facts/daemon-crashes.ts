// Fact daemon-crashes: the crash reports kept in daemon/crashes/ (one readdir, one small read): how many in the last 24 hours, the last one's cause and path.
import { listCrashReports, readCrashHeader } from '../core/crash-reports.js';
import { displayPath } from '../core/paths.js';
import type { FactCollector } from './fact.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const daemonCrashes: FactCollector<'daemon-crashes'> = {
  id: 'daemon-crashes',
  description: 'daemon/crashes/: crash reports kept when the daemon died without stopping (count in the last 24 hours, last cause, path)',
  priority: 20,
  collect(ctx) {
    const all = listCrashReports(ctx.paths.home);
    const now = Date.now();
    const recent = all.filter((e) => now - e.at <= DAY_MS);
    const last = all.at(-1);
    const header = last ? readCrashHeader(last.file) : undefined;
    return {
      kept: all.length,
      recent24h: recent.length,
      last: last
        ? { at: new Date(last.at).toISOString(), path: last.file, display: displayPath(last.file, ctx.env), cause: header?.cause ?? 'unknown (the report is unreadable)', pid: header?.pid ?? null }
        : null,
    };
  },
};
