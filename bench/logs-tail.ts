// Benchmark: `opta daemon logs --lines 200` on a small and a ~200 MB log, against `tail -n 200` and `node -e 0` in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const OPTA = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    samples.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return median(samples);
}

function makeLog(file: string, lines: number): void {
  const fd = fs.openSync(file, 'w');
  const batch: string[] = [];
  for (let i = 1; i <= lines; i++) {
    batch.push(`[10:00:01] INFO  request ${i} served in ${i % 97} ms ${'x'.repeat(60)}`);
    if (batch.length === 20000) { fs.writeSync(fd, batch.join('\n') + '\n'); batch.length = 0; }
  }
  if (batch.length) fs.writeSync(fd, batch.join('\n') + '\n');
  fs.closeSync(fd);
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-bench-'));
const daemonDir = path.join(home, 'daemon');
fs.mkdirSync(daemonDir, { recursive: true });
const env = { PATH: process.env.PATH, HOME: home, OPTA_HOME: home, NO_COLOR: '1', CI: 'true', TERM: 'dumb', FORCE_COLOR: '0' };
try {
  const baseline = time(process.execPath, ['-e', '0'], env);
  console.log(`node -e 0: ${baseline.toFixed(1)} ms (median of ${RUNS})`);
  for (const [label, lines] of [['1k lines', 1000], ['2.5M lines (~230 MB)', 2500000]] as const) {
    const log = path.join(daemonDir, 'daemon.log');
    makeLog(log, lines);
    const size = fs.statSync(log).size;
    const opta = time(process.execPath, [OPTA, 'daemon', 'logs', '--lines', '200'], env);
    const tail = time('tail', ['-n', '200', log], env);
    console.log(`${label}, ${(size / 1e6).toFixed(1)} MB: opta daemon logs --lines 200 ${opta.toFixed(1)} ms; tail -n 200 ${tail.toFixed(1)} ms; opta/(node -e 0) = ${(opta / baseline).toFixed(2)}x; opta - tail = ${(opta - tail).toFixed(1)} ms`);
  }
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
