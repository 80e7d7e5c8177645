// The sections of `opta support bundle`, in order: the guide's four commands first, then what the guide's one-liner lacks.
import fs from 'node:fs';
import os from 'node:os';
import { builtinRulesDir } from '../core/install.js';
import { readConfigLite, daemonSettings } from '../core/config-lite.js';
import { portsInOrder } from '../core/port-order.js';
import { OptaError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { refuseLinkOut } from '../core/own-path.js';
import { VERSION } from '../core/version.js';
import type { Section, SectionContext } from './bundle.js';
import { byCodeUnit } from '../core/order.js';

/** The log section's window: 200 guide-style lines are ~20 KiB; more means lines without breaks (a NUL-filled log). */
const LOG_TAIL_MAX_BYTES = 1024 * 1024;

/** Waits for a shared probe at most `ms`, so one hung probe leaves the rest of a section standing. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The newest crash reports in a bundle, and how much of each (a whole report: 32 KiB of log, 48 KiB of facts, config). */
const CRASH_REPORTS_IN_BUNDLE = 3;
const CRASH_REPORT_BYTES_IN_BUNDLE = 112 * 1024;

/** The first `max` bytes of a file opta owns, never through a link. */
function readBounded(file: string, max: number): string {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      const buf = Buffer.alloc(max);
      const n = fs.readSync(fd, buf, 0, max, 0);
      const more = fs.fstatSync(fd).size > n ? `\n[... cut at ${max} bytes ...]` : '';
      return buf.subarray(0, n).toString('utf8') + more;
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    return `(cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}

const PROXY_VARS = /^(?:https?_proxy|all_proxy|no_proxy)$/i;

function homeSource(env: NodeJS.ProcessEnv): string {
  if (env.OPTA_HOME) return 'OPTA_HOME';
  if (env.XDG_CONFIG_HOME) return 'XDG_CONFIG_HOME';
  if (process.platform === 'win32' && env.APPDATA) return 'APPDATA';
  return 'the default';
}

function describeFile(p: string): string {
  try {
    const st = fs.statSync(p);
    const mode = '0' + (st.mode & 0o777).toString(8);
    return st.isDirectory() ? `directory, mode ${mode}` : `${st.size} bytes, mode ${mode}`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot be read (${(err as NodeJS.ErrnoException).code})`;
  }
}

