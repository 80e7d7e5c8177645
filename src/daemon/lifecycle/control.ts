// Start, stop and the crash guardian: every path that starts or signals a daemon, serialised by the home's lock.
import fs from 'node:fs';
import { acquireLock } from '../../core/lock.js';
import { OptaError } from '../../core/errors.js';
import { displayPath, type OptaPaths } from '../../core/paths.js';
import { isAlive, isOptaDaemonOf, waitForExit } from '../../core/proc.js';
import type { DaemonState } from '../../core/state-shape.js';
import { markStoppedIfOwned, readStateLite, setStateAside } from '../../core/state-lite.js';
import { inspectDaemon, type DaemonInspection } from './inspect.js';
import { spawnDaemon } from './spawn.js';
import { control, managerName, supervisorOf, type Supervisor } from '../service/manager.js';
import { captureDeadRun, hasCrashReport, keepCrashReportSaying } from './crash-report.js';

export interface StartResult {
  outcome: 'started' | 'already-running' | 're-registered';
  state: DaemonState;
  /** What start had to clean up first, for the person to read. */
  notes: string[];
  /** When the daemon had died without stopping: the crash report, written after the new daemon serves (its path). */
  crashReport?: Promise<string | undefined>;
}

async function withLock<T>(paths: OptaPaths, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(paths.lockFile, paths.home);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

function validState(paths: OptaPaths): DaemonState | undefined {
  // zod-free: `opta daemon start` would pay ~10 ms for zod just to read back what the daemon wrote.
  const r = readStateLite(paths.stateFile);
  return r.class === 'valid' ? r.state : undefined;
}

/** Asks a daemon of this home that lost its state.json to write it again, and waits until it has. */
async function reRegister(paths: OptaPaths, orphan: NonNullable<DaemonInspection['orphan']>): Promise<DaemonState> {
  if (!isOptaDaemonOf(orphan.pid, paths.home)) throw new OptaError(`pid ${orphan.pid} is no longer an Opta daemon of ${paths.home}`);
  process.kill(orphan.pid, 'SIGHUP');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const s = validState(paths);
    if (s && s.daemonId === orphan.daemonId) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new OptaError(`the running daemon (pid ${orphan.pid}) did not restore ${paths.stateFile}. Run: opta daemon restart`);
}

/** Removes whatever stale or corrupt state stands in the way; never signals anything. */
function clearBadState(paths: OptaPaths, insp: DaemonInspection, notes: string[]): void {
  if (insp.status === 'corrupt-state') {
    const aside = setStateAside(paths.stateFile, 'corrupt');
    if (aside) notes.push(`state file was corrupt (${insp.stateClass}); moved it to ${displayPath(aside)}`);
  } else if (insp.status === 'stale') {
    // The same policy as --fix (fix-stale-state): keep the old file to look at, never delete it.
    const aside = setStateAside(paths.stateFile, 'stale');
    if (aside) notes.push(`state file was stale (pid ${insp.pid} is not running); moved it to ${displayPath(aside)}`);
  } else if (insp.status === 'foreign') {
    fs.rmSync(paths.stateFile, { force: true });
    notes.push(`removed state file naming pid ${insp.pid}, which is not an Opta daemon (${insp.command ?? 'unknown command'}); that process was left alone`);
  }
}

async function startLocked(paths: OptaPaths, onUnresponsive: 'fail' | 'replace', foundBy: string): Promise<StartResult> {
  const notes: string[] = [];
  const insp = await inspectDaemon(paths, { lookForOrphan: true });
  // A running record whose pid is dead: the daemon died without stopping (a stopped record is not-running, never this).
  // Captured before its state is set aside, unless a finder before us (daemon status) kept this run's report already.
  const dead = insp.status === 'stale' && insp.state && !hasCrashReport(paths, insp.state) ? captureDeadRun(paths, insp.state) : undefined;
  if (insp.status === 'running' && insp.state) return { outcome: 'already-running', state: insp.state, notes };
  if (insp.status === 'unresponsive') {
    if (onUnresponsive === 'fail') {
      throw new OptaError(`the daemon (pid ${insp.pid}) is running but not answering: ${insp.problem}. Run: opta daemon restart`);
    }
    await terminate(paths, insp.pid!, insp.state!.daemonId);
    notes.push(`stopped unresponsive daemon pid ${insp.pid}`);
  }
  clearBadState(paths, insp, notes);
  if (insp.orphan) {
    const state = await reRegister(paths, insp.orphan);
    notes.push(`the daemon (pid ${state.pid}) was running without a state file; it wrote a new one`);
    return { outcome: 're-registered', state, notes };
  }
  await spawnDaemon(paths);
  const state = validState(paths);
  if (!state) throw new OptaError(`the daemon started but ${paths.stateFile} is not valid. Inspect: opta daemon logs --lines 200`);
  // Written after the new daemon serves, so the restart is not held up by loading the redaction shapes.
  return { outcome: 'started', state, notes, crashReport: dead ? keepCrashReportSaying(paths, dead, { foundBy, env: process.env }) : undefined };
}

export async function startDaemonProcess(paths: OptaPaths, foundBy = 'opta daemon start'): Promise<StartResult> {
  const sup = await supervisorOf(paths);
  if (sup) return startSupervised(paths, sup);
  return withLock(paths, () => startLocked(paths, 'fail', foundBy));
}

/** Polls until this home's daemon serves, bounded; the supervisor starts it, not us. */
async function waitForServing(paths: OptaPaths, sup: Supervisor, timeoutMs: number): Promise<DaemonState> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const insp = await inspectDaemon(paths);
    if (insp.status === 'running' && insp.state) return insp.state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new OptaError(`${managerName(sup.kind)} did not bring the daemon up within ${timeoutMs / 1000} s. Inspect: opta daemon status, then opta doctor`);
}

