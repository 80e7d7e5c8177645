// The one catalog of fact ids, in collection order: the registry is keyed by it (a missing or extra collector is a
// type error), the validators check rule files against it, and the rule loader keys its manifest on it. It loads no
// collector (~20 ms), so commands that load rules but no facts (daemon logs, the daemon) stay cheap.
const IDS = [
  'state-file',
  'daemon',
  'daemon-ports',
  'daemon-crashes',
  'lmx',
  'config',
  'home-permissions',
  'pending-permissions',
  'node-version',
  'disk-space',
  'sessions-size',
  'daemon-log',
  'daemon-log-analysis',
  'version',
  'proxy-env',
  'lmx-path',
  'service',
  'lmx-dns',
  'local-network',
  'fact-failures',
] as const;

export type FactId = (typeof IDS)[number];
/** The facts with a collector in registry.ts; fact-failures is built per run, from the run's fact store. */
export type CollectedFactId = Exclude<FactId, 'fact-failures'>;

/** Every fact id a rule may name (typed as strings: validators test any name against it). */
export const FACT_ID_LIST: readonly string[] = IDS;
