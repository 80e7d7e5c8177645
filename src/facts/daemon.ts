// Fact daemon: this home's daemon classified by inspectDaemon (running, not-running, stale, foreign, unresponsive, corrupt-state), and a stopped record's time.
import { daemonSettings } from '../core/config-lite.js';
import { displayPath } from '../core/paths.js';
import { shortCommand } from '../core/port-owners.js';
import { inspectDaemon } from '../daemon/lifecycle/inspect.js';
import { stoppedNote } from '../daemon/lifecycle/describe-status.js';
import { innerTimeout, type FactCollector } from './fact.js';

export const daemon: FactCollector<'daemon'> = {
  id: 'daemon',
  description: 'pid liveness (signal zero), command line, /v3/identity and /v3/health of the daemon state.json names',
  async collect(ctx) {
    const settings = daemonSettings(ctx.paths.configFile);
    const i = await inspectDaemon(ctx.paths, { timeoutMs: innerTimeout(ctx, 1500), lookForOrphan: true });
    const health = i.health ?? {};
    const port = i.state?.port ?? null;
    const stateDisplay = displayPath(i.statePath, ctx.env);
    return {
      status: i.status,
      stateClass: i.stateClass,
      stateError: i.stateError ?? null,
      statePath: i.statePath,
      stateDisplay,
      // A stopped record (the daemon stopped, not crashed): when and how; its pid is history and is not the daemon's pid.
      stoppedAt: i.stopped?.stoppedAt ?? null,
      stoppedHow: i.stopped?.how ?? null,
      stoppedPid: i.stopped?.pid ?? null,
      /** Why it is not running, for the finding's message: a stop (when) or no state at all. */
      notRunning: i.status !== 'not-running' ? null : i.stopped ? `${stoppedNote(i.stopped)}; state file ${stateDisplay}` : `no daemon state at ${stateDisplay}`,
      pid: i.pid ?? null,
      port,
      host: i.state?.host ?? settings.host,
      alive: i.alive ?? null,
      command: i.command ?? null,
      commandShort: i.command ? shortCommand(i.command) : null,
      ours: i.ours ?? null,
      identity: i.identity ?? null,
      version: i.identity?.version ?? null,
      problem: i.problem ?? null,
      orphan: i.orphan ?? null,
      hasOrphan: Boolean(i.orphan),
      uptimeMs: typeof health.uptimeMs === 'number' ? health.uptimeMs : null,
      // When the daemon read its settings (it reads config.json once, at start).
      startedAt: i.status === 'running' ? (i.state?.startedAt ?? null) : null,
      startedAtMs: i.status === 'running' && i.state?.startedAt ? Date.parse(i.state.startedAt) || null : null,
      counts: (health.counts as Record<string, number> | undefined) ?? null,
      // The settings it read at start (null from a daemon too old to say): rule config-changed-since-start.
      configDigest: typeof health.configDigest === 'string' ? health.configDigest : null,
      preferredPort: settings.port,
      portRange: settings.portRange,
      onFallbackPort: i.status === 'running' && port !== null && port !== settings.port,
    };
  },
};
