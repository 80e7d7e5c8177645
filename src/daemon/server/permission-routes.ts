// GET /v3/permissions?state=pending: every pending permission request; `opta doctor` depends on this exact shape.
import type { DaemonContext } from './context.js';
import type { SessionCore } from './core.js';
import { HttpError } from './http.js';
import type { PendingPermission } from '../protocol.js';

export function installPermissionRoutes(ctx: DaemonContext, core: SessionCore): void {
  ctx.router.add('GET', '/v3/permissions', (c): { permissions: PendingPermission[] } => {
    const state = c.url.searchParams.get('state') ?? 'pending';
    // Only pending requests live in the daemon; resolved ones are in each session's event history.
    if (state !== 'pending') throw new HttpError(400, 'BAD_REQUEST', `state: only "pending" is supported (got "${state}")`);
    return { permissions: core.broker.list() };
  });
}
