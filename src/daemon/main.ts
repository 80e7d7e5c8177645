// Daemon process entry: `node main.js --opta-daemon --home <home>`; reports readiness to its starter over IPC.
import { causeText } from '../core/errors.js';
import { DAEMON_MARKER } from '../core/proc.js';
import { reassertState, startDaemon, stopDaemon } from './server/daemon.js';
import type { StarterMessage } from './starter-message.js';

/**
 * Tells the starter, then lets go of it. The starter may be gone (Ctrl-C, TERM or HUP while it waited): the channel's
 * EPIPE then goes to the callback, not to the uncaughtException handler, and the started daemon serves on.
 */
function send(msg: StarterMessage): void {
  if (process.send && process.connected) {
    process.send(msg, undefined, {}, () => {
      if (process.connected) process.disconnect();
    });
  } else if (msg.type === 'failed') {
    process.stderr.write(msg.message + '\n');
  }
}

/** A daemon that could not start must be gone, whatever handle might still be open: its starter waits for the exit. */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}

async function main(): Promise<void> {
  // stderr is daemon.log (or a terminal): a full disk or a closed terminal there must not crash the daemon.
  process.stderr.on('error', () => undefined);
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--home');
  if (!argv.includes(DAEMON_MARKER) || i < 0 || !argv[i + 1]) {
    process.stderr.write('usage: main.js --opta-daemon --home <opta home>. Start the daemon with "opta daemon start".\n');
    process.exitCode = 2;
    return;
  }
  const outcome = await startDaemon(argv[i + 1], { echo: argv.includes('--foreground') });
  if (!outcome.ok) {
    send({ type: 'failed', message: outcome.message });
    exitSoon(1);
    return;
  }
  const ctx = outcome.ctx;
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    stopDaemon(ctx, reason).finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    try {
      reassertState(ctx);
    } catch (err) {
      ctx.logger.error(`cannot restore state file: ${causeText(err)}`);
    }
  });
  process.on('uncaughtException', (err) => {
    ctx.logger.error(`daemon crashed: ${causeText(err)}`);
    process.stderr.write((err.stack ?? String(err)) + '\n');
    process.exit(1);
  });
  send({ type: 'ready', pid: process.pid, port: ctx.state.port, host: ctx.state.host, daemonId: ctx.state.daemonId });
  testCrashHook();
}

/**
 * Tests only: a daemon that throws an uncaught error some time after it serves, to prove the crash path (its last
 * words, the crash report). Inert unless both OPTA_TEST_HOOKS=1 and OPTA_TEST_CRASH_AFTER_MS are set.
 */
function testCrashHook(): void {
  if (process.env.OPTA_TEST_HOOKS !== '1') return;
  const ms = Number(process.env.OPTA_TEST_CRASH_AFTER_MS);
  if (!Number.isFinite(ms) || ms < 0) return;
  const message = process.env.OPTA_TEST_CRASH_MESSAGE || 'deliberate crash';
  setTimeout(() => {
    throw new Error(`test crash hook: ${message}`);
  }, ms);
}

main().catch((err) => {
  send({ type: 'failed', message: `daemon failed to start: ${causeText(err)}` });
  exitSoon(1);
});
