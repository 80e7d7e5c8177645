// A full disk (a 1 MiB tmpfs as the opta home): every write fails as a whole, keeps the previous file and loses nothing stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startRig, type Envelope } from './helpers/daemon.js';
import { alive, daemonConfig, daemonPidsOfHome, freePortBlock, makeHome, readJson, runOpta, waitUntil } from './helpers/env.js';
import { mountTmpfs, PAGE, tempFiles } from './helpers/tmpfs.js';
import { readState, writeState } from '../src/core/state.js';
import { StorageError } from '../src/daemon/server/durable-fs.js';
import { EventLog } from '../src/daemon/server/event-log.js';
import { SpaceGuard } from '../src/daemon/server/space-reserve.js';
import { fetchWithin } from './helpers/wait.js';

const NO_STACK = /\n\s+at /;
const validState = { pid: 4242, port: 9999, host: '127.0.0.1', token: 'a'.repeat(64), daemonId: 'd-1', startedAt: '2026-11-25T10:00:01Z', version: '1.1.0' };

function linesOf(file: string): Envelope[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Envelope);
}

function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

test('config set on a full disk and with one page left: exit 1 saying the disk is full; config.json whole and unchanged, no temp file', async (t) => {
  const h = makeHome();
  const fsx = await mountTmpfs(t, h);
  if (!fsx) return;
  assert.equal((await runOpta(h, ['config', 'set', 'lmx.port', '1234'])).code, 0);
  const before = fs.readFileSync(h.paths.configFile, 'utf8');
  const long = 'h'.repeat(5000); // more than the one page left: the write is cut short
  for (const leave of [0, PAGE]) {
    fsx.fill(leave);
    const r = await runOpta(h, ['config', 'set', 'lmx.host', long]);
    assert.equal(r.code, 1, `leave ${leave}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /disk is full/, `leave ${leave}`);
    assert.match(r.stderr, new RegExp(`${path.basename(h.paths.configFile)}.*unchanged`));
    assert.doesNotMatch(r.stderr, NO_STACK);
    assert.equal(fs.readFileSync(h.paths.configFile, 'utf8'), before, `leave ${leave}: config.json unchanged`);
    assert.deepEqual(tempFiles(h.optaHome), [], `leave ${leave}: no temp file left`);
    fsx.unfill();
  }
  assert.equal((await runOpta(h, ['config', 'set', 'lmx.host', long])).code, 0, 'works again once there is space');
  assert.equal(readJson<{ lmx: { host: string } }>(h.paths.configFile).lmx.host, long);
});

test('a state write on a full disk throws "disk is full" and leaves the previous state.json whole, with no temp file', async (t) => {
  const h = makeHome();
  const fsx = await mountTmpfs(t, h);
  if (!fsx) return;
  writeState(h.paths.stateFile, validState);
  const before = fs.readFileSync(h.paths.stateFile);
  for (const leave of [0, PAGE]) {
    fsx.fill(leave);
    assert.throws(() => writeState(h.paths.stateFile, { ...validState, daemonId: 'x'.repeat(6000) }), /disk is full.*state\.json.*unchanged/s, `leave ${leave}`);
    assert.ok(fs.readFileSync(h.paths.stateFile).equals(before), `leave ${leave}: state.json unchanged`);
    assert.equal(readState(h.paths.stateFile).class, 'valid');
    assert.deepEqual(tempFiles(h.optaHome), [], `leave ${leave}: no temp file`);
    fsx.unfill();
  }
});

test('daemon start and daemon run on a full disk: exit 1 saying so, no daemon, no state.json, no temp file, no empty lock; sessions intact', async (t) => {
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port, 2) });
  const fsx = await mountTmpfs(t, h);
  if (!fsx) return;
  // Something stored by an earlier daemon, which a failed start must not touch.
  const sessionDir = path.join(h.paths.sessionsDir, 'kept');
  fs.mkdirSync(sessionDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(sessionDir, 'meta.json'), JSON.stringify({ id: 'kept', createdAt: '2026-11-25T10:00:00.000Z' }) + '\n', { mode: 0o600 });
  const ev = { v: 1, seq: 1, sessionId: 'kept', event: 'turn.queued', ts: '2026-11-25T10:00:01.000Z', payload: { turnId: 'turn_1', content: 'hi', position: 0 } };
  const done = { v: 1, seq: 2, sessionId: 'kept', event: 'turn.error', ts: '2026-11-25T10:00:02.000Z', payload: { turnId: 'turn_1', code: 'CANCELLED', message: 'x' } };
  fs.writeFileSync(path.join(sessionDir, 'events.jsonl'), JSON.stringify(ev) + '\n' + JSON.stringify(done) + '\n', { mode: 0o600 });
  const stored = snapshot(h.paths.sessionsDir);

  const refusing = () => new Promise<boolean>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
  // Each write of a start in turn finds the disk full: the lock (start only, 1 page), the 64 KiB space reserve
  // (16 pages), then state.json.
  const cases: Array<[string, number, RegExp]> = [
    ['start', 0, /daemon\.lock/],
    ['start', 16 * PAGE, /space\.reserve/],
    ['start', 17 * PAGE, /state\.json/],
    ['run', 0, /space\.reserve/],
    ['run', 16 * PAGE, /state\.json/],
  ];
  for (const [sub, leave, failing] of cases) {
    const cmd = ['daemon', sub];
    fsx.fill(leave);
    const r = await runOpta(h, cmd, { timeoutMs: 20000 });
    const what = `${cmd.join(' ')} with ${leave} bytes free`;
    assert.equal(r.code, 1, `${what}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /disk is full/, what);
    assert.match(r.stderr, new RegExp(`failed to write \\S*${failing.source}|cannot write \\S*${failing.source}`), what);
    assert.doesNotMatch(r.stderr, NO_STACK, what);
    assert.deepEqual(daemonPidsOfHome(h.optaHome), [], `${what}: no daemon left`);
    assert.ok(await refusing(), `${what}: nothing listens on ${port}`);
    assert.ok(!fs.existsSync(h.paths.stateFile), `${what}: no state.json`);
    assert.ok(!fs.existsSync(h.paths.lockFile), `${what}: no lock left`);
    assert.ok(!fs.existsSync(path.join(h.paths.daemonDir, 'space.reserve')), `${what}: no reserve left`);
    assert.deepEqual(tempFiles(h.optaHome), [], `${what}: no temp file`);
    assert.deepEqual(snapshot(h.paths.sessionsDir), stored, `${what}: sessions/ untouched`);
    fsx.unfill();
  }
  const ok = await runOpta(h, ['daemon', 'start']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const s = readJson<{ port: number; token: string }>(h.paths.stateFile);
  const res = await fetchWithin(`http://127.0.0.1:${s.port}/v3/sessions/kept/events?afterSeq=0`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.deepEqual(((await res.json()) as { events: unknown[] }).events, [ev, done]);
});

test('an event that does not fit: not stored in part, not published; the turn ends with turn.error DISK_FULL; the daemon lives on and loses nothing', async (t) => {
  const rig = await startRig({
    start: false,
    sim: { toolCalls: [{ name: 'list_dir', arguments: { path: '.' } }, { name: 'read_file', arguments: { path: 'p'.repeat(6000) } }] },
    config: { permissions: { timeoutMs: 30000 } },
  });
  const fsx = await mountTmpfs(t, { optaHome: rig.h.optaHome, cleanup: () => rig.cleanup() });
  if (!fsx) return;
  const start = await runOpta(rig.h, ['daemon', 'start']);
  assert.equal(start.code, 0, start.stdout + start.stderr);
  rig.refresh();
  const work = path.join(rig.h.home, 'work');
  fs.mkdirSync(work);
  assert.equal((await rig.api('POST', '/v3/sessions', { id: 'full', workspace: work })).status, 201);
  const file = path.join(rig.h.paths.sessionsDir, 'full', 'events.jsonl');
  const ws = await rig.ws('full', 0);

  // A turn that is stored completely first.
  await rig.sim.setConfig({ toolCalls: [] });
  const first = await rig.api('POST', '/v3/sessions/full/turns', { content: 'hello' });
  await ws.turnEvent(first.body.turnId, 'turn.done');
  const kept = fs.readFileSync(file);

  // On a full disk a new turn is refused at once, with nothing written.
  fsx.fill(0);
  const refused = await rig.api('POST', '/v3/sessions/full/turns', { content: 'no room' });
  assert.equal(refused.status, 507, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, 'DISK_FULL');
  assert.ok(fs.readFileSync(file).equals(kept), 'events.jsonl unchanged by the refused turn');
  fsx.unfill();

  // A turn running when the disk fills: it waits on a permission, then the disk fills, then it goes on.
  await rig.sim.setConfig({ toolCalls: [{ name: 'list_dir', arguments: { path: '.' } }, { name: 'read_file', arguments: { path: 'p'.repeat(6000) } }] });
  const turn = await rig.api('POST', '/v3/sessions/full/turns', { content: 'use the tools' });
  assert.equal(turn.status, 202);
  const req = await ws.turnEvent(turn.body.turnId, 'permission.request');
  assert.notEqual(fs.statSync(file).size % PAGE, 0, 'the last page of events.jsonl has room for part of a line');
  fsx.fill(0);
  await rig.api('POST', `/v3/sessions/full/permissions/${req.payload.requestId}`, { decision: 'allow' });
  const end = await ws.turnEnd(turn.body.turnId, 15000);
  assert.equal(end.event, 'turn.error');
  assert.equal(end.payload.code, 'DISK_FULL');
  assert.match(end.payload.message, /disk is full/);
  assert.equal((await rig.api('GET', '/v3/health')).status, 200, 'the daemon still serves');
  assert.equal((await rig.api('GET', '/v3/sessions/full')).body.session.activeTurn, null);
  assert.match(rig.log(), /ERROR session full: cannot record .* disk is full/);

  // What the client saw is exactly what is stored: whole lines, seq 1..N, nothing published that the disk lacks.
  const onDisk = linesOf(file);
  assert.deepEqual(onDisk.map((e) => e.seq), Array.from({ length: onDisk.length }, (_, i) => i + 1));
  assert.ok(fs.readFileSync(file).subarray(0, kept.length).equals(kept), 'append only');
  await waitUntil(() => ws.events.length === onDisk.length, 5000, 'the client to have every stored event');
  assert.deepEqual(ws.events, onDisk);

  // Space comes back: the next turn works and its events follow on the next seq; a restart loads everything.
  fsx.unfill();
  await rig.sim.setConfig({ toolCalls: [] });
  const next = await rig.api('POST', '/v3/sessions/full/turns', { content: 'again' });
  assert.equal(next.status, 202, JSON.stringify(next.body));
  assert.equal(next.body.seq, end.seq + 1);
  await ws.turnEvent(next.body.turnId, 'turn.done');
  await ws.close();
  const pid = rig.pid;
  assert.equal((await runOpta(rig.h, ['daemon', 'restart'])).code, 0);
  await waitUntil(() => !alive(pid), 5000, 'the old daemon to exit');
  rig.refresh();
  const all = (await rig.api('GET', '/v3/sessions/full/events?afterSeq=0')).body.events as Envelope[];
  assert.deepEqual(all, linesOf(file));
  assert.doesNotMatch(rig.log(), /skipped \d+ unreadable line/);
});

test('the space reserve: an event that does not fit is cut back and refused, the reserve is given back, the closing turn.error fits in its room', async (t) => {
  const h = makeHome();
  const fsx = await mountTmpfs(t, h);
  if (!fsx) return;
  const dir = path.join(h.paths.sessionsDir, 's');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(h.paths.daemonDir, { mode: 0o700 });
  const reserve = path.join(h.paths.daemonDir, 'space.reserve');
  const guard = new SpaceGuard(reserve, h.paths.sessionsDir);
  guard.claim();
  assert.equal(fs.statSync(reserve).size, 64 * 1024);
  const log = new EventLog(dir, guard);
  const ev = (seq: number, event: string, pad: number) => ({ v: 1 as const, seq, sessionId: 's', event: event as 'turn.token', ts: '2026-11-25T10:00:01.000Z', payload: { turnId: 'turn_1', text: 'x'.repeat(pad) } });
  // events.jsonl ends 10 bytes short of a page: the next event can only be written in part.
  log.append(ev(1, 'turn.token', 4096 - 10 - (JSON.stringify(ev(1, 'turn.token', 0)).length + 1)));
  assert.equal(fs.statSync(log.file).size, 4086);
  fsx.fill(0);
  assert.throws(() => log.append(ev(2, 'turn.token', 500)), (e: unknown) => e instanceof StorageError && e.diskFull && e.code === 'DISK_FULL');
  assert.equal(fs.statSync(log.file).size, 4086, 'cut back to the last whole line');
  assert.ok(!fs.existsSync(reserve), 'the reserve was given back');
  log.append(ev(2, 'turn.error', 200));
  assert.throws(() => log.append(ev(3, 'turn.token', 10)), StorageError, 'ordinary events wait until the reserve is back');
  fsx.unfill();
  log.append(ev(3, 'turn.token', 10));
  assert.equal(fs.statSync(reserve).size, 64 * 1024, 'the reserve is back');
  log.close();
  const again = new EventLog(dir, guard);
  const seqs: number[] = [];
  await again.build((e) => seqs.push(e.seq));
  assert.deepEqual([seqs, again.skipped], [[1, 2, 3], 0]);
});

test('opta doctor on a home with less free space than a few state writes need: an error, exit 1', async (t) => {
  const h = makeHome();
  const fsx = await mountTmpfs(t, h);
  if (!fsx) return;
  fs.mkdirSync(h.paths.daemonDir, { mode: 0o700 });
  fs.mkdirSync(h.paths.sessionsDir, { mode: 0o700 });
  fsx.fill(8 * PAGE);
  const r = await runOpta(h, ['doctor', '--json', '--only', 'disk']);
  const report = JSON.parse(r.stdout) as { findings: Array<{ id: string; severity: string }> };
  assert.deepEqual(report.findings.map((f) => [f.id, f.severity]), [['disk-full', 'error']]);
  assert.equal(r.code, 1);
});

test('a read-only home: daemon start, daemon run, sessions list and config set exit 1 naming the directory and EROFS, never an "internal error" ENOENT', async (t) => {
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port, 2) });
  const fsx = await mountTmpfs(t, h);
  if (!fsx) return;
  // node's recursive mkdir reports a read-only file system as ENOENT, which names a home that plainly exists.
  execFileSync('mount', ['-o', 'remount,ro', fsx.dir]);
  const cases: Array<[string[], RegExp]> = [
    [['daemon', 'start'], /daemon/],
    [['daemon', 'run'], /daemon/],
    [['sessions', 'list'], /daemon/],
    [['config', 'set', 'lmx.port', '1235'], /config\.json/],
  ];
  for (const [args, names] of cases) {
    const r = await runOpta(h, args);
    const what = `opta ${args.join(' ')}: ${r.stdout}${r.stderr}`;
    assert.equal(r.code, 1, what);
    assert.match(r.stderr, /EROFS|read-only file system/, what);
    assert.match(r.stderr, names, what);
    assert.doesNotMatch(r.stderr, /internal error|ENOENT/, what);
    assert.doesNotMatch(r.stderr, NO_STACK, what);
  }
  assert.deepEqual(daemonPidsOfHome(h.optaHome), []);
});
