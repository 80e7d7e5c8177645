// Tools are confined to the session's workspace root (never the opta home), read regular files only, and are bounded in bytes and time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startRig, type DaemonRig, type WsRecorder } from './helpers/daemon.js';
import { runOpta, waitUntil } from './helpers/env.js';
import { ConfigSchema } from '../src/core/config.js';

/** Runs one tool call through a real turn (allowed by the client) and returns its tool.end payload and how long it took. */
async function callTool(rig: DaemonRig, ws: WsRecorder, session: string, tool: string, args: Record<string, unknown>): Promise<{ end: Record<string, any>; ms: number }> {
  await rig.sim.setConfig({ toolCalls: [{ name: tool, arguments: args }] });
  const t0 = Date.now();
  const r = await rig.api('POST', `/v3/sessions/${session}/turns`, { content: `${tool} ${JSON.stringify(args)}` });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const req = await ws.turnEvent(r.body.turnId, 'permission.request');
  ws.send({ type: 'permission.resolve', requestId: req.payload.requestId, decision: 'allow' });
  const end = await ws.turnEvent(r.body.turnId, 'tool.end', 20000);
  const ms = Date.now() - t0;
  const last = await ws.turnEnd(r.body.turnId, 20000);
  assert.equal(last.event, 'turn.done', `the turn goes on after the tool: ${JSON.stringify(last.payload)}`);
  return { end: end.payload, ms };
}

