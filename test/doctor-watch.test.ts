// opta doctor --watch on a live stack: sees a daemon killed and restarted, keeps the textfile fresh, stops cleanly, leaks nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { watchDoctor } from '../src/cli/doctor-watch.js';
import { optaPaths } from '../src/core/paths.js';
import type { DoctorReport } from '../src/doctor/report-types.js';
import { runDoctor } from '../src/doctor/run.js';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { alive, runOpta, spawnOpta, waitUntil } from './helpers/env.js';
import { checkMetrics, sampleValue } from './helpers/metrics-check.js';
import { childEnd } from './helpers/wait.js';

const TS = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})`;

function exitOf(child: import('node:child_process').ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return childEnd(child, 10000, 'opta doctor --watch to exit after the signal');
}

describe('opta doctor --watch', () => {
  let rig: DaemonRig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => rig?.cleanup());

  test('sees the daemon killed (kill -9) and restarted, prints only those changes, keeps the textfile fresh, exits 0 on SIGTERM', async () => {
    const dir = path.join(rig.h.home, 'textfile');
    fs.mkdirSync(dir);
    const prom = path.join(dir, 'opta.prom');
    const daemonStatus = () => {
      try {
        const m = checkMetrics(fs.readFileSync(prom, 'utf8'));
        return { ok: sampleValue(m, 'opta_doctor_check_status', { check: 'daemon', status: 'ok' }), error: sampleValue(m, 'opta_doctor_check_status', { check: 'daemon', status: 'error' }) };
      } catch {
        return undefined;
      }
    };
    const w = spawnOpta(rig.h, ['doctor', '--watch', '--ci', '--interval', '1s', '--format', 'openmetrics', '--output', prom]);
    rig.h.pids.add(w.child.pid!);
    try {
      await waitUntil(() => w.output().includes('All checks passed.'), 15000, 'the first run');
      await waitUntil(() => daemonStatus()?.ok === 1, 5000, 'the textfile with the daemon ok');
      // Two quiet runs: the textfile is rewritten (a new run timestamp) while nothing is printed.
      const runAt = () => {
        try {
          return sampleValue(checkMetrics(fs.readFileSync(prom, 'utf8')), 'opta_doctor_last_run_timestamp_seconds');
        } catch {
          return undefined;
        }
      };
      const seen = new Set([runAt()]);
      await waitUntil(() => (seen.add(runAt()), seen.size >= 3), 10000, 'two more runs');
      const firstPid = rig.pid;
      process.kill(firstPid, 'SIGKILL');
      await waitUntil(() => !alive(firstPid), 5000, 'the daemon to die');
      await waitUntil(() => /daemon: ok -> error: stale: /.test(w.output()), 15000, 'watch to see the daemon gone');
      await waitUntil(() => daemonStatus()?.error === 1, 5000, 'the textfile to say the daemon is down');
      const start = await runOpta(rig.h, ['daemon', 'start']);
      assert.equal(start.code, 0, start.stdout + start.stderr);
      rig.refresh();
      assert.notEqual(rig.pid, firstPid);
      await waitUntil(() => new RegExp(`daemon: error -> recovered: running \\(pid ${rig.pid}, port ${rig.port}\\)`).test(w.output()), 15000, 'watch to see the daemon back');
      await waitUntil(() => daemonStatus()?.ok === 1, 5000, 'the textfile to say the daemon is back');
      // The crash report is written after the new daemon serves (with the doctor's facts, issue 24): wait for the run
      // that sees it, which may come after the one that saw the daemon back.
      await waitUntil(() => /crashes: ok -> info: /.test(w.output()), 15000, 'watch to see the crash report');
      w.child.kill('SIGTERM');
      const { code } = await exitOf(w.child);
      assert.equal(code, 0);
      const lines = w.output().trimEnd().split('\n');
      for (const l of lines) assert.match(l, new RegExp(`^${TS} `), `every line has a timestamp: ${l}`);
      const text = lines.map((l) => l.replace(new RegExp(`^${TS} `), ''));
      assert.match(text[0], /^opta doctor --watch: checking every 1s; printing only what changes/);
      // Only changes: the initial verdict, then for each change a line and the new verdict: the daemon going, maybe
      // a passing state while `opta daemon start` is half-way (a daemon answering before state.json is written),
      // coming back. The quiet runs in between print nothing.
      assert.equal(text[1], 'All checks passed.');
      assert.equal(text.at(-1), 'stopped (SIGTERM)');
      // The restart after the kill -9 keeps a crash report (issue 24): the extra check "crashes" says so once, in the
      // run that saw the daemon back (no verdict line of its own) or in a later one (then with its verdict, unchanged).
      const body = text.slice(2, -1);
      const crashAt = body.findIndex((l) => l.startsWith('crashes: '));
      assert.equal(body.filter((l) => l.startsWith('crashes: ')).length, 1, text.join('\n'));
      assert.match(body[crashAt], /^crashes: ok -> info: the daemon crashed 1 time\(s\) in the last 24 hours; last cause: no last words/);
      const ownRun = /^(All checks passed\.|\d+ problems? )/.test(body[crashAt - 1] ?? '');
      if (ownRun) assert.equal(body[crashAt + 1], 'All checks passed.', text.join('\n'));
      const changes = body.filter((_, i) => i !== crashAt && !(ownRun && i === crashAt + 1));
      assert.equal(changes.length % 2, 0, text.join('\n'));
      for (let i = 0; i < changes.length; i += 2) {
        assert.match(changes[i], /^daemon: (ok|error) -> (error|recovered): /, text.join('\n'));
        assert.match(changes[i + 1], /^(All checks passed\.|1 problem \(1 error\))/, text.join('\n'));
      }
      assert.match(changes[0], /^daemon: ok -> error: stale: .*; next: opta daemon start$/);
      assert.match(changes[1], /^1 problem \(1 error\); opta doctor --fix can repair it: daemon-stale-state\.$/);
      assert.match(changes.at(-2)!, /^daemon: error -> recovered: /);
      assert.equal(changes.at(-1), 'All checks passed.');
      assert.deepEqual(fs.readdirSync(dir), ['opta.prom'], 'no temp file left behind');
    } finally {
      if (alive(w.child.pid!)) w.child.kill('SIGKILL');
    }
  });

  test('SIGINT in the middle of a run (LMX hanging) ends it at once with exit 0', async () => {
    await rig.sim.setConfig({ mode: 'hang' });
    const w = spawnOpta(rig.h, ['doctor', '--watch', '--timeout', '5000']);
    rig.h.pids.add(w.child.pid!);
    try {
      // The header is printed just before the first run starts; LMX then holds that run for seconds.
      await waitUntil(() => w.output().includes('opta doctor --watch: checking every 30s'), 10000, 'the header');
      const sent = Date.now();
      w.child.kill('SIGINT');
      const { code } = await exitOf(w.child);
      const took = Date.now() - sent;
      assert.equal(code, 0);
      assert.ok(took < 1500, `exited ${took} ms after SIGINT`);
      assert.match(w.output(), /stopped \(SIGINT\)\n$/);
      assert.doesNotMatch(w.output(), /All checks passed|problem/, 'the abandoned run printed nothing');
    } finally {
      if (alive(w.child.pid!)) w.child.kill('SIGKILL');
      await rig.sim.setConfig({ mode: 'ok' });
    }
  });

  test('no socket, timer or signal handler outlives the watch, across runs that time out and runs that pass', async () => {
    const paths = optaPaths(rig.h.optaHome);
    const count = (list: string[]) => list.filter((r) => r === 'Timeout' || r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
    const baseline = count(process.getActiveResourcesInfo());
    const listeners = process.listenerCount('SIGUSR2');
    let runs = 0;
    const lines: string[] = [];
    const reports: DoctorReport[] = [];
    const done = watchDoctor({
      run: async () => {
        runs++;
        // Alternate a hanging LMX (its probe times out and must let go of its socket) with a healthy one.
        await rig.sim.setConfig({ mode: runs % 2 ? 'hang' : 'ok' });
        const report = await runDoctor({ paths, env: rig.h.env, deadlineMs: 400 });
        reports.push(report);
        if (runs === 8) process.kill(process.pid, 'SIGUSR2');
        return report;
      },
      destinations: [{ format: 'text' }],
      ctx: { hostname: 'test' },
      intervalMs: 10,
      print: (l) => lines.push(l),
      signals: ['SIGUSR2'],
    });
    assert.equal(process.listenerCount('SIGUSR2'), listeners + 1);
    assert.equal(await done, 0);
    await rig.sim.setConfig({ mode: 'ok' });
    assert.ok(runs >= 8);
    assert.ok(reports.some((r) => r.findings.some((f) => f.id === 'lmx-timeout')), 'some runs timed out on LMX');
    assert.equal(process.listenerCount('SIGUSR2'), listeners, 'signal handlers removed');
    // Each change was printed once per flip: LMX went bad and recovered run after run.
    assert.ok(lines.filter((l) => / LMX: ok -> error: /.test(l)).length >= 3, lines.join('\n'));
    await waitUntil(() => count(process.getActiveResourcesInfo()) <= baseline, 3000, `sockets and timers back to ${baseline}: ${process.getActiveResourcesInfo().join(', ')}`);
  });

  test('read-only: after several runs, every file in the opta home is as it was (the daemon log aside)', async () => {
    const snapshot = () => {
      const out: string[] = [];
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (p === rig.h.paths.logFile) continue;
          const st = fs.statSync(p);
          out.push(`${path.relative(rig.h.optaHome, p)} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`);
          if (e.isDirectory()) walk(p);
        }
      };
      walk(rig.h.optaHome);
      return out.sort();
    };
    const before = snapshot();
    const w = spawnOpta(rig.h, ['doctor', '--watch', '--interval', '1s']);
    rig.h.pids.add(w.child.pid!);
    try {
      await waitUntil(() => w.output().includes('All checks passed.'), 10000, 'the first run');
      // A change in between makes the next runs print, which is how we know they happened.
      fs.chmodSync(rig.h.paths.stateFile, 0o644);
      await waitUntil(() => w.output().includes('permissions: ok -> warning'), 10000, 'a second run');
      fs.chmodSync(rig.h.paths.stateFile, 0o600);
      await waitUntil(() => w.output().includes('permissions: warning -> recovered'), 10000, 'a third run');
      w.child.kill('SIGTERM');
      assert.equal((await exitOf(w.child)).code, 0);
    } finally {
      if (alive(w.child.pid!)) w.child.kill('SIGKILL');
    }
    assert.deepEqual(snapshot().filter((l) => !l.startsWith('daemon/state.json ')), before.filter((l) => !l.startsWith('daemon/state.json ')));
  });
});
