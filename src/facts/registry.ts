// Every fact collector, keyed by the catalog's ids: a rule may name any of these (plus fact-failures, built per run).
import { FACT_ID_LIST, type CollectedFactId } from './catalog.js';
import type { FactCollector } from './fact.js';
import { config } from './config.js';
import { daemon } from './daemon.js';
import { daemonLog } from './daemon-log.js';
import { daemonLogAnalysis } from './daemon-log-analysis.js';
import { daemonPorts } from './daemon-ports.js';
import { diskSpace } from './disk-space.js';
import { homePermissions } from './home-permissions.js';
import { lmx } from './lmx.js';
import { lmxPath } from './lmx-path.js';
import { nodeVersion } from './node-version.js';
import { pendingPermissions } from './pending-permissions.js';
import { proxyEnv } from './proxy-env.js';
import { sessionsSize } from './sessions-size.js';
import { service } from './service.js';
import { stateFile } from './state-file.js';
import { daemonCrashes } from './daemon-crashes.js';
import { version } from './version.js';
import { lmxDns } from './lmx-dns.js';
import { localNetwork } from './local-network.js';

/** One collector per collected fact, whose own id is its key: a fact of the catalog without one does not compile. */
const BY_ID: { readonly [K in CollectedFactId]: FactCollector<K> } = {
  'state-file': stateFile,
  'daemon-crashes': daemonCrashes,
  daemon,
  'daemon-ports': daemonPorts,
  lmx,
  config,
  'home-permissions': homePermissions,
  'pending-permissions': pendingPermissions,
  'node-version': nodeVersion,
  'disk-space': diskSpace,
  'sessions-size': sessionsSize,
  'daemon-log': daemonLog,
  'daemon-log-analysis': daemonLogAnalysis,
  version,
  'proxy-env': proxyEnv,
  'lmx-path': lmxPath,
  service,
  'lmx-dns': lmxDns,
  'local-network': localNetwork,
};

/** In the catalog's order (the order of a support bundle's facts). */
export const COLLECTORS: FactCollector[] = FACT_ID_LIST.filter((id): id is CollectedFactId => id in BY_ID).map((id) => BY_ID[id]);
