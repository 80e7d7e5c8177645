// A digest of the settings a config.json gives (defaults filled in): the daemon reports the one it started with, the doctor compares it with the file's now.
import { createHash } from 'node:crypto';
import type { OptaConfig } from './config.js';

/** Keys sorted at every level: the zod and the zod-free readers build the same settings in different key orders. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/**
 * The same settings give the same digest, whatever the file's bytes or change time (`opta config set` then `unset`
 * back to what the daemon read is no change). A hash, so /v3/health and the doctor's facts never carry lmx.apiKey.
 */
export function configDigest(config: OptaConfig): string {
  return createHash('sha256').update(JSON.stringify(canonical(config))).digest('hex').slice(0, 16);
}
