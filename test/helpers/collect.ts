// Runs fact collectors on their own (as doctor would, through a FactStore) for the collectors' live tests.
import { optaPaths } from '../../src/core/paths.js';
import { FactStore } from '../../src/doctor/fact-store.js';
import type { FactValue } from '../../src/facts/fact.js';
import { COLLECTORS } from '../../src/facts/registry.js';

export function factStore(optaHome: string, env: NodeJS.ProcessEnv = {}, opts: { factTimeoutMs?: number; deadlineMs?: number } = {}): FactStore {
  const now = Date.now();
  return new FactStore({
    collectors: new Map(COLLECTORS.map((c) => [c.id, c])),
    paths: optaPaths(optaHome),
    env: { HOME: env.HOME, ...env },
    deadlineAt: now + (opts.deadlineMs ?? 5000),
    startedAt: now,
    factTimeoutMs: opts.factTimeoutMs,
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function collect(id: string, optaHome: string, env: NodeJS.ProcessEnv = {}, opts: { factTimeoutMs?: number } = {}): Promise<FactValue & Record<string, any>> {
  return factStore(optaHome, env, opts).get(id);
}
