// Crash reports: what a dead daemon run left (identity, last words, its log) and the doctor's facts, captured before its state is set aside and written, redacted, after the new daemon serves.
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, writeFileOnce } from '../../core/atomic.js';
import {
  CRASH_REPORT_HEADER, crashDir, crashFileName, listCrashReports, MAX_CRASH_BYTES, MAX_CRASH_FACTS_BYTES, MAX_CRASH_LOG_BYTES, MAX_CRASH_REPORTS, NO_LAST_WORDS,
} from '../../core/crash-reports.js';
import { displayPath, type OptaPaths } from '../../core/paths.js';
import type { DaemonState } from '../../core/state-shape.js';

/** How much of the log's end is searched for the dead run's start line (the capture runs before the restart: keep it small). */
const SCAN_BYTES = 256 * 1024;
const CONFIG_BYTES = 16 * 1024;
const START_LINE = /^\[\d\d:\d\d:\d\d\] INFO {2}daemon started on /;
/** The daemon's own last words (main.ts's uncaught-error handler), and V8's when the heap ran out. */
const CRASHED = /^\[\d\d:\d\d:\d\d\] ERROR daemon crashed: (.*)$/;
const FATAL = /^FATAL ERROR: (.*)$/;

export interface DeadRun {
  state: DaemonState;
  foundAt: Date;
  lastSeen: Date;
  cause: string;
  log: string;
  logNote: string;
}

function readTail(file: string, max: number): { text: string; mtime?: Date; cut: boolean } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch {
    return { text: '', cut: false };
  }
  try {
    const st = fs.fstatSync(fd);
    const len = Math.min(st.size, max);
    const buf = Buffer.alloc(len);
    const n = fs.readSync(fd, buf, 0, len, st.size - len);
    return { text: buf.subarray(0, n).toString('utf8'), mtime: st.mtime, cut: st.size > max };
  } finally {
    fs.closeSync(fd);
  }
}

/** The last words of a run: its own "daemon crashed" line, V8's fatal error, or none (SIGKILL, power loss). */
export function lastWords(lines: string[]): string {
  for (let i = lines.length - 1; i >= 0; i--) {
    const c = CRASHED.exec(lines[i]);
    if (c) return `uncaught error: ${c[1]}`;
    const f = FATAL.exec(lines[i]);
    if (f) return /heap|memory/i.test(f[1]) ? `out of memory: ${f[1]}` : `fatal error: ${f[1]}`;
  }
  return NO_LAST_WORDS;
}

/** Keeps the start and the end of a run's log when it is longer than the bound. */
function bound(text: string, max: number): { text: string; note: string } {
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return { text, note: '' };
  const head = Buffer.from(text).subarray(0, Math.floor(max / 8)).toString('utf8');
  const tail = Buffer.from(text).subarray(bytes - (max - head.length)).toString('utf8');
  return { text: `${head}\n[... ${bytes - max} bytes of this run left out ...]\n${tail}`, note: ` (start and end; ${bytes} bytes in all)` };
}

/** Captures a dead run from state.json's record and the log's end: synchronous, one bounded read (runs before the restart). */
export function captureDeadRun(paths: OptaPaths, state: DaemonState): DeadRun {
  const foundAt = new Date();
  const tail = readTail(paths.logFile, SCAN_BYTES);
  const lines = tail.text.split('\n');
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (START_LINE.test(lines[i])) {
      start = i;
      break;
    }
  }
  const runLines = start >= 0 ? lines.slice(start) : tail.cut ? lines.slice(1) : lines;
  const b = bound(runLines.join('\n'), MAX_CRASH_LOG_BYTES);
  const logNote = start >= 0 ? `from the run's start line${b.note}` : `its start line was not found: the log's last bytes${b.note}`;
  return { state, foundAt, lastSeen: tail.mtime ?? foundAt, cause: lastWords(runLines), log: b.text, logNote };
}

