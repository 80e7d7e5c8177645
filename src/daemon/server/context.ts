// What every daemon feature is given: paths, config, logger, router, server, state, space guard, counters, shutdown steps.
import type http from 'node:http';
import type { OptaConfig } from '../../core/config.js';
import type { OptaPaths } from '../../core/paths.js';
import type { DaemonState } from '../../core/state.js';
import type { Router } from './http.js';
import type { Logger } from './logger.js';
import type { SpaceGuard } from './space-reserve.js';

export interface DaemonContext {
  paths: OptaPaths;
  config: OptaConfig;
  logger: Logger;
  router: Router;
  server: http.Server;
  state: DaemonState;
  startedAtMs: number;
  /** performance.now() at start: uptime is a duration, unchanged by a jump of the wall clock. */
  startedMono: number;
  /** The space reserve and the admission of new turns on a nearly full disk. */
  space: SpaceGuard;
  /** Named counters shown by GET /v3/health; features add their own. */
  counts: Record<string, () => number>;
  /** Run in reverse order on shutdown. */
  onShutdown: Array<() => Promise<void> | void>;
}
