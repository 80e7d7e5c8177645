// Every fact collector by id; a rule may name any of these (plus fact-failures, built per run).
import type { FactCollector } from './fact.js';
import { config } from './config.js';
import { daemon } from './daemon.js';
import { daemonLog } from './daemon-log.js';
import { daemonLogAnalysis } from './daemon-log-analysis.js';
import { daemonPorts } from './daemon-ports.js';
import { diskSpace } from './disk-space.js';
import { homePermissions } from './home-permissions.js';
import { lmx } from './lmx.js';
import { nodeVersion } from './node-version.js';
import { pendingPermissions } from './pending-permissions.js';
import { proxyEnv } from './proxy-env.js';
import { stateFile } from './state-file.js';
import { version } from './version.js';

export const COLLECTORS: FactCollector[] = [stateFile, daemon, daemonPorts, lmx, config, homePermissions, pendingPermissions, nodeVersion, diskSpace, daemonLog, daemonLogAnalysis, version, proxyEnv];

/** fact-failures is not in COLLECTORS because it needs the run's fact store. */
export const FACT_IDS: string[] = [...COLLECTORS.map((c) => c.id), 'fact-failures'];
