// Builds the session core shared by the HTTP routes and the WebSocket plane, and registers its counters.
import type { DaemonContext } from './context.js';
import { ClientTracker } from './client-tracker.js';
import { PermissionBroker } from './permissions.js';
import { SessionRegistry } from './sessions.js';
import { turnRunner } from './turn-runner.js';

export interface SessionCore {
  registry: SessionRegistry;
  broker: PermissionBroker;
  clients: ClientTracker;
}

export function createSessionCore(ctx: DaemonContext): SessionCore {
  const clients = new ClientTracker();
  const broker = new PermissionBroker(ctx.config.permissions.timeoutMs, ctx.logger, clients);
  const registry = new SessionRegistry(ctx.paths.sessionsDir, ctx.logger, turnRunner({ config: ctx.config, logger: ctx.logger, broker, optaHome: ctx.paths.home }), ctx.space);
  registry.loadAll();
  ctx.counts.sessions = () => registry.list().length;
  ctx.counts.activeTurns = () => registry.activeTurns();
  ctx.counts.pendingPermissions = () => broker.size;
  ctx.counts.wsClients = () => clients.total();
  ctx.onShutdown.push(() => {
    broker.shutdown();
    registry.closeAll();
  });
  return { registry, broker, clients };
}
