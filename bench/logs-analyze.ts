// Benchmark: `opta logs analyze` on a generated log (BENCH_LOG_MB, default 300; ~1% of lines match) against `LC_ALL=C grep -cE` with equivalent patterns, same file, same loop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { loadPatterns } from '../src/logs/patterns.js';
import { regexInfo } from '../src/logs/regex-info.js';
import { OPTA_BIN } from '../test/helpers/env.js';

const MB = Number(process.env.BENCH_LOG_MB ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

const OTHER = [
  ['INFO', 'session demo: turn turn_123 done in 42 ms'],
  ['INFO', 'request GET /v3/health 200 in 1 ms'],
  ['DEBUG', 'ws client connected to session abc'],
  ['INFO', 'session notes: cancelled 1 turn(s)'],
  ['ERROR', 'something else went wrong: EIO'],
  ['WARN', 'slow request: 900 ms'],
  ['INFO', 'state file restored'],
] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * One line in one of the formats the analyser reads: 70% the daemon's own, 5% ISO-8601, 5% JSON lines, 3% JSON with
 * capitalised keys, 5% syslog, 5% journald (journalctl -o short-iso), 4% docker logs -t, 3% Docker json-file.
 */
function line(i: number, level: string, msg: string): string {
  const t = `${pad2(Math.floor(i / 3600) % 24)}:${pad2(Math.floor(i / 60) % 60)}:${pad2(i % 60)}`;
  const own = `[${t}] ${level.padEnd(5)} ${msg}`;
  const k = i % 100;
  if (k < 5) return JSON.stringify({ ts: `2026-11-25T${t}.000Z`, level: level.toLowerCase(), msg });
  if (k < 8) return JSON.stringify({ Time: `2026-11-25T${t}.000Z`, Level: level, Msg: msg });
  if (k < 13) return `[2026-11-25T${t}.000Z] ${level.padEnd(5)} ${msg}`;
  if (k < 18) return `Nov 25 ${t} mac-mini opta-daemon[4242]: ${own}`;
  if (k < 23) return `2026-11-25T${t}+0100 mac-mini opta[4242]: ${own}`;
  if (k < 27) return `2026-11-25T${t}.123456789Z ${own}`;
  if (k < 30) return JSON.stringify({ log: own + '\n', stream: 'stderr', time: `2026-11-25T${t}.123456789Z` });
  return own;
}

/** Trailing detail other writers add after the key phrase and its values. */
const DETAIL = ['', ' (attempt 3)', ' [s_42]', ' after 1200 ms', ' (rss 2.1 GB)'];

async function main(): Promise<void> {
  const { patterns } = await loadPatterns();
  const matching = patterns.flatMap((p) => p.examples.map((ex) => [p.levels[p.levels.length - 1], ex] as const));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-bench-logs-'));
  const file = path.join(dir, 'daemon.log');
  try {
    const fd = fs.openSync(file, 'w');
    let written = 0;
    let i = 0;
    let expected = 0;
    while (written < MB * 1e6) {
      const batch: string[] = [];
      for (let k = 0; k < 20000; k++, i++) {
        if (i % 100 === 50) {
          const [level, msg] = matching[(i / 100) % matching.length | 0];
          batch.push(line(i + (i / 100 | 0), level, msg + DETAIL[(i / 100 | 0) % DETAIL.length]));
          expected++;
        } else {
          const [level, msg] = OTHER[i % OTHER.length];
          batch.push(line(i, level, `${msg} ${'x'.repeat(i % 41)}`));
        }
      }
      const text = batch.join('\n') + '\n';
      fs.writeSync(fd, text);
      written += Buffer.byteLength(text);
    }
    fs.closeSync(fd);

    // grep's equivalent: per level, the level after a time stamp in brackets (the daemon's line, also inside a syslog,
    // journald, docker or json-file wrapper), then one of that level's key phrases; for JSON lines the level and
    // message keys, either case. Key phrases come from the same analysis the analyser uses for its prefilter.
    const esc = (s: string) => s.replace(/[.[\]()*+?{}|^$\\]/g, '\\$&');
    const byLevel = new Map<string, string[]>();
    for (const p of patterns) {
      const info = regexInfo(p.regex);
      for (const level of p.levels) byLevel.set(level, [...(byLevel.get(level) ?? []), ...(info.prefixes ?? info.literals ?? [])]);
    }
    const alternatives = [...byLevel].flatMap(([level, lits]) => [
      `\\] ${level} +(${lits.map(esc).join('|')})`,
      `^\\{.*"[lL]evel":"(${level.toLowerCase()}|${level})","[mM]sg":"(${lits.map(esc).join('|')})`,
    ]);
    const grepArgs = ['-cE', alternatives.join('|'), file];
    const out = path.join(dir, 'out');
    const env = { ...process.env, LC_ALL: 'C', CI: 'true' };
    const run = (cmd: string, args: string[]): { ms: number; rssKb: number | null; status: number | null } => {
      const fdOut = fs.openSync(out, 'w');
      const t0 = performance.now();
      const r = TIME
        ? spawnSync(TIME, ['-f', '%M', cmd, ...args], { env, stdio: ['ignore', fdOut, 'pipe'] })
        : spawnSync(cmd, args, { env, stdio: ['ignore', fdOut, 'pipe'] });
      const ms = performance.now() - t0;
      fs.closeSync(fdOut);
      const rss = TIME ? Number(r.stderr.toString().trim().split('\n').at(-1)) : NaN;
      return { ms, rssKb: Number.isFinite(rss) ? rss : null, status: r.status };
    };
    const optaArgs = [OPTA_BIN, 'logs', 'analyze', '--json', file];

    // Warm-up, and the answers compared: both must count the same matching lines.
    run('grep', grepArgs);
    const grepCount = Number(fs.readFileSync(out, 'utf8').trim());
    const first = run(process.execPath, optaArgs);
    if (first.status !== 0) throw new Error(`opta logs analyze exited ${first.status}`);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { levels: Record<string, number>; other: Record<string, number> };
    const optaCount = Object.keys(report.levels).reduce((n, k) => n + report.levels[k] - report.other[k], 0);

    const opta: number[] = [];
    const grep: number[] = [];
    const rss: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const a = run(process.execPath, optaArgs);
      opta.push(a.ms);
      if (a.rssKb !== null) rss.push(a.rssKb);
      grep.push(run('grep', grepArgs).ms);
    }
    const size = fs.statSync(file).size;
    const r = {
      bytes: size,
      lines: i,
      matchingLines: { generated: expected, grep: grepCount, opta: optaCount },
      runs: RUNS,
      cores: os.availableParallelism(),
      node: process.version,
      optaMedianMs: Math.round(median(opta)),
      grepMedianMs: Math.round(median(grep)),
      ratio: Math.round((median(opta) / median(grep)) * 100) / 100,
      optaPeakRssMb: rss.length ? Math.round(Math.max(...rss) / 1024) : null,
      targets: { ratio: 1.5, peakRssMb: 100 },
    };
    process.stdout.write(
      `log: ${(size / 1e6).toFixed(0)} MB, ${r.lines} lines, ${expected} matching (grep counts ${grepCount}, opta ${optaCount})\n` +
        `opta logs analyze --json: median ${r.optaMedianMs} ms over ${RUNS} runs, peak RSS ${r.optaPeakRssMb ?? 'n/a'} MB\n` +
        `LC_ALL=C grep -cE (same patterns): median ${r.grepMedianMs} ms\n` +
        `ratio: ${r.ratio}x (target <= ${r.targets.ratio}x; peak RSS target <= ${r.targets.peakRssMb} MB)\n` +
        JSON.stringify(r) +
        '\n',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