/** The doctor's facts at the moment a dead run is found (plain JSON by fact id). */
export type CrashFacts = () => Promise<Record<string, unknown>>;
export type CrashFactsSource = (paths: OptaPaths, env: NodeJS.ProcessEnv) => Promise<Record<string, unknown>>;

let defaultFacts: CrashFactsSource | undefined;

/**
 * Where the doctor's facts for a report come from when the finder passes none (the crash guardian inside a session
 * command, `daemon start`). The CLI sets it (doctor/crash-facts.ts): this layer sits below the doctor and cannot load it.
 */
export function collectCrashFactsWith(source: CrashFactsSource | undefined): void {
  defaultFacts = source;
}

export interface KeepOptions {
  /** Who found the run dead: "the crash guardian", "opta daemon start", "opta daemon status", "opta doctor --fix". */
  foundBy: string;
  env?: NodeJS.ProcessEnv;
  maxReports?: number;
  maxBytes?: number;
  /** The doctor's facts: collected now (after the new daemon serves), or already at hand (--fix's first doctor run). */
  facts?: CrashFacts;
}

/** The path the report of this run has (or will have): one name per run, whoever finds it. */
export function crashReportPath(paths: OptaPaths, state: DaemonState): string {
  return path.join(crashDir(paths.home), crashFileName(state.startedAt, state.pid));
}

/** Whether this dead run already has its report (a second finder then writes nothing and collects nothing). */
export function hasCrashReport(paths: OptaPaths, state: DaemonState): boolean {
  try {
    fs.lstatSync(crashReportPath(paths, state));
    return true;
  } catch {
    return false;
  }
}

/** The facts as JSON, at most `max` bytes: the largest facts are left out (named, with their size) until it fits. */
export function boundFacts(facts: Record<string, unknown>, max = MAX_CRASH_FACTS_BYTES): { text: string; note: string } {
  const entries = Object.entries(facts).map(([id, v]) => {
    let json: string;
    try {
      json = JSON.stringify(v, null, 1) ?? 'null';
    } catch {
      json = '"(not JSON)"';
    }
    return { id, json, bytes: Buffer.byteLength(json), out: false };
  });
  const left: string[] = [];
  const render = () => `{\n${entries.map((e) => ` ${JSON.stringify(e.id)}: ${e.json}`).join(',\n')}\n}`;
  let text = render();
  for (;;) {
    if (Buffer.byteLength(text) <= max) break;
    const kept = entries.filter((e) => !e.out);
    if (!kept.length) break;
    const e = kept.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    left.push(`${e.id} (${e.bytes} bytes)`);
    e.json = JSON.stringify(`(left out: ${e.bytes} bytes)`);
    e.out = true;
    text = render();
  }
  return { text, note: left.length ? `; left out to stay within ${max} bytes: ${left.join(', ')}` : '' };
}

async function factsText(source: CrashFacts | undefined): Promise<{ text: string; note: string }> {
  if (!source) return { text: '(not collected: this command does not run the doctor)', note: '' };
  try {
    return boundFacts(await source());
  } catch (err) {
    return { text: `(could not be collected: ${err instanceof Error ? err.message : String(err)})`, note: '' };
  }
}

function readConfig(file: string): string {
  const t = readTail(file, CONFIG_BYTES);
  return t.cut ? '(config.json is larger than 16 KB; left out)' : t.text.trim() || '(no config.json)';
}

/** Drops the oldest reports until at most `maxReports` and `maxBytes` remain. */
export function pruneCrashReports(home: string, maxReports = MAX_CRASH_REPORTS, maxBytes = MAX_CRASH_BYTES): void {
  const all = listCrashReports(home);
  let total = all.reduce((s, e) => s + e.bytes, 0);
  let count = all.length;
  for (const e of all) {
    if (count <= maxReports && total <= maxBytes) break;
    try {
      fs.rmSync(e.file, { force: true });
    } catch {
      continue;
    }
    count--;
    total -= e.bytes;
  }
}

