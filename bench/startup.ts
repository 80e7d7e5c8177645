// Benchmark: start-up of opta's commands (issue 12), each a ratio to `node -e 0` timed in the same loop, clean (no NODE_EXTRA_CA_CERTS) and as it is.
//
// Figures: `opta --version`; `opta doctor` on a healthy stack (a real LMX simulator and daemon); `opta daemon logs
// --lines 200` on a 1 GB log; `opta daemon start` until it returns (the daemon serves); the daemon's own start, from
// spawning the bin with --opta-daemon to its "ready" (listening). Each figure runs alternately with `node -e 0`
// (warm-up pairs first: the first run of a command writes its code cache), so both see the same machine load.
// Last, what keeps core/config-lite.ts and core/state-lite.ts (zod-free mirrors of two schemas): zod's cost on first use
// in a cached bundle, as `opta config get daemon.port` (zod validates config.json) minus `opta config path` (no zod),
// paired run by run. BENCH_RUNS (default 21) sets the pairs, BENCH_ONLY (e.g. "doctor,logs,zod") the figures.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { spawnLmxSim } from '../fixtures/lmx-sim/client.js';
import { daemonConfig, freePortBlock, makeHome, OPTA_BIN, runOpta, type TestHome } from '../test/helpers/env.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const WARMUP = 3;
const ONLY = process.env.BENCH_ONLY?.split(',');
const LOG_BYTES = Number(process.env.BENCH_LOG_BYTES ?? 1024 ** 3);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Wall time of a whole process, start to exit; a wrong exit code fails the benchmark (it would time an error path). */
function wall(args: string[], env: NodeJS.ProcessEnv, expect = 0): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== expect) throw new Error(`node ${args.join(' ')} exited ${r.status}, not ${expect}: ${r.stderr}`);
  return ms;
}

/** The daemon's own start: spawn the bin as `opta daemon start` does, until the daemon reports ready (it listens). */
async function daemonOwnStart(h: TestHome, env: NodeJS.ProcessEnv): Promise<number> {
  const t = performance.now();
  const child = spawn(process.execPath, [OPTA_BIN, '--opta-daemon', '--home', h.optaHome], { env, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const ms = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? resolve(performance.now() - t) : reject(new Error(m.message))));
    child.once('exit', (code) => reject(new Error(`the daemon exited ${code} before it was ready`)));
  });
  child.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return ms;
}

interface Figure {
  id: string;
  label: string;
  /** Targets from issue 12: ratio to node -e 0 (clean, as is) or milliseconds. */
  target: { clean?: number; asIs?: number; ms?: number };
  /** Printed as a difference in ms (no ratio to node -e 0). */
  difference?: boolean;
  run(env: NodeJS.ProcessEnv): number | Promise<number>;
  /** Untimed, after each run (stop the daemon a start started). */
  after?(env: NodeJS.ProcessEnv): void | Promise<void>;
}

/** A 1 GB daemon.log of lines like the daemon's (some carrying a bearer token to redact), written in 8 MiB blocks. */
function writeLog(file: string, bytes: number): void {
  const lines: string[] = [];
  for (let i = 0; i < 60000; i++) {
    lines.push(
      i % 50 === 0
        ? `2026-11-25T10:00:01.${String(i % 1000).padStart(3, '0')}Z INFO  ws client connected; Authorization: Bearer tok_${(i * 7919).toString(36)}abcdef0123456789`
        : `2026-11-25T10:00:01.${String(i % 1000).padStart(3, '0')}Z INFO  GET /v3/sessions/s-${i % 97}/events?afterSeq=${i} 200 in ${i % 13} ms`,
    );
  }
  const block = Buffer.from(lines.join('\n') + '\n');
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    for (let n = 0; n < bytes; n += block.length) fs.writeSync(fd, block, 0, Math.min(block.length, bytes - n));
    // On disk before anything is timed: the kernel writing 1 GB back in the background would slow every figure.
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

async function measure(f: Figure, env: NodeJS.ProcessEnv): Promise<{ median: number; p90: number; base: number; ratio: number }> {
  const times: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t = await f.run(env);
    await f.after?.(env);
    const b = wall(['-e', '0'], env);
    if (i >= WARMUP) {
      times.push(t);
      base.push(b);
    }
  }
  return { median: median(times), p90: p90(times), base: median(base), ratio: median(times) / median(base) };
}

