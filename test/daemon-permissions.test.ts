// Tool calls behind permission requests: allow, deny, the 1 s auto-deny line, and a tool worker that runs out of heap.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { bigTextFile, ROOT, runOpta, waitUntil } from './helpers/env.js';

const TIME = String.raw`^\[\d\d:\d\d:\d\d\] `;

describe('permissions and tools', () => {
  let rig: DaemonRig;
  let dir: string;
  before(async () => {
    rig = await startRig({
      sim: { toolCalls: [{ name: 'list_dir', arguments: { path: '.' } }] },
      // A read cap far above the heap, so the big file really is loaded: the OOM case is the heap limit's.
      config: { permissions: { timeoutMs: 1000 }, tools: { memoryLimitMb: 16, maxReadBytes: 64 * 1024 * 1024 } },
    });
    dir = path.join(rig.h.home, 'work');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'alpha\nbeta\n');
    fs.mkdirSync(path.join(dir, 'sub'));
    await rig.sim.setConfig({ toolCalls: [{ name: 'list_dir', arguments: { path: dir } }] });
  });
  after(async () => rig?.cleanup());

  test('allow over HTTP: permission.request, permission.resolved, the tool runs, its result goes back to the model, turn.done', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'allow', workspace: rig.h.home });
    const ws = await rig.ws('allow', 0);
    const r = await rig.api('POST', '/v3/sessions/allow/turns', { content: 'list it' });
    const req = await ws.turnEvent(r.body.turnId, 'permission.request');
    assert.equal(req.payload.requestId, 'perm_001');
    assert.equal(req.payload.tool, 'list_dir');
    assert.deepEqual(req.payload.args, { path: dir });
    const pending = (await rig.api('GET', '/v3/permissions?state=pending')).body.permissions;
    assert.equal(pending.length, 1);
    assert.deepEqual(Object.keys(pending[0]).sort(), ['ageMs', 'args', 'clientConnected', 'createdAt', 'requestId', 'sessionId', 'tool', 'turnId']);
    assert.deepEqual(
      { ...pending[0], ageMs: 0, createdAt: '' },
      { requestId: 'perm_001', sessionId: 'allow', turnId: r.body.turnId, tool: 'list_dir', args: { path: dir }, createdAt: '', ageMs: 0, clientConnected: true },
    );
    assert.equal((await rig.api('GET', '/v3/health')).body.counts.pendingPermissions, 1);
    const ok = await rig.api('POST', '/v3/sessions/allow/permissions/perm_001', { decision: 'allow' });
    assert.equal(ok.status, 200);
    const end = await ws.turnEvent(r.body.turnId, 'tool.end');
    assert.equal(end.payload.ok, true);
    assert.equal(end.payload.output, 'a.txt\nsub/');
    await ws.turnEvent(r.body.turnId, 'turn.done');
    const names = ws.events.map((e) => e.event);
    assert.deepEqual(names.slice(0, 6), ['turn.queued', 'turn.start', 'tool.start', 'permission.request', 'permission.resolved', 'tool.end']);
    assert.equal(ws.events[4].payload.decision, 'allow');
    assert.equal(ws.events[4].payload.by, 'client');
    assert.equal((await rig.api('POST', '/v3/sessions/allow/permissions/perm_001', { decision: 'deny' })).status, 404, 'settled once');
    await ws.close();
  });

  test('deny over the WebSocket: the tool does not run and the turn still finishes', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'deny', workspace: rig.h.home });
    const ws = await rig.ws('deny', 0);
    const r = await rig.api('POST', '/v3/sessions/deny/turns', { content: 'list it' });
    const req = await ws.turnEvent(r.body.turnId, 'permission.request');
    ws.send({ type: 'permission.resolve', requestId: req.payload.requestId, decision: 'deny' });
    const end = await ws.turnEvent(r.body.turnId, 'tool.end');
    assert.equal(end.payload.ok, false);
    assert.equal(end.payload.denied, true);
    await ws.turnEvent(r.body.turnId, 'turn.done');
    await ws.close();
  });

  test('a client that disconnects leaves the request pending (clientConnected false); after 1 s it is auto-denied with the guide\'s WARN line', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'hang', workspace: rig.h.home });
    const ws = await rig.ws('hang', 0);
    const r = await rig.api('POST', '/v3/sessions/hang/turns', { content: 'list it' });
    const req = await ws.turnEvent(r.body.turnId, 'permission.request');
    await ws.close();
    await waitUntil(async () => (await rig.api('GET', '/v3/health')).body.counts.wsClients === 0, 5000, 'the client to be gone');
    const pending = (await rig.api('GET', '/v3/permissions?state=pending')).body.permissions.filter((p: { sessionId: string }) => p.sessionId === 'hang');
    assert.equal(pending.length, 1);
    assert.equal(pending[0].clientConnected, false);
    const id = req.payload.requestId as string;
    const line = new RegExp(`${TIME}WARN  permission request ${id} timed out \\(1s\\), auto-denying$`, 'm');
    await waitUntil(() => line.test(rig.log()), 10000, 'the timeout line');
    const back = await rig.ws('hang', req.seq);
    const done = await back.turnEvent(r.body.turnId, 'turn.done');
    const resolved = back.events.find((e) => e.event === 'permission.resolved')!;
    assert.deepEqual([resolved.payload.decision, resolved.payload.by], ['deny', 'timeout']);
    assert.equal(back.events.find((e) => e.event === 'tool.end')!.payload.denied, true);
    assert.equal(done.payload.text, 'Hello from LMX.');
    await back.close();
  });

  test('read_file on a file bigger than the worker heap: the guide\'s OOM line, a tool error, the daemon keeps serving, the next turn works', async () => {
    const big = bigTextFile(path.join(rig.h.home, 'big.txt'));
    await rig.sim.setConfig({ toolCalls: [{ name: 'read_file', arguments: { path: big } }] });
    await rig.api('POST', '/v3/sessions', { id: 'oom', workspace: rig.h.home });
    const ws = await rig.ws('oom', 0);
    try {
      const r = await rig.api('POST', '/v3/sessions/oom/turns', { content: 'read it' });
      const req = await ws.turnEvent(r.body.turnId, 'permission.request');
      ws.send({ type: 'permission.resolve', requestId: req.payload.requestId, decision: 'allow' });
      const end = await ws.turnEvent(r.body.turnId, 'tool.end', 20000);
      assert.equal(end.payload.ok, false);
      assert.equal(end.payload.error, 'tool worker crashed: heap out of memory');
      await ws.turnEvent(r.body.turnId, 'turn.done');
      assert.match(rig.log(), new RegExp(`${TIME}ERROR tool worker crashed: heap out of memory$`, 'm'));
      assert.equal((await rig.api('GET', '/v3/health')).status, 200);
    } finally {
      await rig.sim.setConfig({ toolCalls: [{ name: 'read_file', arguments: { path: path.join(dir, 'a.txt') } }] });
    }
    const r2 = await rig.api('POST', '/v3/sessions/oom/turns', { content: 'a small one now' });
    const req2 = await ws.turnEvent(r2.body.turnId, 'permission.request');
    ws.send({ type: 'permission.resolve', requestId: req2.payload.requestId, decision: 'allow' });
    const end2 = await ws.turnEvent(r2.body.turnId, 'tool.end');
    assert.equal(end2.payload.ok, true);
    assert.match(end2.payload.output, /1 {2}alpha\n\s+2 {2}beta/);
    await ws.turnEvent(r2.body.turnId, 'turn.done');
    await ws.close();
  });
});

