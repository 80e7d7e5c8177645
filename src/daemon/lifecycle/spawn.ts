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
 * The daemon's command line: the bin (which runs the daemon's bundle with the code cache when it sees the marker first),
 * the marker and its home. Identity checks (isOptaDaemonOf) rely on `--opta-daemon --home <home>` being in it.
 */
export function daemonArgs(home: string): string[] {
  return [BIN, DAEMON_MARKER, '--home', home];
}

export type Ready = Extract<StarterMessage, { type: 'ready' }>;

export function spawnDaemon(paths: OptaPaths, timeoutMs = 15000): Promise<Ready> {
  ensurePrivateDir(paths.daemonDir);
  // Whatever the daemon prints to stderr (a crash trace) lands in its log, not in a closed terminal (never via a link).
  const logFd = openLogFd(paths.logFile);
  const child = spawn(process.execPath, daemonArgs(paths.home), {
    detached: true,
    stdio: ['ignore', 'ignore', logFd, 'ipc'],
    env: process.env,
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
