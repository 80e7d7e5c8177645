// GET /v3/identity (no token, nothing secret), GET /v3/health (token): who this daemon is and how it is; POST /v3/log/marker (token): a support recording's marker line in its log.
import { configDigest } from '../../core/config-digest.js';
import type { DaemonContext } from './context.js';
import { HttpError } from './http.js';
import { RECORD_MARKER_ID } from '../protocol.js';

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
  // `opta support bundle --record`: only the daemon writes its log, so the markers go through it (one INFO line each).
  ctx.router.add('POST', '/v3/log/marker', async (c) => {
    const body = (await c.body()) as { marker?: unknown; id?: unknown } | undefined;
    const marker = body?.marker;
    const id = body?.id;
    if ((marker !== 'start' && marker !== 'end') || typeof id !== 'string' || !RECORD_MARKER_ID.test(id)) {
      throw new HttpError(400, 'BAD_MARKER', 'expected {"marker": "start" | "end", "id": "<8-40 of a-z, 0-9, ->"}');
    }
    ctx.logger.info(`support record ${marker} ${id}`);
    return { logged: true };
  });
}