describe('clock jumps', () => {
  let rig: DaemonRig;
  let clock: string;
  before(async () => {
    rig = await startRig({ start: false, sim: { toolCalls: [{ name: 'list_dir', arguments: { path: '.' } }] }, config: { permissions: { timeoutMs: 120000 } } });
    clock = path.join(rig.h.home, 'clock-shift');
    fs.writeFileSync(clock, '0');
    // The daemon inherits the starter's environment: its Date.now() then follows the shift in the file.
    const env = { NODE_OPTIONS: `--import=${path.join(ROOT, 'dist', 'fixtures', 'clock', 'shift.js')}`, OPTA_TEST_CLOCK_FILE: clock };
    const r = await runOpta(rig.h, ['daemon', 'start'], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
  });
  after(async () => rig?.cleanup());

  test('a wall-clock jump (an NTP step, a resumed VM) changes no age: a request made a moment ago is not "stuck", uptime is not an hour', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'clock', workspace: rig.h.home });
    const r = await rig.api('POST', '/v3/sessions/clock/turns', { content: 'list it' });
    assert.equal(r.status, 202);
    await waitUntil(async () => (await rig.api('GET', '/v3/permissions')).body.permissions.length === 1, 10000, 'the permission request');
    for (const jump of [3600_000, -3600_000]) {
      fs.writeFileSync(clock, String(jump));
      const [p] = (await rig.api('GET', '/v3/permissions')).body.permissions as Array<{ ageMs: number; clientConnected: boolean }>;
      assert.ok(p.ageMs >= 0 && p.ageMs < 20000, `jump ${jump}: ageMs ${p.ageMs}`);
      assert.equal(p.clientConnected, false);
      const health = (await rig.api('GET', '/v3/health')).body;
      assert.ok(health.uptimeMs >= 0 && health.uptimeMs < 120000, `jump ${jump}: uptimeMs ${health.uptimeMs}`);
      // The doctor's "pending for more than 30 s with no client" (which --fix --yes answers by cancelling the turn).
      const doc = await runOpta(rig.h, ['doctor', '--only', 'permissions-request-stuck', '--json']);
      const ids = (JSON.parse(doc.stdout) as { findings: Array<{ id: string }> }).findings.map((f) => f.id);
      assert.ok(!ids.includes('permissions-request-stuck'), `jump ${jump}: ${ids.join(', ')}`);
    }
    assert.equal((await rig.api('POST', '/v3/sessions/clock/cancel')).status, 200);
  });
});
