// Benchmark: event replay from a ~50 MB session (tail vs whole) and /v3/health latency while whole replays run vs idle.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnLmxSim } from '../fixtures/lmx-sim/client.js';
import { writeBigSession } from '../test/helpers/big-session.js';
import { daemonConfig, freePortBlock, makeHome, readJson, runOpta } from '../test/helpers/env.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function timed(url: string, token: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  for await (const _ of res.body!) { /* drained, not parsed */ }
  return performance.now() - t0;
}

/** Health latency, one request every 10 ms whether or not the last was answered, while `during` runs (or for 2 s). */
async function healthWhile(base: string, token: string, during?: Promise<unknown>): Promise<number[]> {
  let running = true;
  const until = during ? during.finally(() => (running = false)) : new Promise((r) => setTimeout(() => r((running = false)), 2000));
  const probes: Array<Promise<number>> = [];
  while (running) {
    probes.push(timed(`${base}/v3/health`, token));
    await new Promise((r) => setTimeout(r, 10));
  }
  await until;
  return Promise.all(probes);
}

const sim = await spawnLmxSim({ port: 0 });
const port = await freePortBlock(3);
const h = makeHome({ config: daemonConfig(port, 2, { lmx: { host: '127.0.0.1', port: sim.port } }) });
try {
  const big = writeBigSession(path.join(h.paths.sessionsDir, 'big'), 'big');
  const t0 = performance.now();
  const start = await runOpta(h, ['daemon', 'start'], { timeoutMs: 120000 });
  if (start.code !== 0) throw new Error(`daemon start failed: ${start.stderr}`);
  console.log(`daemon start with a ${big.count}-event session: ${(performance.now() - t0).toFixed(0)} ms (the index is built while loading)`);
  const s = readJson<{ port: number; token: string }>(h.paths.stateFile);
  const base = `http://127.0.0.1:${s.port}`;
  const events = `${base}/v3/sessions/big/events`;

  const tail: number[] = [];
  const whole: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    tail.push(await timed(`${events}?afterSeq=${big.count - 3}`, s.token));
    whole.push(await timed(`${events}?afterSeq=0`, s.token));
  }
  console.log(`GET /events, last 3 of ${big.count}: ${median(tail).toFixed(1)} ms; all: ${median(whole).toFixed(0)} ms; tail/all = ${(median(tail) / median(whole)).toFixed(4)} (median of ${RUNS})`);

  const idle = await healthWhile(base, s.token);
  const busy = await healthWhile(base, s.token, (async () => { for (let i = 0; i < 3; i++) await timed(`${events}?afterSeq=0`, s.token); })());
  console.log(
    `/v3/health idle p50 ${median(idle).toFixed(1)} ms p90 ${pct(idle, 0.9).toFixed(1)} ms; during whole replays p50 ${median(busy).toFixed(1)} ms ` +
      `p90 ${pct(busy, 0.9).toFixed(1)} ms (${busy.length} requests); busy/idle p50 = ${(median(busy) / median(idle)).toFixed(2)}x`,
  );
} finally {
  await runOpta(h, ['daemon', 'stop']);
  await sim.stop();
  await h.cleanup();
}
