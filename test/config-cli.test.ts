// opta config set/unset and a running daemon: the daemon reads config.json once, at start, so a change says to restart it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRig } from './helpers/daemon.js';
import fs from 'node:fs';
import { alive, runOpta, waitUntil } from './helpers/env.js';

const NOTE = /^The running daemon \(pid (\d+)\) read the config when it started; restart it to use the change: opta daemon restart$/m;

test('config set/unset: the restart note for every key while this home\'s daemon runs (it read them at start), none when no daemon runs', async (t) => {
  const rig = await startRig();
  t.after(() => rig.cleanup());
  const { h } = rig;

  // lmx.* is read at start too: the daemon keeps using the old LMX until restarted, so the note is not only for daemon.*.
  for (const [key, value] of [['lmx.port', String(rig.sim.port + 1)], ['daemon.portRange', `${rig.port + 1}-${rig.port + 2}`], ['permissions.timeoutMs', '2000']]) {
    const r = await runOpta(h, ['config', 'set', key, value]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(NOTE.exec(r.stdout)?.[1], String(rig.pid), `config set ${key} while the daemon runs:\n${r.stdout}`);
  }
  const unset = await runOpta(h, ['config', 'unset', 'lmx.port']);
  assert.equal(NOTE.exec(unset.stdout)?.[1], String(rig.pid), unset.stdout);
  const notSet = await runOpta(h, ['config', 'unset', 'lmx.apiKey']);
  assert.deepEqual(notSet.stdout, 'lmx.apiKey was not set\n', 'nothing changed: no note');

  // With no daemon running, the next start reads the change: nothing to say, whether the daemon was killed (its
  // state.json still names the dead pid) or stopped (no state.json).
  process.kill(rig.pid, 'SIGKILL');
  await waitUntil(() => !alive(rig.pid), 5000, 'the killed daemon to be gone');
  const stale = await runOpta(h, ['config', 'set', 'daemon.port', String(rig.port)]);
  assert.equal(stale.code, 0, stale.stderr);
  assert.equal(stale.stdout, `daemon.port = ${rig.port}\n`, 'a stale state.json: nothing to restart');
  fs.rmSync(h.paths.stateFile);
  const none = await runOpta(h, ['config', 'set', 'lmx.port', String(rig.sim.port)]);
  assert.equal(none.stdout, `lmx.port = ${rig.sim.port}\n`, 'no daemon state at all: nothing to restart');
});
