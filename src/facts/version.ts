// Fact version: this CLI's version against the running daemon's (from /v3/identity).
import { VERSION } from '../core/version.js';
import type { FactCollector } from './fact.js';

export const version: FactCollector<'version'> = {
  id: 'version',
  description: 'src/core/version.ts against identity.version of the running daemon',
  async collect(ctx) {
    const d = await ctx.fact('daemon');
    const daemonVersion = d.status === 'running' && typeof d.version === 'string' ? d.version : null;
    return { cli: VERSION, daemon: daemonVersion, daemonRunning: d.status === 'running', mismatch: daemonVersion !== null && daemonVersion !== VERSION };
  },
};
