// `opta daemon start|run|stop|restart|status|logs|reset`: thin adapters over the lifecycle core.
// Core modules are imported inside each action so a command loads only what it uses (start-up cost).

import { OptaError } from '../core/errors.js';
import { displayPath, type OptaPaths } from '../core/paths.js';
import { cliPaths, type ExitCode } from './context.js';
import { out } from './output.js';
import { canRedraw, colorEnabled, paint } from './terminal.js';
import { describeStatus, redactInspection } from '../daemon/lifecycle/describe-status.js';
import type { GroupSpec } from './command-table.js';
import { DAEMON_LOGS } from './daemon-logs.js';

const lifecycle = () => import('../daemon/lifecycle/control.js');
const inspector = () => import('../daemon/lifecycle/inspect.js');
const service = () => import('../daemon/service/install.js');

/** `opta daemon install`: writes the unit/plist (or prints it with --dry-run) and enables it; --now also starts it. */
async function install(opts: Record<string, any>): Promise<ExitCode> {
  const paths = cliPaths();
  const { planInstall, applyInstall, commandLine } = await service();
  const plan = await planInstall(paths, { now: Boolean(opts.now) });
  if (opts.dryRun) {
    out(`# ${plan.change === 'unchanged' ? 'unchanged' : plan.change === 'create' ? 'would create' : 'would replace'}: ${plan.file}`);
    out(plan.text.trimEnd());
    out('# then would run:');
    for (const c of plan.commands) out(commandLine(c));
    if (plan.commands.length === 0) out('# (nothing: launchd loads it at the next login; --now loads it now)');
    return 0;
  }
  // A daemon started by hand would hold the port, and the service's `daemon run` would refuse to start beside it.
  if (opts.now) {
    const { stopDaemonProcess } = await lifecycle();
    const r = await stopDaemonProcess(paths);
    if (r.outcome === 'stopped' || r.outcome === 'killed') out(`Stopped the daemon started by hand (pid ${r.pid}); the service starts it now.`);
  }
  await applyInstall(plan);
  out(`${plan.change === 'unchanged' ? 'Service file unchanged' : plan.change === 'create' ? 'Installed' : 'Updated'}: ${displayPath(plan.file)}`);
  for (const c of plan.commands) out(`ran: ${commandLine(c)}`);
  if (opts.now) {
    const { inspectDaemon } = await inspector();
    const deadline = Date.now() + 20000;
    for (;;) {
      const insp = await inspectDaemon(paths);
      if (insp.status === 'running') {
        out(`Daemon running under the service (pid ${insp.pid}, port ${insp.state?.port}).`);
        break;
      }
      if (Date.now() > deadline) throw new OptaError('the service was started but the daemon did not serve within 20 s. Inspect: opta doctor, then opta daemon logs --lines 200');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return 0;
}

async function uninstall(opts: Record<string, any>): Promise<ExitCode> {
  const { planUninstall, applyUninstall, commandLine } = await service();
  const plan = await planUninstall();
  if (!plan.present) {
    out(`No service installed (${displayPath(plan.file)} does not exist).`);
    return 0;
  }
  if (opts.dryRun) {
    for (const c of plan.commands) out(commandLine(c));
    out(commandLine(['rm', plan.file]));
    if (plan.kind === 'systemd') out('systemctl --user daemon-reload');
    return 0;
  }
  const notes = await applyUninstall(plan);
  for (const n of notes) out(`note: ${n}`);
  out(`Removed ${displayPath(plan.file)}; the daemon is no longer supervised (start it by hand: opta daemon start).`);
  return 0;
}

/** A dead run found by this command leaves a crash report with the doctor's facts (collected only then). */
async function crashFactsForReports(): Promise<void> {
  const [{ collectCrashFactsWith }, { crashFacts }] = await Promise.all([import('../daemon/lifecycle/crash-report.js'), import('../doctor/crash-facts.js')]);
  collectCrashFactsWith(crashFacts);
}

/** `daemon status` found a dead run: keep its report (with the doctor's facts), say one line on stderr; never cleans up. */
async function keepStaleRunReport(paths: OptaPaths, state: import('../core/state-shape.js').DaemonState): Promise<void> {
  const [{ captureDeadRun, hasCrashReport, keepCrashReportSaying }, { crashFacts }] = await Promise.all([import('../daemon/lifecycle/crash-report.js'), import('../doctor/crash-facts.js')]);
  if (hasCrashReport(paths, state)) return;
  await keepCrashReportSaying(paths, captureDeadRun(paths, state), { foundBy: 'opta daemon status', env: process.env, facts: () => crashFacts(paths, process.env) });
}

async function start(paths: OptaPaths): Promise<ExitCode> {
  const [{ startDaemonProcess }] = await Promise.all([lifecycle(), crashFactsForReports()]);
  const r = await startDaemonProcess(paths);
  for (const n of r.notes) out(`note: ${n}`);
  const where = `pid ${r.state.pid}, port ${r.state.port}`;
  if (r.outcome === 'already-running') out(`Daemon already running (${where}).`);
  else if (r.outcome === 're-registered') out(`Daemon already running (${where}); its state file was restored.`);
  else out(`Daemon started (${where}).`);
  return 0;
}

async function stop(paths: OptaPaths): Promise<ExitCode> {
  const { stopDaemonProcess } = await lifecycle();
  const r = await stopDaemonProcess(paths);
  for (const n of r.notes) out(`note: ${n}`);
  switch (r.outcome) {
    case 'stopped':
      out(`Daemon stopped (pid ${r.pid}).`);
      return 0;
    case 'killed':
      out(`Daemon did not stop within the grace period and was killed (pid ${r.pid}).`);
      return 0;
    case 'not-running':
      out('Daemon is not running.');
      return 0;
    case 'foreign':
      throw new OptaError(
        `not stopping pid ${r.pid}: it is ${r.inspection.command ? `"${r.inspection.command}"` : 'a process opta cannot inspect'}, not this home's Opta daemon. ` +
          `The state file ${displayPath(paths.stateFile)} is stale; opta daemon start replaces it.`,
      );
  }
}

/** Foreground daemon for service managers: the daemon runs as a child so its command line names its home. */
async function runForeground(paths: OptaPaths): Promise<ExitCode> {
  const [{ daemonArgs, daemonEnv }, { spawn }] = await Promise.all([import('../daemon/lifecycle/spawn.js'), import('node:child_process')]);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...daemonArgs(paths.home), '--foreground'], { stdio: 'inherit', env: daemonEnv(process.env) });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, forward(sig));
    child.on('exit', (code) => resolve(code === 0 ? 0 : code === 2 ? 2 : 1));
  });
}

