// Spawns a detached daemon process and resolves once it is serving (its IPC "ready"), or with its failure.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { ensurePrivateDir } from '../../core/atomic.js';
import { OptaError } from '../../core/errors.js';
import { BIN } from '../../core/install.js';
import type { OptaPaths } from '../../core/paths.js';
import { DAEMON_MARKER } from '../../core/proc.js';
import { openLogFd } from '../log-file.js';
import type { StarterMessage } from '../starter-message.js';

/**
 * V8's young generation for the daemon: 1 MiB a semi-space, V8's least (node's default grows it to 16 MiB). The daemon
 * is long-lived and idle most of the time, and V8 keeps the young generation it grew to: the start (a catalog of 10,000
 * sessions parsed) grew it and left ~9 MiB more RSS than a 2 MiB bound, and 2 MiB kept ~1.4 MiB more than 1 MiB in an
 * empty home and with 10,000 sessions alike, with no slower start (measured: 9 alternating starts each). What the daemon
 * allocates is short-lived (requests, lines of a replay, a read piece of an index scan, which are Buffers outside the
 * heap), so the smaller nursery costs more frequent scavenges of little each, not more work in all.
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1'];

/**
 * The daemon's environment: the caller's, with glibc's malloc told to give big blocks back. A replay reads and writes
 * 1 MiB pieces (Buffers, malloc'd outside V8's heap); glibc raises its mmap threshold after the first such free, so
 * later pieces came from its heap and stayed in the RSS after they were freed: an idle daemon that had replayed 128 MB
 * kept 36-45 MiB more than before it (measured), 7 MiB with these. A fixed threshold keeps blocks of 128 KiB and more
 * in mmap (returned on free), and two arenas keep the thread pool's reads from growing arenas of their own. What the
 * user set is kept; other C libraries ignore these names.
 *
 * Without NODE_EXTRA_CA_CERTS: node reads and parses that file of CA certificates as it starts (~40 ms and ~2 MiB
 * here), and they only ever serve TLS, which the daemon never speaks: it talks plain HTTP to LMX (lmx-client.ts, whose
 * undici has no HTTP/2 or TLS client in opta's build), serves HTTP on 127.0.0.1, and starts no other program.
 */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _tlsOnly, ...rest } = env;
  return { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_ARENA_MAX: '2', ...rest };
}

/**
 * The daemon's command line: node's flags for it, the bin (which runs the daemon's bundle with the code cache when it
 * sees the marker first), the marker and its home. Identity checks (isOptaDaemonOf) rely on `--opta-daemon --home
 * <home>` being in it.
 */
export function daemonArgs(home: string): string[] {
  return [...DAEMON_NODE_FLAGS, BIN, DAEMON_MARKER, '--home', home];
}

export type Ready = Extract<StarterMessage, { type: 'ready' }>;

export function spawnDaemon(paths: OptaPaths, timeoutMs = 15000): Promise<Ready> {
  ensurePrivateDir(paths.daemonDir);
  // Whatever the daemon prints to stderr (a crash trace) lands in its log, not in a closed terminal (never via a link).
  const logFd = openLogFd(paths.logFile);
  const child = spawn(process.execPath, daemonArgs(paths.home), {
    detached: true,
    stdio: ['ignore', 'ignore', logFd, 'ipc'],
    env: daemonEnv(process.env),
  });
  fs.closeSync(logFd);
  return new Promise<Ready>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      fn();
    };
    const timer = setTimeout(() => {
      finish(() => {
        child.kill('SIGKILL');
        reject(new OptaError(`the daemon did not report ready within ${timeoutMs} ms and was stopped. Inspect the log: opta daemon logs --lines 200`));
      });
    }, timeoutMs);
    child.on('message', (msg: StarterMessage) => {
      if (msg.type === 'ready') {
        finish(() => resolve(msg));
        return;
      }
      // A daemon that failed to start must be gone before we say so: "no process left behind".
      const failure = new OptaError(msg.message);
      child.removeAllListeners('exit');
      if (child.exitCode !== null || child.signalCode !== null) finish(() => reject(failure));
      else {
        const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(kill);
          finish(() => reject(failure));
        });
      }
    });
    child.on('error', (err) => finish(() => reject(new OptaError(`failed to spawn the daemon: ${err.message}`))));
    child.on('exit', (code, signal) =>
      finish(() =>
        reject(new OptaError(`the daemon exited during start-up (${signal ?? `exit code ${code}`}). Inspect the log: opta daemon logs --lines 200`)),
      ),
    );
  });
}
