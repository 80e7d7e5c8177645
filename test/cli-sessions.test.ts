// The CLI for sessions and permissions against a real daemon, the guardian starting one, and the guide's literal cancel curl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { startRig, type DaemonRig, WsRecorder } from './helpers/daemon.js';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { OPTA_BIN, runOpta, waitUntil } from './helpers/env.js';
import { exitCodeWithin } from './helpers/wait.js';

const GUIDE_CANCEL = "curl -X POST http://127.0.0.1:9999/v3/sessions/SESSION_ID/cancel -H 'Authorization: Bearer TOKEN'";

function sh(cmd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', cmd], { timeout: 15000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('opta sessions / opta permissions', () => {
  let rig: DaemonRig;
  let ws: WsRecorder;
  before(async () => {
    // No daemon yet: the first command must start one through the crash guardian. A long permission timeout
    // keeps requests pending for as long as these tests need them.
    rig = await startRig({ start: false, sim: { toolCalls: [{ name: 'list_dir', arguments: { path: '/' } }] }, config: { permissions: { timeoutMs: 60000 } } });
  });
  after(async () => {
    await ws?.close();
    await rig?.cleanup();
  });

  async function pendingTurn(): Promise<{ turnId: string; requestId: string }> {
    const r = await rig.api('POST', '/v3/sessions/cli/turns', { content: 'list /' });
    const req = await ws.turnEvent(r.body.turnId, 'permission.request');
    return { turnId: r.body.turnId, requestId: req.payload.requestId };
  }

  test('sessions list starts a daemon when none runs (crash guardian) and lists nothing', async () => {
    assert.equal(fs.existsSync(rig.h.paths.stateFile), false);
    const r = await runOpta(rig.h, ['sessions', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    rig.refresh();
    assert.deepEqual(JSON.parse(r.stdout), { sessions: [], total: 0, next: null });
    const text = await runOpta(rig.h, ['sessions', 'list']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /No sessions yet\./);
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'cli', workspace: '/' })).status, 201);
    ws = await rig.ws('cli', 0);
  });

  test('permissions list shows the pending request; permissions allow lets the tool run', async () => {
    const { turnId, requestId } = await pendingTurn();
    const json = await runOpta(rig.h, ['permissions', 'list', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout).permissions;
    assert.equal(list.length, 1);
    assert.equal(list[0].requestId, requestId);
    assert.equal(list[0].clientConnected, true);
    const text = await runOpta(rig.h, ['permissions', 'list']);
    assert.match(text.stdout, new RegExp(`${requestId}\\s+cli\\s+list_dir\\s+\\d+s\\s+connected`));
    const sessions = await runOpta(rig.h, ['sessions', 'list']);
    assert.match(sessions.stdout, new RegExp(`cli\\s+1\\s+${turnId}\\s+0\\s+1\\s+1`));
    const allow = await runOpta(rig.h, ['permissions', 'allow', requestId]);
    assert.equal(allow.code, 0, allow.stderr);
    assert.match(allow.stdout, new RegExp(`Allowed ${requestId} \\(session cli, tool list_dir`));
    assert.equal((await ws.turnEvent(turnId, 'tool.end')).payload.ok, true);
    await ws.turnEvent(turnId, 'turn.done');
  });

  test('permissions deny: the tool is denied and the turn finishes; unknown ids are exit 1 with the next step', async () => {
    const { turnId, requestId } = await pendingTurn();
    const deny = await runOpta(rig.h, ['permissions', 'deny', requestId]);
    assert.equal(deny.code, 0, deny.stderr);
    assert.match(deny.stdout, new RegExp(`Denied ${requestId}`));
    assert.equal((await ws.turnEvent(turnId, 'tool.end')).payload.denied, true);
    await ws.turnEvent(turnId, 'turn.done');
    const again = await runOpta(rig.h, ['permissions', 'allow', requestId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no pending permission request .*opta permissions list/);
    assert.doesNotMatch(again.stderr, /\n\s+at /, 'no stack trace');
  });

  test('the guide\'s literal cancel curl answers {"cancelled":N>=1} for a turn stuck on a permission; a new turn works after it', async () => {
    const { turnId } = await pendingTurn();
    const cmd = GUIDE_CANCEL.replace('9999', String(rig.port)).replace('SESSION_ID', 'cli').replace('TOKEN', rig.token);
    const r = await sh(cmd);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.ok(body.cancelled >= 1, r.stdout);
    const err = await ws.turnEvent(turnId, 'turn.error');
    assert.equal(err.payload.code, 'CANCELLED');
    const resolved = ws.events.find((e) => e.event === 'permission.resolved' && e.payload.turnId === turnId)!;
    assert.deepEqual([resolved.payload.decision, resolved.payload.by], ['deny', 'cancel']);
    await ws.waitFor((e) => e.event === 'session.cancelled' && e.seq > err.seq);
    assert.deepEqual((await rig.api('GET', '/v3/permissions?state=pending')).body.permissions, []);

    const next = await pendingTurn();
    await rig.api('POST', `/v3/sessions/cli/permissions/${next.requestId}`, { decision: 'allow' });
    const done = await ws.turnEvent(next.turnId, 'turn.done');
    assert.equal(done.payload.text, 'Hello from LMX.');
  });

  test('sessions cancel cancels the active and queued turns; bad and unknown ids fail clearly', async () => {
    const { turnId } = await pendingTurn();
    const queued = await rig.api('POST', '/v3/sessions/cli/turns', { content: 'queued behind it' });
    assert.equal(queued.body.position, 1);
    const r = await runOpta(rig.h, ['sessions', 'cancel', 'cli']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Cancelled 2 turn\\(s\\) in session cli: ${turnId}, ${queued.body.turnId}\\.`));
    assert.equal((await ws.turnEvent(queued.body.turnId, 'turn.error')).payload.code, 'CANCELLED');
    const seqBefore = (await rig.api('GET', '/v3/sessions/cli')).body.session.lastSeq;
    const none = await runOpta(rig.h, ['sessions', 'cancel', 'cli']);
    assert.equal(none.code, 0);
    assert.match(none.stdout, /nothing to cancel/);
    // Nothing was cancelled, so nothing is appended to the session's history (issue 26).
    assert.equal((await rig.api('GET', '/v3/sessions/cli')).body.session.lastSeq, seqBefore);
    const unknown = await runOpta(rig.h, ['sessions', 'cancel', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no session "nope".*opta sessions list/);
    const bad = await runOpta(rig.h, ['sessions', 'cancel', '../etc']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a session id/);
  });

  test('after the daemon crashes, the guardian restarts it and the CLI still answers', async () => {
    const oldPid = rig.pid;
    process.kill(oldPid, 'SIGKILL');
    await ws.close();
    const r = await runOpta(rig.h, ['sessions', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).sessions.map((s: { id: string }) => s.id), ['cli']);
    rig.refresh();
    assert.notEqual(rig.pid, oldPid);
    // Not silently: one line on stderr says the daemon was started (issue 26); stdout stays the JSON.
    // One line that the daemon was started, and (issue 24) one that a crash report of the dead run was kept.
    assert.match(r.stderr, new RegExp(`^opta: note: the daemon was not running, so it was started first \\(pid ${rig.pid}, port \\d+\\)[^\\n]*\\.\\nopta: the daemon \\(pid \\d+\\) had died \\(no last words: killed or lost power\\); a crash report was kept: ~/[^\\n]+\\n$`));
    const again = await runOpta(rig.h, ['sessions', 'list', '--json']);
    assert.equal(again.stderr, '', 'a daemon that runs is used without a word');
  });
});

describe('opta sessions list has a bundle of its own (issue 23: its budget is 1.5x a bare node)', () => {
  let rig: DaemonRig;
  let xdg: string;
  before(async () => {
    rig = await startRig();
    xdg = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-cache-sessions-'));
  });
  after(async () => {
    await rig?.cleanup();
    fs.rmSync(xdg, { recursive: true, force: true });
  });

  test('a plain list goes straight to the running daemon (neither commander nor the guardian\'s group bundle); with none running the group\'s guardian starts one; --help goes to the group', async () => {
    // Which bundles ran: each leaves its code cache in this test's own cache directory.
    const env = { ...rig.h.env, XDG_CACHE_HOME: xdg };
    const cache = path.join(xdg, 'opta');
    const ran = () => (fs.existsSync(cache) ? fs.readdirSync(cache).map((f) => /^(.*)-[0-9a-f]{16}-[0-9a-f]{8}\.cache$/.exec(f)?.[1]).filter(Boolean).sort() : []);
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'one' })).status, 201);
    const r = await runOpta(rig.h, ['sessions', 'list', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual([JSON.parse(r.stdout).sessions.map((s: { id: string }) => s.id), JSON.parse(r.stdout).total], [['one'], 1]);
    assert.deepEqual(ran(), ['cli-sessions-list'], 'only the small bundle ran: no commander, no guardian');
    const text = await runOpta(rig.h, ['sessions', 'list'], { env });
    assert.match(text.stdout, /^SESSION +TURNS .*\none +0 +- +0 +0 +0 +0 /);

    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const started = await runOpta(rig.h, ['sessions', 'list', '--json'], { env });
    assert.equal(started.code, 0, started.stderr);
    rig.refresh();
    assert.match(started.stderr, /^opta: note: the daemon was not running, so it was started first \(pid \d+, port \d+\)/);
    assert.deepEqual(JSON.parse(started.stdout).sessions.map((s: { id: string }) => s.id), ['one']);
    assert.ok(ran().includes('cli-sessions'), 'with no daemon the command was handed to the sessions group (its guardian)');
    const help = await runOpta(rig.h, ['sessions', 'list', '--help'], { env });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: opta sessions list \[options\]/);
    const bad = await runOpta(rig.h, ['sessions', 'list', '--bogus'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--bogus'/);
  });

  test('the list loads neither node:zlib nor node:module: the code cache is checked by its two copies, node:module is --debug\'s alone', async (t) => {
    // Every module node loaded, written when the process ends (a preload given through NODE_OPTIONS).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-loaded-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const recorder = path.join(dir, 'record.cjs');
    const out = path.join(dir, 'loaded.txt');
    fs.writeFileSync(recorder, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`);
    assert.ok([200, 201].includes((await rig.api('POST', '/v3/sessions', { id: 'one' })).status));
    const env = { ...rig.h.env, XDG_CACHE_HOME: xdg, NODE_OPTIONS: `--require ${recorder}` };
    const loaded = async (args: string[]) => {
      const r = await runOpta(rig.h, args, { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^SESSION +TURNS /);
      return fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('NativeModule ')).map((l) => l.slice('NativeModule '.length));
    };
    await loaded(['sessions', 'list']); // writes this flag set's cache
    const plain = await loaded(['sessions', 'list']);
    assert.ok(plain.includes('net') && plain.includes('vm'), `the recorder saw the command's modules: ${plain.join(' ')}`);
    assert.deepEqual(['zlib', 'module'].filter((m) => plain.includes(m)), [], 'a plain list loads neither');
    assert.ok((await loaded(['sessions', 'list', '--debug'])).includes('module'), '--debug runs the bundle through node:module\'s loader');
  });

  test('its output fails as every command\'s does: a reader gone (EPIPE) ends it quietly, a full disk is one line and exit 2', async () => {
    assert.ok([200, 201].includes((await rig.api('POST', '/v3/sessions', { id: 'one' })).status));
    const env = { ...rig.h.env, XDG_CACHE_HOME: xdg };
    // The reader is gone before the table is written.
    const gone = spawn(process.execPath, [OPTA_BIN, 'sessions', 'list'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    gone.stdout!.destroy();
    let err = '';
    gone.stderr!.on('data', (d) => (err += d));
    const code = await exitCodeWithin(gone, 30000, () => `opta sessions list with its reader gone to finish; got: ${err}`, 'close');
    assert.deepEqual([code, err], [0, '']);
    const full = fs.openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [OPTA_BIN, 'sessions', 'list'], { env, stdio: ['ignore', full, 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      assert.equal(await exitCodeWithin(child, 30000, () => `opta sessions list with stdout on /dev/full to finish; got: ${stderr}`, 'close'), 2, stderr);
      assert.equal(stderr, 'opta: cannot write the output: ENOSPC: no space left on device, write\n');
    } finally {
      fs.closeSync(full);
    }
  });

  test('the quick call sends the token to no one but this home\'s daemon: a foreign listener named by state.json gets not a byte of it', async (t) => {
    const env = { ...rig.h.env, XDG_CACHE_HOME: xdg };
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    // A process that is not an Opta daemon, on the daemon's own port, recording every byte it is sent.
    const log = path.join(rig.h.home, 'foreign.log');
    const foreign = spawn(process.execPath, ['-e', `require('net').createServer((s) => s.on('data', (d) => require('fs').appendFileSync(${JSON.stringify(log)}, d))).listen(${rig.port}, '127.0.0.1')`], { stdio: 'ignore' });
    rig.h.pids.add(foreign.pid!);
    t.after(() => foreign.kill('SIGKILL'));
    await waitUntil(() => new Promise<boolean>((resolve) => {
      const c = net.connect({ port: rig.port, host: '127.0.0.1' });
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    }), 10000, `the foreign listener on port ${rig.port}`);
    const token = 'f'.repeat(64);
    fs.writeFileSync(rig.h.paths.stateFile, JSON.stringify({ pid: foreign.pid, port: rig.port, host: '127.0.0.1', token, daemonId: 'old', startedAt: new Date().toISOString(), version: '1.1.0' }));
    const r = await runOpta(rig.h, ['sessions', 'list', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    rig.refresh();
    assert.notEqual(rig.pid, foreign.pid, 'the guardian started this home its own daemon');
    assert.ok(Array.isArray(JSON.parse(r.stdout).sessions), r.stdout);
    const got = fs.existsSync(log) ? fs.readFileSync(log, 'latin1') : '';
    assert.ok(!got.includes(token), `the foreign listener was sent the token: ${JSON.stringify(got.slice(0, 200))}`);
  });
});
