// `opta daemon start` interrupted (Ctrl-C, TERM, HUP) at 20 moments each: the daemon serves, or no state, lock or reserve is left behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { alive, daemonConfig, daemonPidsOfHome, freePortBlock, killAndWait, makeHome, OPTA_BIN, runOpta, waitUntil } from './helpers/env.js';
import { childEnd } from './helpers/wait.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const TIMINGS = 20;

test('opta daemon start killed at 20 moments with each of SIGINT, SIGTERM, SIGHUP: the daemon serves, or nothing is left behind', { timeout: 600_000 }, async (t) => {
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port, 2) });
  t.after(() => h.cleanup());
  const { stateFile, lockFile, daemonDir } = h.paths;
  const reserve = `${daemonDir}/space.reserve`;
  const outcomes: string[] = [];
  for (const signal of SIGNALS) {
    for (let i = 0; i < TIMINGS; i++) {
      const at = i * 25; // 0 .. 475 ms: before the spawn, while the daemon starts, around its ready
      // Its own process group, as a shell gives a foreground command: the signal goes to the group, as Ctrl-C or a
      // closed terminal would send it.
      const starter = spawn(process.execPath, [OPTA_BIN, 'daemon', 'start'], { env: h.env, stdio: 'ignore', detached: true });
      const ended = childEnd(starter, 30_000, 'opta daemon start to end');
      await new Promise((r) => setTimeout(r, at));
      try {
        process.kill(-starter.pid!, signal);
      } catch {
        // it had already finished
      }
      await ended;
      // Settled: a daemon that answers `opta daemon status`, or no daemon process of this home and nothing of one left.
      let serves = false;
      await waitUntil(
        async () => {
          const pids = daemonPidsOfHome(h.optaHome);
          if (pids.length && fs.existsSync(stateFile)) {
            const s = await runOpta(h, ['daemon', 'status']);
            serves = s.code === 0 && /running/.test(s.stdout);
            return serves;
          }
          return pids.length === 0;
        },
        20_000,
        () => `${signal} at ${at} ms: a serving daemon, or no daemon process`,
      );
      // Whatever the outcome, the starter that held daemon.lock has ended: it released the lock, or its signal did.
      assert.equal(fs.existsSync(lockFile), false, `${signal} at ${at} ms: daemon.lock was left behind (${serves ? 'the daemon serves' : 'no daemon'})`);
      if (serves) {
        // Still serving a moment later: the EPIPE of a starter that went away came and did not crash it.
        const again = await runOpta(h, ['daemon', 'status']);
        assert.equal(again.code, 0, `${signal} at ${at} ms: the daemon served, then stopped serving\n${again.stdout}${again.stderr}\n${fs.readFileSync(h.paths.logFile, 'utf8').slice(-2000)}`);
        assert.doesNotMatch(fs.readFileSync(h.paths.logFile, 'utf8'), /EPIPE/, `${signal} at ${at} ms`);
        const stop = await runOpta(h, ['daemon', 'stop']);
        assert.equal(stop.code, 0, stop.stderr);
      } else {
        // A stopped record (a clean stop's state.json, issue 27) is "not running", not a daemon's leftover.
        const stoppedRecord = (f: string) => f === stateFile && /"status"\s*:\s*"stopped"/.test(fs.readFileSync(f, 'utf8'));
        const left = [stateFile, lockFile, reserve].filter((f) => fs.existsSync(f) && !stoppedRecord(f));
        assert.deepEqual(left, [], `${signal} at ${at} ms: no daemon runs, yet ${left.join(', ')} was left behind`);
      }
      for (const pid of daemonPidsOfHome(h.optaHome)) if (alive(pid)) await killAndWait(pid);
      outcomes.push(`${signal}@${at}:${serves ? 'serves' : 'none'}`);
    }
  }
  t.diagnostic(outcomes.join(' '));
});
