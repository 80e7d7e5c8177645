// GET /v3/identity (no token, nothing secret) and GET /v3/health (token): who this daemon is and how it is.
import { configDigest } from '../../core/config-digest.js';
import type { DaemonContext } from './context.js';

export const DAEMON_NAME = 'opta-daemon';

export function installIdentity(ctx: DaemonContext): void {
  ctx.router.add(
    'GET',
    '/v3/identity',
    () => ({ name: DAEMON_NAME, version: ctx.state.version, daemonId: ctx.state.daemonId, pid: ctx.state.pid }),
    { auth: false },
  );
  // The settings this daemon read at start (it reads config.json once): the doctor compares them with the file's now.
  const digest = configDigest(ctx.config);
  ctx.router.add('GET', '/v3/health', () => {
    const counts: Record<string, number> = {};
    for (const [k, fn] of Object.entries(ctx.counts)) counts[k] = fn();
    return {
      status: 'ok',
      name: DAEMON_NAME,
      version: ctx.state.version,
      daemonId: ctx.state.daemonId,
      pid: ctx.state.pid,
      host: ctx.state.host,
      port: ctx.state.port,
      startedAt: ctx.state.startedAt,
      uptimeMs: Math.round(performance.now() - ctx.startedMono),
      configDigest: digest,
      counts,
    };
  });
}
