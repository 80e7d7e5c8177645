// Fix safety promises that a plan alone cannot keep: --dry-run in a home without daemon/, guards re-checked when a step runs, other homes' daemons left alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { actionById } from '../src/actions/registry.js';
import { optaPaths } from '../src/core/paths.js';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { alive, daemonConfig, freePortBlock, hashTree, makeHome, readJson, runOpta, treeChanges } from './helpers/env.js';

describe('fix safety', () => {
  let rig: DaemonRig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => rig?.cleanup());

  test('--dry-run in a home without daemon/: no directory made, no lock file, not one byte changed (text and --json)', async (t) => {
    const h = makeHome({ config: { lmx: { host: '127.0.0.1', port: rig.sim.port, timeoutMs: 1000 }, ...daemonConfig(await freePortBlock(3)) } });
    t.after(() => h.cleanup());
    assert.ok(!fs.existsSync(h.paths.daemonDir));
    const home = hashTree(h.home);
    const plain = await runOpta(h, ['doctor', '--fix', '--dry-run']);
    assert.equal(plain.code, 1, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /^Dry run: nothing was changed\.$/m);
    assert.match(plain.stdout, /~\/\.config\/opta\/daemon: created \(0700\)/, 'the plan names the directory it would make');
    const json = await runOpta(h, ['doctor', '--fix', '--dry-run', '--yes', '--json']);
    assert.equal(JSON.parse(json.stdout).mode, 'dry-run');
    assert.deepEqual(treeChanges(home, hashTree(h.home)), [], 'nothing under HOME changed');
    assert.ok(!fs.existsSync(h.paths.daemonDir), 'daemon/ was not made (the fix lock lives there)');
  });

  test('a step\'s guard holds when it runs: state.json of a daemon that became unresponsive after the plan is never set aside', async (t) => {
    // The plan saw a stale state; by the time the step runs, the daemon it names lives again but does not answer.
    const step = actionById('state.set-aside')!;
    const paths = optaPaths(rig.h.optaHome);
    const before = fs.readFileSync(rig.h.paths.stateFile);
    process.kill(rig.pid, 'SIGSTOP');
    t.after(() => process.kill(rig.pid, 'SIGCONT'));
    await assert.rejects(step.run({ paths, env: rig.h.env, args: { file: 'stateFile', label: 'stale' } }), /refusing to move .*state\.json aside: the daemon it names runs \(pid \d+\)/);
    assert.deepEqual(fs.readFileSync(rig.h.paths.stateFile), before, 'state.json is where it was, byte for byte');
    assert.deepEqual(fs.readdirSync(rig.h.paths.daemonDir).filter((f) => f.includes('.stale-')), []);
    process.kill(rig.pid, 'SIGCONT');
    await assert.rejects(step.run({ paths, env: rig.h.env, args: { file: 'stateFile', label: 'stale' } }), /refusing to move/, 'nor while it runs and answers');
  });

  test('--fix never signals another home\'s Opta daemon holding this home\'s daemon port (stop step and whole run)', async (t) => {
    // Home A's preferred daemon port is the one the rig's daemon (home B) listens on.
    const a = makeHome({ config: { lmx: { host: '127.0.0.1', port: rig.sim.port, timeoutMs: 1000 }, ...daemonConfig(rig.port, 2) } });
    t.after(() => a.cleanup());
    const other = rig.pid;
    const stop = actionById('process.terminate')!;
    const paths = optaPaths(a.optaHome);
    const planned = await stop.plan({ paths, env: a.env, args: {} });
    assert.deepEqual(planned.pids, [], 'no pid is planned for a signal');
    assert.ok(planned.leftAlone.some((x) => x.pid === other && /is not this home's Opta daemon/.test(x.reason)), JSON.stringify(planned.leftAlone));
    const ran = await stop.run({ paths, env: a.env, args: {} });
    assert.equal(ran.outcome, 'skipped');
    const fix = await runOpta(a, ['doctor', '--fix', '--yes']);
    assert.ok(alive(other), `home B's daemon lives on:\n${fix.stdout}`);
    assert.equal(readJson<{ pid: number }>(rig.h.paths.stateFile).pid, other);
    const ok = await rig.api('GET', '/v3/health');
    assert.equal(ok.status, 200);
    assert.equal(fix.code, 1, 'the held port needs a person');
    assert.match(fix.stdout, /^ {2}needs a person {6}daemon-port-held: /m, fix.stdout);
  });
});
