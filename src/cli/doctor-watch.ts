// `opta doctor --watch`: re-runs the doctor after every interval and prints only what changed, until SIGINT/SIGTERM.
import { shortDuration } from '../core/duration.js';
import type { DoctorReport } from '../doctor/report-types.js';
import { describeChanges, describeState } from '../render/doctor-changes.js';
import { runtime, type ExitCode } from './context.js';
import { emitReport, type Destination, type RenderContext } from './doctor-outputs.js';
import { err, out } from './output.js';

export interface WatchOptions {
  run: () => Promise<DoctorReport>;
  destinations: Destination[];
  ctx: RenderContext;
  intervalMs: number;
  /** Where change lines go (standard output by default). */
  print?: (line: string) => void;
  signals?: NodeJS.Signals[];
}

/** Local time with its offset, to the second ("2025-05-01T14:00:00+02:00"): readable on a terminal, exact in a journal. */
export function localTimestamp(d = new Date()): string {
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

/**
 * One run at a time: the pause starts when a run has finished, so a slow stack never gets overlapping runs. Each
 * run is a fresh, read-only doctor (its sockets and timers end with it); the only writes are the --output files,
 * rewritten atomically after every run. A signal ends the pause or abandons the run in flight, and the command
 * returns 0.
 */
export async function watchDoctor(opts: WatchOptions): Promise<ExitCode> {
  const print = opts.print ?? ((line: string) => out(line));
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM'];
  const files = opts.destinations.filter((d) => d.file !== undefined);
  let stopped: NodeJS.Signals | undefined;
  let wake!: () => void;
  const stopping = new Promise<undefined>((resolve) => (wake = () => resolve(undefined)));
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopped) return;
    stopped = sig;
    wake();
  };
  for (const s of signals) process.on(s, onSignal);
  let inFlight = false;
  try {
    print(`${localTimestamp()} opta doctor --watch: checking every ${shortDuration(opts.intervalMs)}; printing only what changes (stop with Ctrl-C)`);
    let prev: DoctorReport | undefined;
    while (!stopped) {
      inFlight = true;
      let report: DoctorReport | undefined;
      try {
        report = await Promise.race([opts.run(), stopping]);
      } catch (e) {
        // The first run's errors (a bad --only, unreadable rules) are the command's; later ones are reported and retried.
        if (!prev) throw e;
        err(`${localTimestamp()} opta: this run failed: ${e instanceof Error ? e.message : String(e)}; trying again in ${shortDuration(opts.intervalMs)}`);
      }
      if (stopped) break;
      inFlight = false;
      if (report) {
        const ts = localTimestamp();
        for (const line of prev ? describeChanges(prev, report) : describeState(report)) print(`${ts} ${line}`);
        if (files.length) await emitReport(report, files, { ...opts.ctx, kleur: undefined });
        prev = report;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.intervalMs))), stopping]);
      clearTimeout(timer);
    }
    print(`${localTimestamp()} stopped (${stopped})`);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
  // A run abandoned mid-way may hold a socket until its own deadline: the entry point need not wait for it.
  if (inFlight) runtime.hardStopAt = Date.now() + 100;
  return 0;
}