function threads(pid: number): number {
  return Number(/^Threads:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

describe('tool confinement and bounds', () => {
  let rig: DaemonRig;
  let ws: WsRecorder;
  let root: string;
  let outside: string;
  before(async () => {
    rig = await startRig({ config: { permissions: { timeoutMs: 30000 }, tools: { maxReadBytes: 2000 } } });
    root = path.join(rig.h.home, 'work');
    outside = path.join(rig.h.home, 'outside.txt');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'a.txt'), 'alpha\nbeta\n');
    fs.writeFileSync(path.join(root, 'sub', 'b.txt'), 'bravo\n');
    fs.writeFileSync(outside, 'not yours\n');
    const line = 'z'.repeat(99) + '\n';
    fs.writeFileSync(path.join(root, 'ten-mb.txt'), line.repeat((10 * 1024 * 1024) / 100));
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    fs.symlinkSync(outside, path.join(root, 'escape'));
    fs.symlinkSync(rig.h.paths.stateFile, path.join(root, 'state-link'));
    fs.symlinkSync(path.join(root, 'a.txt'), path.join(root, 'inner-link'));
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'tools', workspace: root })).status, 201);
    ws = await rig.ws('tools', 0);
  });
  after(async () => {
    await ws?.close();
    await rig?.cleanup();
  });

  test('the workspace is a session field: absolute, an existing directory, never the opta home or inside it', async () => {
    const s = (await rig.api('GET', '/v3/sessions/tools')).body.session;
    assert.equal(s.workspace, fs.realpathSync(root));
    const cases: Array<[unknown, RegExp]> = [
      ['relative/dir', /workspace: must be an absolute path/],
      [path.join(rig.h.home, 'missing'), /workspace: .*does not exist/],
      [path.join(root, 'a.txt'), /workspace: .*not a directory/],
      [rig.h.optaHome, /workspace: .*opta home/],
      [rig.h.paths.sessionsDir, /workspace: .*opta home/],
      [7, /workspace: /],
    ];
    for (const [workspace, message] of cases) {
      const r = await rig.api('POST', '/v3/sessions', { id: 'bad-ws', workspace });
      assert.equal(r.status, 400, `${workspace}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'BAD_REQUEST');
      assert.match(r.body.error.message, message);
    }
    assert.equal((await rig.api('GET', '/v3/sessions/bad-ws')).status, 404, 'a refused session is not created');
  });

  test('paths resolve against the workspace; what resolves outside it (after symlinks) or into the opta home is refused', async () => {
    const table: Array<[string, Record<string, unknown>, { ok: true; output: RegExp } | { ok: false; error: RegExp }]> = [
      ['read_file', { path: 'a.txt' }, { ok: true, output: /^\s+1 {2}alpha\n\s+2 {2}beta/ }],
      ['read_file', { path: path.join(root, 'sub', 'b.txt') }, { ok: true, output: /1 {2}bravo/ }],
      ['read_file', { path: 'sub/../a.txt' }, { ok: true, output: /1 {2}alpha/ }],
      ['read_file', { path: 'inner-link' }, { ok: true, output: /1 {2}alpha/ }],
      ['list_dir', { path: '.' }, { ok: true, output: /^a\.txt\nescape\ninner-link\npipe\nstate-link\nsub\/\nten-mb\.txt$/ }],
      ['list_dir', { path: 'sub' }, { ok: true, output: /^b\.txt$/ }],
      ['read_file', { path: '/etc/passwd' }, { ok: false, error: /"\/etc\/passwd" is outside the session's workspace/ }],
      ['read_file', { path: '/etc/shadow' }, { ok: false, error: /is outside the session's workspace/ }],
      ['read_file', { path: '../outside.txt' }, { ok: false, error: /is outside the session's workspace/ }],
      ['read_file', { path: 'escape' }, { ok: false, error: /"escape" is outside the session's workspace/ }],
      ['list_dir', { path: '/' }, { ok: false, error: /is outside the session's workspace/ }],
      ['list_dir', { path: '..' }, { ok: false, error: /is outside the session's workspace/ }],
      ['read_file', { path: rig.h.paths.stateFile }, { ok: false, error: /is inside the opta home/ }],
      ['read_file', { path: 'state-link' }, { ok: false, error: /is inside the opta home/ }],
      ['read_file', { path: 'nope.txt' }, { ok: false, error: /"nope\.txt" does not exist/ }],
      ['read_file', { path: 'sub' }, { ok: false, error: /is a directory/ }],
      ['read_file', { path: '' }, { ok: false, error: /argument "path" must be a non-empty string/ }],
    ];
    for (const [tool, args, want] of table) {
      const { end } = await callTool(rig, ws, 'tools', tool, args);
      const what = `${tool} ${JSON.stringify(args)} -> ${JSON.stringify(end).slice(0, 300)}`;
      assert.equal(end.ok, want.ok, what);
      if (want.ok) assert.match(end.output, want.output, what);
      else assert.match(end.error, want.error, what);
    }
  });

  test('the opta home is refused even when the workspace contains it, and the token never reaches events.jsonl', async () => {
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'wide', workspace: rig.h.home })).status, 201);
    const wide = await rig.ws('wide', 0);
    try {
      for (const p of [rig.h.paths.stateFile, path.relative(rig.h.home, rig.h.paths.stateFile), rig.h.paths.configFile, rig.h.optaHome]) {
        const tool = p === rig.h.optaHome ? 'list_dir' : 'read_file';
        const { end } = await callTool(rig, wide, 'wide', tool, { path: p });
        assert.equal(end.ok, false, p);
        assert.match(end.error, /is inside the opta home/, p);
      }
      const { end } = await callTool(rig, wide, 'wide', 'read_file', { path: 'outside.txt' });
      assert.equal(end.ok, true, 'the rest of the workspace is readable');
    } finally {
      await wide.close();
    }
    for (const id of ['tools', 'wide']) {
      assert.ok(!fs.readFileSync(path.join(rig.h.paths.sessionsDir, id, 'events.jsonl'), 'utf8').includes(rig.token), `token in ${id}/events.jsonl`);
    }
  });

  test('a FIFO and /dev/zero are refused at once (regular files only); the worker is not left blocked', async () => {
    const before = threads(rig.pid);
    const fifo = await callTool(rig, ws, 'tools', 'read_file', { path: 'pipe' });
    assert.equal(fifo.end.ok, false);
    assert.match(fifo.end.error, /"pipe" is not a regular file \(a FIFO\)/);
    assert.ok(fifo.ms < 5000, `took ${fifo.ms} ms`);
    const outsideZero = await callTool(rig, ws, 'tools', 'read_file', { path: '/dev/zero' });
    assert.match(outsideZero.end.error, /is outside the session's workspace/);
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'dev', workspace: '/dev' })).status, 201);
    const dev = await rig.ws('dev', 0);
    try {
      const zero = await callTool(rig, dev, 'dev', 'read_file', { path: 'zero' });
      assert.equal(zero.end.ok, false);
      assert.match(zero.end.error, /"zero" is not a regular file \(a character device\)/);
    } finally {
      await dev.close();
    }
    await waitUntil(() => threads(rig.pid) <= before, 5000, 'the tool workers to be gone');
  });

  test('a 10 MB file is read up to tools.maxReadBytes, and the cut is reported', async () => {
    const { end, ms } = await callTool(rig, ws, 'tools', 'read_file', { path: 'ten-mb.txt' });
    assert.equal(end.ok, true);
    assert.equal(end.truncated, true);
    const lines = (end.output as string).split('\n');
    assert.equal(lines.filter((l) => /^\s+\d+ {2}z+$/.test(l)).length, 20, 'exactly the first 2000 bytes: 20 lines');
    const size = fs.statSync(path.join(root, 'ten-mb.txt')).size;
    assert.ok(size >= 10_000_000);
    assert.equal(lines[lines.length - 1], `[truncated: read the first 2000 of ${size} bytes (tools.maxReadBytes)]`);
    assert.ok(ms < 10000, `took ${ms} ms`);
    assert.equal(ConfigSchema.parse({}).tools.maxReadBytes, 1024 * 1024, 'the default cap is 1 MiB');
  });

  test('creating an existing session again (200, created:false) keeps its workspace: a second client cannot widen what its tools read', async () => {
    const again = await rig.api('POST', '/v3/sessions', { id: 'tools', workspace: rig.h.home });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.created, false);
    assert.equal(again.body.session.workspace, fs.realpathSync(root));
    assert.equal((await rig.api('GET', '/v3/sessions/tools')).body.session.workspace, fs.realpathSync(root));
    const { end } = await callTool(rig, ws, 'tools', 'read_file', { path: outside });
    assert.equal(end.ok, false);
    assert.match(end.error, /is outside the session's workspace/);
  });

  test('a workspace later replaced by a symbolic link (to /) does not move the boundary: it stays the real path stored at creation', async () => {
    const moved = path.join(rig.h.home, 'moved');
    fs.mkdirSync(moved);
    fs.writeFileSync(path.join(moved, 'm.txt'), 'mine\n');
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'swap', workspace: moved })).status, 201);
    const swap = await rig.ws('swap', 0);
    try {
      assert.equal((await callTool(rig, swap, 'swap', 'read_file', { path: 'm.txt' })).end.ok, true);
      fs.renameSync(moved, `${moved}.old`);
      fs.symlinkSync('/', moved);
      for (const p of ['etc/hostname', '/etc/hostname', path.join(moved, 'etc', 'hostname')]) {
        const { end } = await callTool(rig, swap, 'swap', 'read_file', { path: p });
        assert.equal(end.ok, false, `${p}: ${JSON.stringify(end).slice(0, 200)}`);
        assert.match(end.error, /is outside the session's workspace/, p);
      }
    } finally {
      await swap.close();
    }
  });

  test('a session without a workspace reads nothing, and says how to give it one', async () => {
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'nows' })).status, 201);
    assert.equal((await rig.api('GET', '/v3/sessions/nows')).body.session.workspace, null);
    const nows = await rig.ws('nows', 0);
    try {
      const { end } = await callTool(rig, nows, 'nows', 'read_file', { path: path.join(root, 'a.txt') });
      assert.equal(end.ok, false);
      assert.match(end.error, /no workspace root.*"workspace"/);
    } finally {
      await nows.close();
    }
  });

  test('opta sessions create sends the directory it runs in as the workspace (or --workspace)', async () => {
    const here = await runOpta(rig.h, ['sessions', 'create', 'from-cwd'], { cwd: path.join(root, 'sub') });
    assert.equal(here.code, 0, here.stderr);
    assert.match(here.stdout, new RegExp(`Session from-cwd created \\(workspace ${fs.realpathSync(path.join(root, 'sub')).replace(/[.]/g, '\\.')}\\)`));
    assert.equal((await rig.api('GET', '/v3/sessions/from-cwd')).body.session.workspace, fs.realpathSync(path.join(root, 'sub')));
    const given = await runOpta(rig.h, ['sessions', 'create', 'given', '--workspace', root]);
    assert.equal(given.code, 0, given.stderr);
    assert.equal((await rig.api('GET', '/v3/sessions/given')).body.session.workspace, fs.realpathSync(root));
    const home = await runOpta(rig.h, ['sessions', 'create', 'inhome'], { cwd: rig.h.optaHome });
    assert.equal(home.code, 2);
    assert.match(home.stderr, /opta home/);
    assert.doesNotMatch(home.stderr, /\n\s+at /);
  });
});

describe('tool time limit', () => {
  let rig: DaemonRig;
  before(async () => {
    rig = await startRig({ config: { permissions: { timeoutMs: 30000 }, tools: { timeoutMs: 10 } } });
  });
  after(async () => rig?.cleanup());

  test('a tool call that outlives tools.timeoutMs fails, its worker is terminated, and the daemon stops without SIGKILL', async () => {
    const root = path.join(rig.h.home, 'work');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'a.txt'), 'alpha\n');
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'slow', workspace: root })).status, 201);
    const ws = await rig.ws('slow', 0);
    const before = threads(rig.pid);
    const { end } = await callTool(rig, ws, 'slow', 'read_file', { path: 'a.txt' });
    assert.equal(end.ok, false);
    assert.equal(end.error, 'the tool did not finish within 10 ms (tools.timeoutMs) and was stopped');
    assert.match(rig.log(), /ERROR tool read_file timed out after 10 ms; worker terminated/);
    await waitUntil(() => threads(rig.pid) <= before, 5000, 'the worker thread to be gone');
    await ws.close();
    const stop = await runOpta(rig.h, ['daemon', 'stop']);
    assert.equal(stop.code, 0);
    assert.match(stop.stdout, /Daemon stopped/);
  });
});