async function reset(): Promise<ExitCode> {
  const paths = cliPaths();
  const [{ runReset }, { textFixUi }] = await Promise.all([import('../fix/runner.js'), import('../render/fix-ui.js')]);
  const terminal = canRedraw(process.stdout, process.env);
  const color = colorEnabled(process.stdout);
  const kleur = await paint(color);
  const r = await runReset({ paths, env: process.env, ui: await textFixUi({ show: (t) => out(t), kleur }), renderer: terminal ? 'default' : 'plain', color, kleur });
  const p = r.plan.pipelines[0];
  if (r.exitCode !== 0) {
    throw new OptaError(`reset did not finish: ${p.error ?? 'a step failed'}. Inspect: opta daemon logs --lines 200`);
  }
  const { readState } = await import('../core/state.js');
  const st = readState(paths.stateFile);
  if (st.class !== 'valid') throw new OptaError('reset finished but the daemon has no valid state file. Inspect: opta daemon logs --lines 200');
  out(`Daemon reset: running again (pid ${st.state.pid}, port ${st.state.port}); ${displayPath(paths.sessionsDir)} was left as it was.`);
  return 0;
}

/** `opta daemon <subcommand>`: one table for commander and for the fast path (plain invocations skip commander). */
export const DAEMON: GroupSpec = {
  name: 'daemon',
  description: 'start, stop and inspect the Opta daemon',
  commands: [
    {
      name: 'start',
      description: 'start the daemon in the background; returns once it serves (exit 0 if already running)',
      run: () => start(cliPaths()),
    },
    {
      name: 'run',
      description: 'run the daemon in the foreground (for service managers); logs also go to stderr',
      run: async () => {
        const paths = cliPaths();
        const { inspectDaemon } = await inspector();
        const insp = await inspectDaemon(paths, { lookForOrphan: true });
        if (insp.status === 'running' || insp.orphan) {
          throw new OptaError(`a daemon of this home is already running (pid ${insp.pid ?? insp.orphan?.pid}). Never run two: stop it first with opta daemon stop`);
        }
        return runForeground(paths);
      },
    },
    {
      name: 'stop',
      description: 'stop the daemon (SIGTERM, then SIGKILL after a grace period); state.json then records when it stopped',
      run: () => stop(cliPaths()),
    },
    {
      name: 'restart',
      description: 'stop the daemon if it runs, then start it',
      run: async () => {
        const paths = cliPaths();
        const code = await stop(paths);
        return code === 0 ? start(paths) : code;
      },
    },
    {
      name: 'status',
      description: "say whether this home's daemon runs (read-only): running, not-running, stale, foreign, unresponsive, corrupt-state; exit 0 only when running",
      options: [
        { flags: '--json', description: 'print the full inspection as JSON' },
        { flags: '--show-secrets', description: 'include the bearer token' },
      ],
      run: async (opts) => {
        const paths = cliPaths();
        const { inspectDaemon } = await inspector();
        const insp = await inspectDaemon(paths, { lookForOrphan: true });
        // Who supervises: one stat when no service is installed (then nothing is added).
        const { supervisionOf } = await import('../daemon/service/supervision.js');
        const sup = await supervisionOf(paths);
        if (opts.json) out(JSON.stringify({ ...redactInspection(insp, Boolean(opts.showSecrets)), ...(sup ? { supervisor: sup } : {}) }, null, 2));
        else {
          out(describeStatus(insp, paths, Boolean(opts.showSecrets)));
          if (sup) out(sup.text);
        }
        // A daemon that died without stopping: its crash report is kept now (once per run, whoever finds it first),
        // after the status is shown. Nothing is cleaned up: the stale state stays for daemon start or doctor --fix.
        if (insp.status === 'stale' && insp.state) await keepStaleRunReport(paths, insp.state);
        return insp.status === 'running' ? 0 : 1;
      },
    },
    DAEMON_LOGS,
    {
      name: 'install',
      description: 'install the daemon as a per-user service (systemd user unit on Linux, LaunchAgent on macOS) that restarts it when it fails',
      options: [
        { flags: '--now', description: 'also start it now (a daemon started by hand is stopped first)' },
        { flags: '--dry-run', description: 'print the file and the commands it would run; change nothing' },
      ],
      run: install,
    },
    {
      name: 'uninstall',
      description: 'stop the service and remove the file opta daemon install wrote',
      options: [{ flags: '--dry-run', description: 'print the commands it would run; change nothing' }],
      run: uninstall,
    },
    {
      name: 'reset',
      description: 'the guide\'s "Reset Everything": stop, remove state.json and daemon.log, start; sessions/ is never touched',
      run: reset,
    },
  ],
};