/** 10000,10001,10002,10005 -> "10000-10002, 10005". */
function ranges(ports: number[]): string {
  const out: string[] = [];
  const sorted = [...ports].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j;
  }
  return out.join(', ');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export const SECTIONS: Section[] = [
  {
    id: 'doctor',
    title: 'opta doctor',
    timeoutMs: 9000,
    async collect(ctx) {
      const [{ renderText, renderRuleProblems }, cap] = await Promise.all([import('../render/text.js'), ctx.doctor()]);
      const problems = renderRuleProblems(cap.report);
      return { text: renderText(cap.report, {}) + (problems.length ? '\n' + problems.join('\n') : '') };
    },
  },
  {
    id: 'daemon-status',
    title: 'opta daemon status',
    timeoutMs: 5000,
    async collect(ctx) {
      const { describeStatus } = await import('../daemon/lifecycle/describe-status.js');
      return { text: describeStatus(await ctx.daemon(), ctx.paths, false) };
    },
  },
  {
    id: 'daemon-logs',
    title: 'opta daemon logs --lines 200',
    timeoutMs: 3000,
    async collect(ctx) {
      const { readTail } = await import('../logs/tail.js');
      // A daemon.log that links out of the home is not the daemon's log: the section says so, nothing is read through it.
      refuseLinkOut(ctx.paths.logFile, ctx.paths.home, ctx.env);
      try {
        // Bounded: a log without line breaks would otherwise be read (and bundled) whole, past the deadline.
        const tail = readTail(ctx.paths.logFile, 200, { maxBytes: LOG_TAIL_MAX_BYTES });
        const head = tail.cut ? `(the last 200 lines of ${displayPath(ctx.paths.logFile, ctx.env)} are longer than 1 MiB: only its last 1 MiB is shown)\n` : '';
        return { text: head + tail.lines.join('\n') };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new OptaError(`no daemon log at ${displayPath(ctx.paths.logFile, ctx.env)} yet: the daemon has not run in this home`);
        throw new OptaError(`failed to read log file ${displayPath(ctx.paths.logFile, ctx.env)}: ${(err as Error).message}`);
      }
    },
  },
  {
    id: 'config-list',
    title: 'opta config list',
    timeoutMs: 3000,
    async collect(ctx) {
      const { configListText } = await import('../core/config-list.js');
      return { text: await configListText(ctx.paths, false) };
    },
  },
  {
    id: 'log-analysis',
    title: 'opta logs analyze --since-start',
    timeoutMs: 5000,
    async collect(ctx) {
      // The current daemon run, read from the end of the log up to 16 MiB (the doctor reads 256 KiB; a bundle has time).
      const [{ analyzeCurrentRun }, { renderAnalysisText }] = await Promise.all([import('../logs/current-run.js'), import('../render/logs-analysis.js')]);
      const analysis = await analyzeCurrentRun({ paths: ctx.paths, env: ctx.env, maxBytes: 16 * 1024 * 1024 });
      return { data: analysis, text: renderAnalysisText(analysis) };
    },
  },
  {
    id: 'versions',
    title: 'versions',
    timeoutMs: 5000,
    async collect(ctx) {
      const d = await within(ctx.daemon(), 4000);
      const daemon =
        d === 'timeout'
          ? 'unknown (the daemon inspection gave no answer within 4000 ms)'
          : d.status === 'running'
            ? `${d.identity?.version ?? d.state?.version} (pid ${d.pid}, running)`
            : `${d.state?.version ? `${d.state.version} per state.json, ` : ''}${d.status}`;
      const data = {
        opta: VERSION,
        daemon,
        node: process.version,
        os: `${os.type()} ${os.release()} (${process.platform} ${process.arch})`,
      };
      return { data, text: Object.entries(data).map(([k, v]) => `${(k + ':').padEnd(8)} ${v}`).join('\n') };
    },
  },
  {
    id: 'paths',
    title: 'paths',
    timeoutMs: 2000,
    async collect(ctx) {
      const p = ctx.paths;
      let sessions = describeFile(p.sessionsDir);
      try {
        sessions += `, ${fs.readdirSync(p.sessionsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).length} session(s)`;
      } catch {
        // described as missing or unreadable already
      }
      const rows: Array<[string, string, string]> = [
        ['home', p.home, `from ${homeSource(ctx.env)}; ${describeFile(p.home)}`],
        ['config', p.configFile, describeFile(p.configFile)],
        ['state', p.stateFile, describeFile(p.stateFile)],
        ['log', p.logFile, describeFile(p.logFile)],
        ['sessions', p.sessionsDir, sessions],
        ['opta', process.argv[1] ?? '', 'the CLI that made this bundle'],
        ['rules', builtinRulesDir(), 'built-in rule files'],
        ['node', process.execPath, process.version],
      ];
      return {
        data: Object.fromEntries(rows.map(([k, v, note]) => [k, { path: displayPath(v, ctx.env), note }])),
        text: rows.map(([k, v, note]) => `${(k + ':').padEnd(10)} ${displayPath(v, ctx.env)} (${note})`).join('\n'),
      };
    },
  },
  {
    id: 'environment',
    title: 'environment (OPTA_* and proxy variables)',
    timeoutMs: 1000,
    async collect(ctx) {
      const vars = Object.entries(ctx.env)
        .filter(([k, v]) => v !== undefined && (k.startsWith('OPTA_') || PROXY_VARS.test(k)))
        .sort(([a], [b]) => byCodeUnit(a, b)) as Array<[string, string]>;
      return { data: Object.fromEntries(vars), text: vars.length ? vars.map(([k, v]) => `${k}=${v}`).join('\n') : '(no OPTA_* or proxy variables set)' };
    },
  },
  {
    id: 'ports',
    title: 'listening ports and their owners',
    timeoutMs: 6000,
    async collect(ctx) {
      const { probeListening, portOwners } = await import('../core/port-owners.js');
      const s = daemonSettings(ctx.paths.configFile);
      const wanted: Array<{ host: string; port: number; role: string }> = portsInOrder(s).map((port) => ({
        host: s.host,
        port,
        role: port === s.port ? 'daemon.port' : 'daemon.portRange',
      }));
      const cfg = readConfigLite(ctx.paths.configFile);
      if (cfg.status === 'valid' && isLoopback(cfg.config.lmx.host)) wanted.push({ host: cfg.config.lmx.host, port: cfg.config.lmx.port, role: 'lmx' });
      const probed = await Promise.all(
        wanted.map(async (w) => {
          const listening = await probeListening(w.host, w.port, 400);
          const owners = listening === 'no' ? [] : await portOwners(w.port);
          return { ...w, listening, owners: owners.map((o) => ({ pid: o.pid, command: o.cmd })) };
        }),
      );
      const lines: string[] = [];
      const free = probed.filter((p) => p.listening === 'no');
      for (const p of probed.filter((x) => x.listening !== 'no')) {
        const who = p.owners.length ? p.owners.map((o) => `pid ${o.pid}: ${o.command}`).join('; ') : p.listening === 'yes' ? 'owner not visible to opta (another user?)' : 'no answer to a connect';
        lines.push(`${p.host}:${p.port} (${p.role}) ${p.listening === 'yes' ? 'listening' : 'unknown'}: ${who}`);
      }
      for (const role of [...new Set(free.map((p) => p.role))]) lines.push(`free (${role}): ${ranges(free.filter((p) => p.role === role).map((p) => p.port))}`);
      return { data: probed, text: lines.join('\n') };
    },
  },
  {
    id: 'service',
    title: 'service (the unit/plist opta daemon install wrote, and what its manager says)',
    timeoutMs: 4000,
    async collect(ctx) {
      const [{ supervisionOf }, { serviceFilePath, serviceKind }] = await Promise.all([import('../daemon/service/supervision.js'), import('../daemon/service/service-file.js')]);
      const sup = await supervisionOf(ctx.paths, ctx.env, 2500);
      const kind = serviceKind();
      const file = kind && serviceFilePath(kind, ctx.env);
      if (!sup || !file) return { text: `no service installed${file ? ` (${displayPath(file, ctx.env)} does not exist)` : ''}; the daemon is not supervised` };
      // Bounded: a unit/plist opta wrote is under 2 KiB; anything far larger is not opta's and is cut.
      const fd = fs.openSync(file, 'r');
      const buf = Buffer.alloc(64 * 1024);
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, 0);
      } finally {
        fs.closeSync(fd);
      }
      return { data: sup, text: `${sup.text}\n--- ${sup.file}\n${buf.subarray(0, n).toString('utf8')}${n === buf.length ? '\n(cut at 64 KiB)' : ''}` };
    },
  },
  {
    id: 'fix-plan',
    title: 'opta doctor --fix --dry-run (the plan only: nothing was run)',
    timeoutMs: 5000,
    async collect(ctx) {
      // The plan for the doctor run above (no second run): which pipelines, steps, files and pids, and what needs a person.
      const [cap, { buildPlan, loadPipelines }, { renderPlan }] = await Promise.all([ctx.doctor(), import('../fix/plan.js'), import('../render/fix-text.js')]);
      const { plan } = await buildPlan(cap.report, cap.facts, await loadPipelines(), ctx.paths, ctx.env);
      return { data: plan, text: renderPlan(plan) };
    },
  },
  {
    id: 'crash-reports',
    title: 'crash reports (daemon/crashes/: the newest, redacted)',
    timeoutMs: 2000,
    async collect(ctx) {
      const { listCrashReports } = await import('../core/crash-reports.js');
      const all = listCrashReports(ctx.paths.home);
      if (!all.length) return { text: 'none kept (the daemon has not been found dead without stopping)' };
      const newest = all.slice(-CRASH_REPORTS_IN_BUNDLE).reverse();
      const parts = [`${all.length} kept; the newest ${newest.length}, newest first:`];
      for (const e of newest) {
        parts.push('', `=== ${displayPath(e.file, ctx.env)} (${e.bytes} bytes) ===`, readBounded(e.file, CRASH_REPORT_BYTES_IN_BUNDLE));
      }
      return { text: parts.join('\n') };
    },
  },
  {
    id: 'doctor-report',
    title: 'doctor report (JSON: the facts opta support analyze reads)',
    timeoutMs: 10000,
    async collect(ctx: SectionContext) {
      const cap = await ctx.doctor();
      return { data: { report: cap.report, facts: cap.facts } };
    },
    render: (data) => JSON.stringify(data, null, 2),
  },
];