/**
 * Writes the report of a dead run (redacted like a bundle, 0600, once per run: its name is the run's) and prunes the
 * oldest past the bounds. Returns its path, or undefined when this run already has one. Throws only on a broken
 * redaction shape or a full disk.
 */
export async function keepCrashReport(paths: OptaPaths, dead: DeadRun, opts: KeepOptions): Promise<string | undefined> {
  if (hasCrashReport(paths, dead.state)) return undefined;
  const factsAt = new Date();
  const [{ loadShapes }, { knownSecrets }, { Redactor, RedactShapesError }, facts] = await Promise.all([
    import('../../redact/load-shapes.js'),
    import('../../redact/known-secrets.js'),
    import('../../redact/redactor.js'),
    factsText(opts.facts ?? (defaultFacts ? () => defaultFacts!(paths, opts.env ?? process.env) : undefined)),
  ]);
  const { shapes, problems } = await loadShapes();
  if (problems.length) throw new RedactShapesError(problems);
  // The dead run's token is no longer in state.json (set aside by now): it is named here so it is replaced everywhere.
  const known = [{ value: dead.state.token, label: 'daemon-token' }, ...knownSecrets(paths, opts.env ?? {}, shapes)];
  const r = new Redactor(shapes, known);
  const s = dead.state;
  const header = [
    CRASH_REPORT_HEADER,
    `daemon id: ${s.daemonId}`,
    `pid: ${s.pid}`,
    `address: ${s.host}:${s.port}`,
    `version: ${s.version}`,
    `started at: ${s.startedAt}`,
    `last seen: ${dead.lastSeen.toISOString()}`,
    `found dead at: ${dead.foundAt.toISOString()}`,
    `found by: ${opts.foundBy}`,
    `cause: ${dead.cause.replace(/[\r\n]/g, ' ').slice(0, 400)}`,
  ];
  const text = [
    header.join('\n'),
    '',
    `--- config.json (redacted) ---`,
    readConfig(paths.configFile),
    '',
    `--- daemon.log of this run (${dead.logNote}; redacted) ---`,
    dead.log,
    '',
    `--- the doctor's facts (asked from ${factsAt.toISOString()}; redacted${facts.note}) ---`,
    facts.text,
    '',
  ].join('\n');
  const dir = crashDir(paths.home);
  const fresh = !fs.existsSync(dir);
  ensurePrivateDir(dir);
  const file = crashReportPath(paths, s);
  try {
    if (!writeFileOnce(file, r.text(text))) return undefined;
  } catch (err) {
    // A full disk: leave the home as it was (the directory too, when this made it), and say why.
    if (fresh) {
      try {
        fs.rmdirSync(dir);
      } catch {
        // Not empty (another finder wrote in it meanwhile): it stays.
      }
    }
    throw err;
  }
  try {
    // Listings sort and count reports by when the run was last seen, not when it was found.
    fs.utimesSync(file, dead.lastSeen, dead.lastSeen);
  } catch {
    // The report stands; it then counts from when it was written.
  }
  try {
    pruneCrashReports(paths.home, opts.maxReports, opts.maxBytes);
  } catch {
    // A report that could not prune still stands; the next one tries again.
  }
  return file;
}

/**
 * Keeps the report of a dead run and says one line when it is kept (stderr unless `say` is given). Never throws: a
 * report that cannot be written must not fail the command that found the run (or restarted the daemon).
 */
export function keepCrashReportSaying(paths: OptaPaths, dead: DeadRun, opts: KeepOptions, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string | undefined> {
  return keepCrashReport(paths, dead, opts).then(
    (file) => {
      if (file) say(`opta: the daemon (pid ${dead.state.pid}) had died (${dead.cause}); a crash report was kept: ${displayPath(file, opts.env)}`);
      return file;
    },
    (err) => {
      say(`opta: the daemon (pid ${dead.state.pid}) had died; its crash report could not be kept: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    },
  );
}
