// The ids of every fact (the collectors in registry.ts plus fact-failures), without loading the collectors (~20 ms).
// The rule loader keys its manifest on them; commands that load rules but no facts (daemon logs, the daemon) stay cheap.
// A test keeps this list equal to registry.ts's FACT_IDS.
export const FACT_ID_LIST: readonly string[] = [
  'state-file',
  'daemon',
  'daemon-ports',
  'lmx',
  'config',
  'home-permissions',
  'pending-permissions',
  'node-version',
  'disk-space',
  'daemon-log',
  'daemon-log-analysis',
  'version',
  'proxy-env',
  'fact-failures',
];
