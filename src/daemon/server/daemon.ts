// The daemon process: binds, writes state.json, serves the control plane, and cleans up only what it owns.
import http from 'node:http';
import crypto from 'node:crypto';
import { ensurePrivateDir } from '../../core/atomic.js';
import type { OptaConfig } from '../../core/config.js';
import { readConfigLite } from '../../core/config-lite.js';
import { portsInOrder } from '../../core/port-order.js';
import { causeText } from '../../core/errors.js';
import { optaPaths } from '../../core/paths.js';
import type { DaemonState } from '../../core/state.js';
import { markStoppedIfOwned, readStateLite, writeState } from '../../core/state-lite.js';
import { VERSION } from '../../core/version.js';
import { allPortsTakenMessage, bindFirstFree } from './bind.js';
import { answerClientError, Router } from './http.js';
import { Logger } from './logger.js';
import { installFeatures } from './features.js';
import type { DaemonContext } from './context.js';
import { SpaceGuard } from './space-reserve.js';

export type StartOutcome = { ok: true; ctx: DaemonContext } | { ok: false; message: string };

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((r) => server.close(() => r()));
}

async function runShutdown(ctx: DaemonContext): Promise<void> {
  for (const fn of [...ctx.onShutdown].reverse()) {
    try {
      await fn();
    } catch (err) {
      ctx.logger.warn(`shutdown step failed: ${causeText(err)}`);
    }
  }
}

/**
 * Starts the daemon, or undoes everything it began and says why: a daemon that cannot write its state file (a full
 * disk) must not listen half-started, and leaves no state.json, reserve or temp file behind.
 */
export async function startDaemon(home: string, opts: { echo?: boolean } = {}): Promise<StartOutcome> {
  const paths = optaPaths(home);
  let config: OptaConfig;
  try {
    // A valid file (or none) is decided without zod, which loads only to word what is wrong with an invalid one.
    const lite = readConfigLite(paths.configFile);
    config = lite.status === 'valid' ? lite.config : (await import('../../core/config.js')).loadConfig(paths.configFile);
  } catch (err) {
    return { ok: false, message: causeText(err) };
  }
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.daemonDir);
  ensurePrivateDir(paths.sessionsDir);
  const logger = new Logger(paths.logFile, config.logs.maxBytes, opts.echo);
  try {
    logger.open();
  } catch (err) {
    return { ok: false, message: causeText(err) };
  }

  const token = crypto.randomBytes(32).toString('hex');
  await installLogScrubber(logger, token, config);

  const router = new Router();
  const server = http.createServer();
  server.on('request', router.handler({ token: () => token, bindHost: config.daemon.host, onError: (e) => logger.error(`request failed: ${causeText(e)}`) }));
  server.on('clientError', answerClientError);

  const ports = portsInOrder(config.daemon);
  const bound = await bindFirstFree(server, config.daemon.host, ports);
  if (!bound.ok) {
    const message = allPortsTakenMessage(bound, config.daemon.port, config.daemon.portRange);
    logger.error(message.split('\n')[0]);
    logger.close();
    return { ok: false, message };
  }

  const state: DaemonState = {
    pid: process.pid,
    port: bound.port,
    host: config.daemon.host,
    token,
    daemonId: crypto.randomUUID(),
    startedAt: new Date().toISOString(),
    version: VERSION,
  };
  const space = new SpaceGuard(paths.reserveFile, paths.sessionsDir);
  const ctx: DaemonContext = { paths, config, logger, router, server, state, startedAtMs: Date.now(), startedMono: performance.now(), space, counts: {}, onShutdown: [] };
  try {
    space.claim();
    await installFeatures(ctx);
    writeState(paths.stateFile, state);
  } catch (err) {
    await runShutdown(ctx);
    await closeServer(server);
    // Give the reserve's room back first: the log line below may need it.
    space.release();
    const message = `cannot start the daemon: ${causeText(err)}`;
    logger.error(message);
    logger.close();
    return { ok: false, message };
  }
  if (bound.port !== config.daemon.port) logger.warn(`port ${config.daemon.port} in use, using fallback port ${bound.port}`);
  logger.info(`daemon started on ${state.host}:${state.port}`);
  return { ok: true, ctx };
}

/**
 * Whatever an error message carries (a URL with credentials, an Authorization header, the token itself), the log
 * gets the redacted form: the same shapes as the support bundle (rules/redact) plus this daemon's exact secrets.
 */
export async function installLogScrubber(logger: Logger, token: string, config: OptaConfig): Promise<void> {
  const [{ loadShapes }, { Redactor }] = await Promise.all([import('../../redact/load-shapes.js'), import('../../redact/redactor.js')]);
  const known = [{ value: token, label: 'daemon-token' }, ...(config.lmx.apiKey ? [{ value: config.lmx.apiKey, label: 'lmx-api-key' }] : [])];
  let shapes: Awaited<ReturnType<typeof loadShapes>> | undefined;
  try {
    shapes = await loadShapes();
  } catch (err) {
    shapes = undefined;
    logger.warn(`redaction shapes not loaded (${causeText(err)}); only the token and API key are kept out of this log`);
  }
  if (shapes?.problems.length) logger.warn(`redaction shapes with problems were left out: ${shapes.problems.map((p) => p.file).join(', ')} (opta rules validate --kind redact)`);
  const redactor = new Redactor(shapes?.shapes ?? [], known);
  logger.setScrubber((m) => redactor.text(m));
}

/** Restores state.json when a person deleted it while the daemon runs (SIGHUP asks for this). */
export function reassertState(ctx: DaemonContext): boolean {
  const cur = readStateLite(ctx.paths.stateFile);
  if (cur.class === 'valid' && cur.state.daemonId === ctx.state.daemonId) return false;
  if (cur.class === 'valid' && cur.state.pid !== ctx.state.pid) {
    // Another daemon's state: never overwrite it.
    return false;
  }
  writeState(ctx.paths.stateFile, ctx.state);
  ctx.logger.info('state file restored');
  return true;
}

export async function stopDaemon(ctx: DaemonContext, reason: string): Promise<void> {
  ctx.logger.info(`daemon stopping (${reason})`);
  await runShutdown(ctx);
  await closeServer(ctx.server);
  // The reserve's room first: the stopped record below is the last write this daemon must get onto a full disk.
  ctx.space.release();
  // state.json stays, saying this daemon stopped cleanly (when, the pid it had, no token): status reads "not running",
  // never "stale", and the guide's Reset Everything step 2 finds the file it removes.
  try {
    markStoppedIfOwned(ctx.paths.stateFile, ctx.state.daemonId, 'clean');
  } catch (err) {
    // Worded as the other shutdown steps, so the log pattern for them (rules/logs/daemon-internal-error.json) reports it.
    ctx.logger.warn(`shutdown step failed: cannot mark the state file stopped: ${causeText(err)}`);
  }
  ctx.logger.info('daemon stopped');
  ctx.logger.close();
}