/**
 * A supervised daemon is started by its service manager (never spawned beside it: two supervisors would fight over
 * the port). Not under the home's lock: the manager's `opta daemon run` must be free to start while we wait.
 */
async function startSupervised(paths: OptaPaths, sup: Supervisor): Promise<StartResult> {
  const insp = await inspectDaemon(paths);
  if (insp.status === 'running' && insp.state) return { outcome: 'already-running', state: insp.state, notes: [`supervised by ${managerName(sup.kind)}`] };
  const err = await control(sup, 'start');
  if (err) throw new OptaError(`the daemon is supervised by ${managerName(sup.kind)}, which could not start it: ${err}. Inspect: opta doctor`);
  const state = await waitForServing(paths, sup, 20000);
  return { outcome: 'started', state, notes: [`started through ${managerName(sup.kind)}`] };
}

/** A supervised daemon is stopped through its manager, so Restart=on-failure / KeepAlive does not bring it straight back. */
async function stopSupervised(paths: OptaPaths, sup: Supervisor): Promise<StopResult> {
  const insp = await inspectDaemon(paths);
  const err = await control(sup, 'stop');
  if (err) throw new OptaError(`the daemon is supervised by ${managerName(sup.kind)}, which could not stop it: ${err}. Inspect: opta doctor`);
  const pid = insp.status === 'running' || insp.status === 'unresponsive' ? insp.pid : undefined;
  if (pid && !(await waitForExit(pid, 20000))) throw new OptaError(`${managerName(sup.kind)} was told to stop the daemon, but pid ${pid} still runs after 20 s. Inspect: opta daemon status`);
  const notes = [`stopped through ${managerName(sup.kind)}; it stays stopped until opta daemon start`];
  return pid ? { outcome: 'stopped', pid, notes, inspection: insp } : { outcome: 'not-running', notes, inspection: insp };
}

