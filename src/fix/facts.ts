// Collects the facts fix pipelines' guards need that the doctor run did not (read-only, through the same collectors and timeouts).
import type { OptaPaths } from '../core/paths.js';
import { FactStore } from '../doctor/fact-store.js';
import type { FactValue } from '../facts/fact.js';
import { COLLECTORS } from '../facts/registry.js';

export async function topUpFacts(paths: OptaPaths, env: NodeJS.ProcessEnv, have: Record<string, FactValue>, want: Iterable<string>, deadlineMs = 5000): Promise<Record<string, FactValue>> {
  const missing = [...new Set(want)].filter((id) => !(id in have) && COLLECTORS.some((c) => c.id === id));
  if (!missing.length) return have;
  const now = Date.now();
  // What the doctor already collected stands in for its collector, so a dependent fact sees the same values.
  const store = new FactStore({ collectors: new Map(COLLECTORS.map((c) => [c.id, c])), paths, env, deadlineAt: now + deadlineMs, startedAt: now, overrides: have });
  const out = { ...have };
  await Promise.all(missing.map(async (id) => (out[id] = await store.get(id))));
  return out;
}
