// Reads `launchctl print gui/<uid>/<label>` (indented `key = value` lines, TABs or spaces) into the service's state.
import type { ServiceState } from './service-state.js';

/** The top-level `key = value` lines (nested blocks skipped); a trailing ` #...` comment is not launchd's and is dropped. */
export function parsePrintLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let depth = 0;
  for (const raw of text.slice(0, 256 * 1024).split('\n')) {
    const line = raw.trim();
    if (line.endsWith('= {') || line.endsWith('=> {')) {
      depth++;
      continue;
    }
    if (line === '}') {
      depth = Math.max(0, depth - 1);
      continue;
    }
    if (depth !== 1) continue;
    const m = /^([a-z][a-z ()]*?) = (.*)$/i.exec(line);
    if (m && !(m[1] in out)) out[m[1]] = m[2].replace(/\s+#.*$/, '');
  }
  return out;
}

function int(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(-?\d+)/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** Throttled: launchd relaunches a KeepAlive job no sooner than its throttle interval ("spawn scheduled") or puts it in the penalty box. */
export function parseLaunchctlPrint(text: string): ServiceState {
  const p = parsePrintLines(text);
  const state = p.state;
  const pid = int(p.pid);
  const runs = int(p.runs);
  const exit = p['last exit code'];
  const signal = p['last terminating signal'];
  const sigNum = signal ? int(/:\s*(\d+)/.exec(signal)?.[1]) : undefined;
  const penalty = (p.properties ?? '').includes('penalty box');
  const scheduled = state === 'spawn scheduled';
  const failedExit = exit !== undefined && exit !== '(never exited)' && int(exit) !== 0;
  return {
    loaded: true,
    state: state === 'running' ? 'running' : scheduled ? 'restarting' : p['job state'] === 'spawn failed' ? 'failed' : 'stopped',
    pid: pid && pid > 0 ? pid : undefined,
    lastExit: exit !== undefined && exit !== '(never exited)' ? { code: int(exit) } : sigNum !== undefined ? { signal: sigNum } : undefined,
    // launchd counts runs, not restarts: the first run is not a restart.
    restarts: runs !== undefined ? Math.max(0, runs - 1) : undefined,
    crashLooping: (scheduled && (failedExit || (runs ?? 0) > 5)) || penalty,
    throttled: scheduled || penalty,
    needsReload: false,
    enabled: (p.properties ?? '').includes('runatload'),
    file: p.path,
  };
}

/** launchctl's answer for a job that is not bootstrapped (exit 113, "Could not find service"). */
export function isNotLoaded(stderr: string, code: number | null): boolean {
  return code === 113 || /Could not find service/.test(stderr);
}
