// Builds the session core shared by the HTTP routes and the WebSocket plane, and registers its counters.
import path from 'node:path';
import type { DaemonContext } from './context.js';
import { ClientTracker } from './client-tracker.js';
import { PermissionBroker } from './permissions.js';
import { CATALOG_FILE } from './session-catalog.js';
import { SessionRegistry } from './sessions.js';
import { turnRunner } from './turn-runner.js';
import { requestSchemas } from './request-schemas.js';
import { warmLmxClient } from './lmx-client.js';

export interface SessionCore {
  registry: SessionRegistry;
  broker: PermissionBroker;
  clients: ClientTracker;
}

export function createSessionCore(ctx: DaemonContext): SessionCore {
  const clients = new ClientTracker();
  const broker = new PermissionBroker(ctx.config.permissions.timeoutMs, ctx.logger, clients);
  const registry = new SessionRegistry(ctx.paths.sessionsDir, path.join(ctx.paths.daemonDir, CATALOG_FILE), ctx.logger, turnRunner({ config: ctx.config, logger: ctx.logger, broker, optaHome: ctx.paths.home }), ctx.space);
  // zod (request schemas) and undici (LMX) load just after the daemon serves, one after the other with the event loop
  // let go between: loaded by a daemon's first turn, they held every other request 15-22 and 12-16 ms.
  registry.warmUp = async () => {
    await requestSchemas();
    await new Promise((r) => setImmediate(r));
    await warmLmxClient();
  };
  registry.loadAll();
  ctx.counts.sessions = () => registry.size;
  ctx.counts.loadedSessions = () => registry.list().filter((s) => s.isLoaded).length;
  ctx.counts.sessionsToCheck = () => registry.toCheck;
  // What sessions/ grew by since this daemon started (with uptimeMs, the rate opta doctor compares to the free space).
  ctx.counts.sessionBytesAppended = () => registry.appendedBytes;
  ctx.counts.sessionBytes = () => registry.startBytes + registry.appendedBytes;
  ctx.counts.activeTurns = () => registry.activeTurns();
  ctx.counts.pendingPermissions = () => broker.size;
  ctx.counts.wsClients = () => clients.total();
  ctx.onShutdown.push(() => {
    broker.shutdown();
    registry.closeAll();
  });
  return { registry, broker, clients };
}
