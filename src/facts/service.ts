// Fact service: the systemd unit / LaunchAgent opta installs: present, ours, pointing at this node, opta and home, and the manager's view (state, exits, restarts, reload).
import fs from 'node:fs';
import { BIN } from '../core/install.js';
import { displayPath } from '../core/paths.js';
import { managerName, queryService, readInstalled } from '../daemon/service/manager.js';
import { innerTimeout, type FactCollector } from './fact.js';

function exists(p: string | undefined): boolean {
  if (!p) return false;
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The pid's parent (Linux), to tell the service's daemon from one started by hand beside it. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || undefined;
  } catch {
    return undefined;
  }
}

export const service: FactCollector<'service'> = {
  id: 'service',
  description: 'the systemd user unit / LaunchAgent opta installs: its command and home, and the manager\'s state (systemctl --user show, launchctl print), only when the file exists',
  timeoutMs: 3000,
  async collect(ctx) {
    // The healthy, unsupervised case: one stat, no manager asked.
    const inst = await readInstalled(ctx.env);
    if (!inst) return { installed: false };
    const [node, bin] = inst.spec.argv;
    const runsDaemon = inst.spec.argv[2] === 'daemon' && inst.spec.argv[3] === 'run';
    const nodeExists = exists(node);
    const binExists = exists(bin);
    const thisHome = inst.spec.home === ctx.paths.home;
    // What is wrong with the command the manager would run, worst first; null when it points at what exists now.
    const stale = !inst.spec.ours
      ? null
      : !thisHome
        ? 'other-home'
        : !nodeExists
          ? 'node-missing'
          : !binExists
            ? 'opta-missing'
            : !runsDaemon
              ? 'not-daemon-run'
              : bin !== BIN
                ? 'other-opta'
                : null;
    const base = {
      installed: true,
      manager: inst.kind,
      managerName: managerName(inst.kind),
      file: inst.file,
      fileDisplay: displayPath(inst.file, ctx.env),
      ours: inst.spec.ours,
      thisHome,
      home: inst.spec.home ?? null,
      node: node ?? null,
      nodeExists,
      opta: bin ?? null,
      optaExists: binExists,
      stale,
      staleCommand: stale !== null && stale !== 'other-home',
    };
    if (!inst.spec.ours || !thisHome) return { ...base, queried: false };
    const q = await queryService(inst.kind, innerTimeout(ctx, 2500), ctx.env);
    if (!q.state) return { ...base, queried: false, error: q.error ?? null };
    const s = q.state;
    const daemon = await ctx.fact('daemon');
    const daemonPid = daemon.status === 'running' && typeof daemon.pid === 'number' ? daemon.pid : undefined;
    // A daemon that runs while its job is held down, or whose parent is not the job's `opta daemon run`, was started by hand.
    const down = s.state === 'stopped' || s.state === 'failed' || s.state === 'not-loaded';
    const parent = daemonPid !== undefined && process.platform === 'linux' ? parentOf(daemonPid) : undefined;
    const manualBeside = daemonPid !== undefined && (down || (s.pid !== undefined && parent !== undefined && parent !== s.pid));
    return {
      ...base,
      queried: true,
      loaded: s.loaded,
      state: s.state,
      enabled: s.enabled,
      pid: s.pid ?? null,
      lastExitCode: s.lastExit?.code ?? null,
      lastSignal: s.lastExit?.signal ?? null,
      restarts: s.restarts ?? null,
      restartLimit: s.restartLimit ?? null,
      crashLooping: s.crashLooping,
      throttled: s.throttled,
      needsReload: s.needsReload,
      result: s.result ?? null,
      manualBeside,
      daemonPid: daemonPid ?? null,
    };
  },
};
