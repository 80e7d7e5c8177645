// Benchmark: what keeping a crash report adds to a restart (issue 24): `opta daemon start` after kill -9 (a report is kept) against after a clean stop (none), paired with `node -e 0`.
//
// Figures per pair, in the same loop: `node -e 0`; "serving" = spawn `opta daemon start` until it prints "Daemon
// started" (the new daemon serves; the report is written after this), once after a kill -9 and once after a clean
// stop; "whole" = the same commands until they exit (after a kill -9 this includes writing the report). Printed:
// medians, p90, ratios to node -e 0, and the difference kill-9 minus clean. BENCH_RUNS (default 15) sets the pairs.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { daemonConfig, freePortBlock, makeHome, OPTA_BIN, readJson } from '../test/helpers/env.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 2;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const r1 = (x: number) => Math.round(x * 10) / 10;

function nodeZero(env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
  return performance.now() - t;
}

/** `opta daemon start`: ms until it says the daemon serves, and until it exits. */
function start(env: NodeJS.ProcessEnv): Promise<{ serving: number; whole: number }> {
  const t = performance.now();
  const child = spawn(process.execPath, [OPTA_BIN, 'daemon', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let serving = 0;
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
    if (!serving && /Daemon started/.test(out)) serving = performance.now() - t;
  });
  let errText = '';
  child.stderr!.on('data', (d) => (errText += d));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0 || !serving) reject(new Error(`opta daemon start exited ${code}: ${out}${errText}`));
      else resolve({ serving, whole: performance.now() - t });
    });
  });
}

async function waitDead(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      process.kill(pid, 0);
      if (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pid ${pid} did not die`);
}

async function main(): Promise<void> {
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port, 2) });
  const env = { ...h.env };
  if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  const fig = { node: [] as number[], killServing: [] as number[], cleanServing: [] as number[], killWhole: [] as number[], cleanWhole: [] as number[] };
  try {
    await start(env);
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const keep = i >= WARMUP;
      const n = nodeZero(env);
      // After kill -9: a stale record, so the restart keeps a crash report.
      const s = readJson<{ pid: number }>(h.paths.stateFile);
      process.kill(s.pid, 'SIGKILL');
      await waitDead(s.pid);
      const k = await start(env);
      // After a clean stop: a stopped record, no report.
      spawnSync(process.execPath, [OPTA_BIN, 'daemon', 'stop'], { env, stdio: 'ignore' });
      const c = await start(env);
      if (!keep) continue;
      fig.node.push(n);
      fig.killServing.push(k.serving);
      fig.cleanServing.push(c.serving);
      fig.killWhole.push(k.whole);
      fig.cleanWhole.push(c.whole);
    }
    const kept = fs.readdirSync(path.join(h.optaHome, 'daemon', 'crashes')).length;
    const nz = median(fig.node);
    process.stdout.write(`crash restart, ${process.version}, ${RUNS} pairs after ${WARMUP} warm-up; NODE_EXTRA_CA_CERTS ${env.NODE_EXTRA_CA_CERTS ? 'set' : 'not set'}; ${kept} reports kept (bound 10)\n`);
    process.stdout.write(`node -e 0                         median ${r1(nz)} ms\n`);
    for (const [label, xs] of [
      ['start after kill -9, until serving', fig.killServing],
      ['start after clean stop, until serving', fig.cleanServing],
      ['start after kill -9, until exit', fig.killWhole],
      ['start after clean stop, until exit', fig.cleanWhole],
    ] as const) {
      process.stdout.write(`${label.padEnd(38)} median ${r1(median(xs))} ms, p90 ${r1(p90(xs))} ms, ${r1(median(xs) / nz)}x node -e 0\n`);
    }
    const diffs = fig.killServing.map((k, i) => k - fig.cleanServing[i]);
    const noise = fig.cleanServing.map((c, i) => (i ? c - fig.cleanServing[i - 1] : 0)).slice(1).map(Math.abs);
    process.stdout.write(`added until serving (kill -9 minus clean, paired): median ${r1(median(diffs))} ms; clean run-to-run spread median ${r1(median(noise))} ms\n`);
  } finally {
    spawnSync(process.execPath, [OPTA_BIN, 'daemon', 'stop'], { env, stdio: 'ignore' });
    await h.cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