/** SIGTERM, wait, SIGKILL after the grace period; re-proves the pid is ours before every signal. */
async function terminate(paths: OptaPaths, pid: number, daemonId: string | undefined, graceMs = 5000): Promise<'terminated' | 'killed'> {
  if (!isOptaDaemonOf(pid, paths.home)) return 'terminated';
  process.kill(pid, 'SIGTERM');
  let how: 'terminated' | 'killed' = 'terminated';
  if (!(await waitForExit(pid, graceMs))) {
    if (isOptaDaemonOf(pid, paths.home)) process.kill(pid, 'SIGKILL');
    how = 'killed';
    if (!(await waitForExit(pid, 3000))) throw new OptaError(`daemon pid ${pid} did not exit after SIGKILL`);
  }
  // A daemon that shut down cleanly rewrote its record as stopped already; one that was killed could not, so the stop
  // records it ("killed"), and status reads "not running", not "stale" (a crash).
  if (daemonId) markStoppedIfOwned(paths.stateFile, daemonId, how === 'killed' ? 'killed' : 'clean');
  return how;
}

export interface StopResult {
  outcome: 'stopped' | 'killed' | 'not-running' | 'foreign';
  pid?: number;
  notes: string[];
  inspection: DaemonInspection;
}

export async function stopDaemonProcess(paths: OptaPaths, graceMs = 5000): Promise<StopResult> {
  const sup = await supervisorOf(paths);
  // A job its manager holds down while a daemon runs: that daemon was started by hand, beside the service; stop it as one.
  if (sup && !(sup.kind === 'systemd' && (sup.state.state === 'stopped' || sup.state.state === 'failed'))) return stopSupervised(paths, sup);
  return withLock(paths, async () => {
    const notes: string[] = [];
    const insp = await inspectDaemon(paths, { lookForOrphan: true });
    if (insp.status === 'running' || insp.status === 'unresponsive') {
      const how = await terminate(paths, insp.pid!, insp.state!.daemonId, graceMs);
      return { outcome: how === 'killed' ? 'killed' : 'stopped', pid: insp.pid, notes, inspection: insp };
    }
    if (insp.status === 'foreign') {
      return { outcome: 'foreign', pid: insp.pid, notes, inspection: insp };
    }
    clearBadState(paths, insp, notes);
    if (insp.orphan) {
      const how = await terminate(paths, insp.orphan.pid, undefined, graceMs);
      return { outcome: how === 'killed' ? 'killed' : 'stopped', pid: insp.orphan.pid, notes, inspection: insp };
    }
    return { outcome: 'not-running', notes, inspection: insp };
  });
}

/**
 * The crash guardian: makes sure a verified daemon of this home serves, replacing a dead, foreign-named or hung
 * one, and returns its state. Used by commands that need the daemon to do their job; never by diagnostics.
 */
export async function ensureDaemonRunning(paths: OptaPaths): Promise<StartResult> {
  const quick = await inspectDaemon(paths);
  if (quick.status === 'running' && quick.state) return { outcome: 'already-running', state: quick.state, notes: [] };
  // A supervised daemon is its supervisor's to bring back: ask it (it may be restarting already), never spawn beside it.
  const sup = await supervisorOf(paths);
  if (sup) return startSupervised(paths, sup);
  return withLock(paths, () => startLocked(paths, 'replace', 'the crash guardian'));
}

export { isAlive };

/** Connection failures that mean "the daemon went away under us": the guardian restarts it and the call is retried. */
const GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/**
 * Runs a command against the daemon through the crash guardian: ensure it runs, call, and if the daemon vanished
 * mid-call (crash between the check and the call), ensure again and retry once.
 */
export async function withDaemon<T extends { errorCode?: string }>(
  paths: OptaPaths,
  call: (state: DaemonState) => Promise<T>,
  /** Told when the guardian had to start a daemon (the caller says so: a start is never silent). */
  onStarted?: (started: StartResult) => void,
): Promise<T> {
  const ensure = async () => {
    const s = await ensureDaemonRunning(paths);
    if (s.outcome === 'started') onStarted?.(s);
    return s;
  };
  const first = await ensure();
  const r = await call(first.state);
  if (!r.errorCode || !GONE.has(r.errorCode)) return r;
  const second = await ensure();
  return call(second.state);
}
