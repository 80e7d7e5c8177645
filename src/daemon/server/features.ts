// The list of daemon features; each registers its routes, counters and shutdown steps on the context.
import type { DaemonContext } from './context.js';
import { createSessionCore } from './core.js';
import { installIdentity } from './identity.js';
import { installPermissionRoutes } from './permission-routes.js';
import { installSessionRoutes } from './session-routes.js';
import { installEventSocket } from './ws.js';

export async function installFeatures(ctx: DaemonContext): Promise<void> {
  installIdentity(ctx);
  const core = createSessionCore(ctx);
  installSessionRoutes(ctx, core);
  installPermissionRoutes(ctx, core);
  installEventSocket(ctx, core);
}