async function main(): Promise<void> {
  const sim = await spawnLmxSim({ port: 0 });
  const port = await freePortBlock(3);
  // Two homes: one whose daemon runs (doctor, logs), one that the start figures start and stop.
  const h = makeHome({ config: daemonConfig(port, 2, { lmx: { host: '127.0.0.1', port: sim.port } }) });
  const port2 = await freePortBlock(3);
  const h2 = makeHome({ config: daemonConfig(port2, 2, { lmx: { host: '127.0.0.1', port: sim.port } }) });
  h.pids.add(sim.pid);
  try {
    const started = await runOpta(h, ['daemon', 'start']);
    if (started.code !== 0) throw new Error(`daemon start failed: ${started.stdout}${started.stderr}`);
    const check = await runOpta(h, ['doctor']);
    if (check.code !== 0) throw new Error(`the stack is not healthy:\n${check.stdout}${check.stderr}`);
    const all: Figure[] = [
      { id: 'version', label: 'opta --version', target: { clean: 1.25 }, run: (env) => wall([OPTA_BIN, '--version'], env) },
      { id: 'doctor', label: 'opta doctor (healthy stack)', target: { clean: 2.5, asIs: 1.6 }, run: (env) => wall([OPTA_BIN, 'doctor'], env) },
      {
        id: 'logs',
        label: `opta daemon logs --lines 200 (${(LOG_BYTES / 1024 ** 3).toFixed(1)} GB log)`,
        target: { clean: 1.5 },
        run: (env) => wall([OPTA_BIN, 'daemon', 'logs', '--lines', '200'], { ...env, OPTA_HOME: path.join(h.home, 'logs-home') }),
      },
      {
        id: 'start',
        label: 'opta daemon start (until it serves)',
        target: { ms: 150 },
        run: (env) => wall([OPTA_BIN, 'daemon', 'start'], { ...env, HOME: h2.home, OPTA_HOME: h2.optaHome }),
        after: (env) => void wall([OPTA_BIN, 'daemon', 'stop'], { ...env, HOME: h2.home, OPTA_HOME: h2.optaHome }),
      },
      { id: 'daemon', label: "the daemon's own start (spawn to listening)", target: { ms: 100 }, run: (env) => daemonOwnStart(h2, { ...env, HOME: h2.home, OPTA_HOME: h2.optaHome }) },
      {
        id: 'zod',
        label: 'zod on first use (config get - config path)',
        target: {},
        difference: true,
        run: (env) => wall([OPTA_BIN, 'config', 'get', 'daemon.port'], env) - wall([OPTA_BIN, 'config', 'path'], env),
      },
    ];
    const figures = all.filter((f) => !ONLY || ONLY.includes(f.id));
    if (figures.some((f) => f.id === 'logs')) {
      // A home of its own for the big log, so the doctor's home keeps its small one.
      const logsHome = path.join(h.home, 'logs-home', 'daemon');
      fs.mkdirSync(logsHome, { recursive: true, mode: 0o700 });
      writeLog(path.join(logsHome, 'daemon.log'), LOG_BYTES);
    }
    // As it is (this machine sets NODE_EXTRA_CA_CERTS: ~35 ms more for every node start) and clean (without it).
    const asIs: NodeJS.ProcessEnv = { ...process.env, HOME: h.home, OPTA_HOME: h.optaHome, NO_COLOR: '1', CI: 'true' };
    delete asIs.XDG_CACHE_HOME;
    const clean: NodeJS.ProcessEnv = { ...asIs };
    delete clean.NODE_EXTRA_CA_CERTS;
    process.stdout.write(`opta start-up, ${process.version}, ${RUNS} pairs per figure after ${WARMUP} warm-up pairs; NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'not set'} as is\n`);
    const results: Array<Record<string, unknown>> = [];
    for (const f of figures) {
      for (const [envName, env] of [['clean', clean], ['as is', asIs]] as const) {
        const m = await measure(f, env);
        // The millisecond targets (daemon start) are the clean environment's, as the ratio targets say which they are.
        const target = envName !== 'clean' ? (f.target.asIs ? `<= ${f.target.asIs}x` : '') : f.target.ms !== undefined ? `<= ${f.target.ms} ms` : f.target.clean ? `<= ${f.target.clean}x` : '';
        const met = !target || (f.target.ms !== undefined && envName === 'clean' ? m.median <= f.target.ms : m.ratio <= (envName === 'clean' ? f.target.clean! : f.target.asIs!));
        const figure = f.difference
          ? `median ${r1(m.median).toFixed(1).padStart(6)} ms more (p90 ${r1(m.p90).toFixed(1).padStart(6)})  node -e 0 ${r1(m.base).toFixed(1).padStart(5)} ms  = ${m.ratio.toFixed(2)}x of node -e 0`
          : `median ${r1(m.median).toFixed(1).padStart(6)} ms (p90 ${r1(m.p90).toFixed(1).padStart(6)})  node -e 0 ${r1(m.base).toFixed(1).padStart(5)} ms  ratio ${m.ratio.toFixed(2)}x`;
        process.stdout.write(`${f.label.padEnd(52)} ${envName.padEnd(6)} ${figure}${target ? `  target ${target}${met ? '' : ' (not met)'}` : ''}\n`);
        results.push({ figure: f.id, env: envName, runs: RUNS, medianMs: r1(m.median), p90Ms: r1(m.p90), nodeE0Ms: r1(m.base), ratio: Math.round(m.ratio * 100) / 100, target: target || null, met });
      }
    }
    process.stdout.write(JSON.stringify({ node: process.version, results }) + '\n');
    await runOpta(h, ['daemon', 'stop']);
  } finally {
    await sim.stop();
    await h2.cleanup();
    await h.cleanup();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
