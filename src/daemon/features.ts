// The list of daemon features; each registers its routes, counters and shutdown steps on the context.
import type { DaemonContext } from './daemon.js';
import { installIdentity } from './identity.js';

export async function installFeatures(ctx: DaemonContext): Promise<void> {
  installIdentity(ctx);
}
