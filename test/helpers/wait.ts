// Time limits for everything a test awaits: an event that never comes fails the test, naming what it waited for, instead of hanging the suite.
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';

/** What a wait was for: a fixed text, or one built when the limit runs out (to add what arrived meanwhile). */
export type What = string | (() => string);

const describe = (what: What): string => (typeof what === 'function' ? what() : what);

/** The one wording every limit uses, so a failure reads the same whichever wait ran out. */
export function timeoutMessage(ms: number, what: What): string {
  return `timed out after ${ms} ms waiting for ${describe(what)}`;
}

/** The error of a limit that ran out (a test may tell it from the failures of what it waited for). */
export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

/**
 * Settles as `promise` does, or rejects after `ms` with a message naming `what`. `onTimeout` runs first: it should
 * stop whatever would otherwise keep the test file alive (a child process, a socket), since a file whose handles stay
 * open never ends and only the runner's backstop would stop it.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: What, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        onTimeout?.();
      } finally {
        reject(new WaitTimeout(timeoutMessage(ms, what)));
      }
    }, ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Named in the failure: "timed out after 10000 ms waiting for <what>". */
  what?: What;
  /** Pause between two polls; default 20 ms. */
  intervalMs?: number;
}

/** Polls `pred` until it holds. A poll that itself never answers (an HTTP call to a stuck daemon) counts against the same limit. */
export async function waitFor(pred: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 10000, what = 'condition', intervalMs = 20 } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeout(timeoutMessage(timeoutMs, what));
    let holds: boolean;
    try {
      holds = await withTimeout(Promise.resolve().then(pred), left, '');
    } catch (e) {
      if (e instanceof WaitTimeout) throw new WaitTimeout(timeoutMessage(timeoutMs, () => `${describe(what)} (its last check never answered)`));
      throw e;
    }
    if (holds) return;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}

/** waitFor with positional arguments, the form most tests use. */
export function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs = 10000, what: What = 'condition'): Promise<void> {
  return waitFor(pred, { timeoutMs, what });
}

/** The first `event` of `emitter` (its arguments), within `ms`; an 'error' event rejects. */
export function onceWithin(emitter: EventEmitter, event: string, ms: number, what: What, onTimeout?: () => void): Promise<unknown[]> {
  return withTimeout(
    new Promise<unknown[]>((resolve, reject) => {
      const onEvent = (...args: unknown[]) => {
        emitter.off('error', onError);
        resolve(args);
      };
      const onError = (e: unknown) => {
        emitter.off(event, onEvent);
        reject(e);
      };
      emitter.once(event, onEvent);
      if (event !== 'error') emitter.once('error', onError);
    }),
    ms,
    what,
    onTimeout,
  );
}

export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process's end within `ms`: 'exit' (the default), or 'close' once its output is read too. A child that has
 * already exited resolves at once. Past the limit the child is killed (SIGKILL), so it cannot keep the test file alive.
 */
export function childEnd(child: ChildProcess, ms: number, what: What, event: 'exit' | 'close' = 'exit'): Promise<ChildEnd> {
  if (event === 'exit' && (child.exitCode !== null || child.signalCode !== null)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  const ended = new Promise<ChildEnd>((resolve) => child.once(event, (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal })));
  return withTimeout(ended, ms, what, () => child.kill('SIGKILL'));
}

/** The exit code of a child within `ms` (see childEnd). */
export async function exitCodeWithin(child: ChildProcess, ms: number, what: What, event: 'exit' | 'close' = 'exit'): Promise<number | null> {
  return (await childEnd(child, ms, what, event)).code;
}

/**
 * fetch with a limit (default 30 s) on the headers and the body alike: the rejection names the request. A test's own
 * signal still applies (either ends the request).
 */
export async function fetchWithin(input: string | URL, init: RequestInit = {}, ms = 30_000): Promise<Response> {
  const limit = AbortSignal.timeout(ms);
  const what = `an answer to ${init.method ?? 'GET'} ${String(input)}`;
  try {
    return await fetch(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, limit]) : limit });
  } catch (e) {
    if (limit.aborted && !init.signal?.aborted) throw new WaitTimeout(timeoutMessage(ms, what));
    throw e;
  }
}

export interface ChildOutput extends ChildEnd {
  stdout: string;
  stderr: string;
}

/**
 * Collects what a child just spawned prints until it ends ('close': exited and its output read), within `ms`. Past the
 * limit it is killed and the rejection names `what` with what it had printed. (runCommand in env.ts spawns and
 * collects in one call; this is for a spawn with options of its own: a cwd, a shell, stdio.)
 */
export function childOutput(child: ChildProcess, ms: number, what: string): Promise<ChildOutput> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return childEnd(child, ms, () => `${what}; stdout: ${stdout}; stderr: ${stderr}`, 'close').then((end) => ({ ...end, stdout, stderr }));
}
