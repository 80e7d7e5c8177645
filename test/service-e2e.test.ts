// End to end under a real systemd user manager (private mount namespace, private /run): install, start through it,
// kill -9 and see it restarted, opta daemon stop and see it stay stopped (issue 25). Needs root; skips saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { alive, daemonConfig, daemonPidsOfHome, freePortBlock, makeHome, OPTA_BIN, readJson, runCommand, waitUntil, type TestHome } from './helpers/env.js';

const SYSTEMD = '/lib/systemd/systemd';

function whyNot(): string | undefined {
  if (process.platform !== 'linux') return 'systemd runs on Linux only';
  if (process.getuid?.() !== 0) return 'needs root (CAP_SYS_ADMIN for unshare -m and a tmpfs on /run); run the suite as root, as .ci/run does';
  for (const tool of ['unshare', 'nsenter', 'systemctl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  if (!fs.existsSync(SYSTEMD)) return `${SYSTEMD} is missing (install the systemd package)`;
  return undefined;
}

interface Manager {
  pid: number;
  /** Runs argv inside the manager's namespace with this env (XDG_RUNTIME_DIR added). */
  run(argv: string[], timeoutMs?: number): ReturnType<typeof runCommand>;
  prop(name: string): Promise<string>;
  stop(): Promise<void>;
}

async function startManager(h: TestHome): Promise<Manager> {
  const script = path.join(h.home, 'manager.sh');
  fs.writeFileSync(
    script,
    [
      '#!/bin/sh',
      // A private /run, with the marker sd_booted() checks, so `systemd --user` runs although PID 1 is not systemd.
      'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system /run/user/0 && chmod 700 /run/user/0 || exit 1',
      `export HOME='${h.home}' XDG_RUNTIME_DIR=/run/user/0 XDG_CONFIG_HOME='${h.home}/.config'`,
      `exec ${SYSTEMD} --user`,
    ].join('\n') + '\n',
    { mode: 0o755 },
  );
  const child = spawn('unshare', ['-m', '--propagation', 'private', script], { detached: true, stdio: 'ignore' });
  const pid = child.pid!;
  child.unref();
  h.pids.add(pid);
  const env = { ...h.env, XDG_RUNTIME_DIR: '/run/user/0' };
  const run = (argv: string[], timeoutMs = 60000) => runCommand('nsenter', ['-t', String(pid), '-m', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], { timeoutMs });
  const prop = async (name: string) => (await run(['systemctl', '--user', 'show', '-p', name, '--value', 'opta-daemon.service'], 10000)).stdout.trim();
  await waitUntil(async () => (await run(['systemctl', '--user', 'is-system-running'], 5000)).stdout.trim() === 'running', 20000, 'the systemd user manager to run');
  return {
    pid,
    run,
    prop,
    async stop() {
      await run(['systemctl', '--user', 'exit'], 10000).catch(() => undefined);
      await waitUntil(() => !alive(pid), 10000, `the user manager (pid ${pid}) to exit`).catch(() => {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      });
    },
  };
}

test('systemd end to end: install --now, restarted after kill -9, opta daemon stop stays stopped, start goes through systemd', { timeout: 120000 }, async (t) => {
  const reason = whyNot();
  if (reason) {
    console.log(`# skipped: ${reason}`);
    t.skip(reason);
    return;
  }
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port, 2) });
  let m: Manager | undefined;
  try {
    m = await startManager(h);
    const opta = (args: string[]) => m!.run([process.execPath, OPTA_BIN, ...args]);
    const inst = await opta(['daemon', 'install', '--now']);
    assert.equal(inst.code, 0, inst.stdout + inst.stderr);
    assert.match(inst.stdout, /Daemon running under the service \(pid \d+, port \d+\)/);
    assert.equal(await m.prop('ActiveState'), 'active');
    const p1 = readJson<{ pid: number }>(h.paths.stateFile).pid;
    assert.ok(alive(p1));
    const status = await opta(['daemon', 'status']);
    assert.match(status.stdout, /^Supervisor: systemd \(opta-daemon\.service\), running, 0 restarts/m);

    // kill -9: `daemon run` exits non-zero, Restart=on-failure brings a new daemon after RestartSec.
    process.kill(p1, 'SIGKILL');
    await waitUntil(() => {
      try {
        const s = readJson<{ pid?: number; stoppedAt?: string }>(h.paths.stateFile);
        return typeof s.pid === 'number' && s.pid !== p1 && !s.stoppedAt && alive(s.pid);
      } catch {
        return false;
      }
    }, 20000, 'systemd to restart the daemon after kill -9');
    assert.equal(await m.prop('NRestarts'), '1');
    const p2 = readJson<{ pid: number }>(h.paths.stateFile).pid;

    // opta daemon stop goes through systemd, so Restart= does not undo it.
    const stop = await opta(['daemon', 'stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /Daemon stopped \(pid \d+\)\./);
    assert.match(stop.stdout, /stopped through systemd \(opta-daemon\.service\); it stays stopped/);
    assert.equal(alive(p2), false);
    // Past twice RestartSec (2 s), nothing came back: the wait is the assertion, bounded.
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      assert.deepEqual(daemonPidsOfHome(h.optaHome), [], 'a daemon came back after opta daemon stop');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(await m.prop('ActiveState'), 'inactive');

    // The crash guardian (a command that needs the daemon) asks systemd to start it, never spawns one beside it.
    const list = await opta(['sessions', 'list']);
    assert.equal(list.code, 0, list.stderr);
    const underUnit = async () => {
      const pid = readJson<{ pid: number }>(h.paths.stateFile).pid;
      const main = Number(await m!.prop('MainPID'));
      const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      assert.equal(ppid, main, 'the daemon runs under the unit');
      return pid;
    };
    const p3 = await underUnit();
    assert.equal(await m.prop('ActiveState'), 'active');

    // restart and start go through systemd too.
    const restart = await opta(['daemon', 'restart']);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, /started through systemd/);
    assert.equal(alive(p3), false);
    const p4r = await underUnit();

    // The guide's Reset Everything (stop, remove state.json and daemon.log, start) goes through systemd as well.
    const reset = await opta(['daemon', 'reset']);
    assert.equal(reset.code, 0, reset.stdout + reset.stderr);
    assert.match(reset.stdout, /Daemon reset: running again \(pid \d+/);
    assert.equal(alive(p4r), false);
    const p4 = await underUnit();
    const doc = await opta(['doctor', '--json']);
    assert.deepEqual(JSON.parse(doc.stdout).findings.filter((f: { id: string }) => f.id.startsWith('service-')), []);

    const un = await opta(['daemon', 'uninstall']);
    assert.equal(un.code, 0, un.stderr);
    await waitUntil(() => !alive(p4), 10000, 'uninstall to stop the daemon');
  } finally {
    await m?.stop();
    await h.cleanup();
  }
});
