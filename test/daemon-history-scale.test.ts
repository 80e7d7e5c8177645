// Issue 23: a daemon whose start and memory do not grow with its history: sessions are read on first use, never at start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRig, type DaemonRig, type Envelope } from './helpers/daemon.js';
import { OPTA_BIN, runOpta, waitUntil } from './helpers/env.js';
import { writeBigSession } from './helpers/big-session.js';
import { childEnd } from './helpers/wait.js';
import { collect } from './helpers/collect.js';

const SESSIONS = 300;
const sid = (i: number) => `s${String(i).padStart(4, '0')}`;

/** Writes `n` finished sessions as an earlier daemon would have left them: meta.json and a few whole events each. */
function writeSessions(sessionsDir: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const id = sid(i);
    const dir = path.join(sessionsDir, id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ id, createdAt: '2026-11-25T10:00:00.000Z', workspace: null }) + '\n', { mode: 0o600 });
    const ev = (seq: number, event: string, payload: Record<string, unknown>) => JSON.stringify({ v: 1, seq, sessionId: id, event, ts: `2026-11-25T10:00:0${seq}.000Z`, payload });
    const lines = [ev(1, 'turn.queued', { turnId: 't1', content: `hello ${i}`, position: 0 }), ev(2, 'turn.started', { turnId: 't1' }), ev(3, 'turn.done', { turnId: 't1', text: `hi ${i}` })];
    fs.writeFileSync(path.join(dir, 'events.jsonl'), lines.join('\n') + '\n', { mode: 0o600 });
  }
}

const catalogFile = (rig: DaemonRig) => path.join(rig.h.paths.daemonDir, 'sessions-catalog.json');
/** The entries of a catalog as the file has them: rows under their `fields` (v3, v2), or an older daemon's object (v1). */
function catalogOf(text: string): Record<string, Record<string, unknown>> {
  const c = JSON.parse(text) as { v: number; fields?: string[]; rows?: unknown[][]; sessions?: Record<string, Record<string, unknown>> };
  if (c.v === 1) return c.sessions!;
  assert.ok(c.v === 2 || c.v === 3, `a catalog of rows: ${c.v}`);
  return Object.fromEntries(c.rows!.map((r) => [r[0] as string, Object.fromEntries(c.fields!.map((f, i) => [f, r[i]]))]));
}
const catalogNow = (rig: DaemonRig) => catalogOf(fs.readFileSync(catalogFile(rig), 'utf8'));
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** Every events.jsonl the traced processes opened, by session id (strace's record of openat, complete, not sampled). */
function eventsOpened(trace: string): string[] {
  const ids = new Set<string>();
  for (const m of trace.matchAll(/openat\([^"]*"([^"]*\/sessions\/([^/"]+)\/events\.jsonl)"/g)) ids.add(m[2]);
  return [...ids].sort();
}

const haveStrace = spawnSync('strace', ['-V']).status === 0 && spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']).status === 0;

/**
 * Runs `opta daemon start` under strace (following the daemon it spawns), does `during` against the running daemon,
 * stops it, and returns the trace. Why strace: it records every open the daemon makes, from its first instruction to
 * its exit, so "no events file was opened" is a fact, not a sample (/proc/<pid>/fd polling misses short opens, atime
 * is off on most mounts, and chmod 000 does not stop root).
 */
async function traced(rig: DaemonRig, during: () => Promise<void>, calls = 'openat,open'): Promise<string> {
  const out = path.join(rig.h.home, `strace-${Date.now()}.txt`);
  const child = spawn('strace', ['-f', '-qq', '-e', `trace=${calls}`, '-o', out, process.execPath, OPTA_BIN, 'daemon', 'start'], { env: rig.h.env, stdio: 'ignore' });
  if (child.pid) rig.h.pids.add(child.pid);
  // A clean stop leaves a stopped record (issue 27): wait for the running record the new daemon writes.
  const running = () => fs.existsSync(rig.h.paths.stateFile) && !/"status"\s*:\s*"stopped"/.test(fs.readFileSync(rig.h.paths.stateFile, 'utf8'));
  await waitUntil(running, 30000, 'the traced daemon to write its running state.json');
  rig.refresh();
  await waitUntil(async () => (await rig.api('GET', '/v3/health')).status === 200, 30000, 'the traced daemon to serve');
  await during();
  const stop = await runOpta(rig.h, ['daemon', 'stop']);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  await childEnd(child, 30000, 'strace to end with the daemon it traced');
  return fs.readFileSync(out, 'utf8');
}

describe('a home with many sessions', () => {
  let rig: DaemonRig;
  before(async () => {
    rig = await startRig({ start: false });
    writeSessions(rig.h.paths.sessionsDir, SESSIONS);
    // The first start after an upgrade: no catalog yet; the sessions are read after the daemon serves, then catalogued.
    const r = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    await waitUntil(() => fs.existsSync(catalogFile(rig)), 30000, 'the sessions catalog to be written');
    const stop = await runOpta(rig.h, ['daemon', 'stop']);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  });
  after(async () => rig?.cleanup());

  test('start, health and the whole list open no events file; the first replay opens that session\'s file only', { skip: !haveStrace && 'strace is not installed' }, async () => {
    let listed: any;
    const trace = await traced(rig, async () => {
      listed = (await rig.api('GET', `/v3/sessions?limit=${SESSIONS}`)).body;
      const cli = await runOpta(rig.h, ['sessions', 'list', '--all', '--json']);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(JSON.parse(cli.stdout).sessions.length, SESSIONS);
    });
    assert.ok(/daemon\/sessions-catalog\.json/.test(trace), 'the trace saw the daemon open its catalog (it traced the daemon)');
    assert.deepEqual(eventsOpened(trace), [], 'no events.jsonl was opened by start, health, list or stop');
    assert.equal(listed.sessions.length, SESSIONS);
    assert.equal(listed.total, SESSIONS);
    assert.deepEqual(listed.sessions[7], { id: sid(7), createdAt: '2026-11-25T10:00:00.000Z', workspace: null, lastSeq: 3, turns: 1, activeTurn: null, queuedTurns: 0, pendingPermissions: 0, wsClients: 0 });

    const trace2 = await traced(rig, async () => {
      const r = await rig.api('GET', `/v3/sessions/${sid(7)}/events?afterSeq=1`);
      assert.deepEqual(r.body.events.map((e: Envelope) => e.seq), [2, 3]);
    });
    assert.deepEqual(eventsOpened(trace2), [sid(7)], 'only the replayed session\'s events were read');
  });

  test('a start takes no stat of any events file before it serves (the catalog is trusted until each entry is checked, right after)', { skip: !haveStrace && 'strace is not installed' }, async () => {
    const trace = await traced(rig, async () => {
      assert.equal((await rig.api('GET', '/v3/health')).body.counts.sessions, SESSIONS);
    }, 'openat,open,stat,lstat,newfstatat,fstatat64,statx,rename,renameat,renameat2');
    const lines = trace.split('\n');
    // The daemon serves once it has renamed its running record into place (state.json), just before it says ready.
    const served = lines.findIndex((l) => /rename\w*\(.*, "[^"]*\/daemon\/state\.json"/.test(l));
    assert.ok(served > 0, 'the trace saw the daemon write state.json');
    const early = lines.slice(0, served).filter((l) => /\/sessions\/[^/"]+\/events\.jsonl"/.test(l));
    assert.deepEqual(early, [], 'no events.jsonl was opened or stat\'ed before the daemon served');
    assert.ok(lines.slice(0, served).some((l) => /daemon\/sessions-catalog\.json"/.test(l)), 'the catalog was read before it served');
  });

  test('GET /v3/sessions pages in id order (?limit, ?after, next, total); opta sessions list shows a page and says how to see all', async () => {
    const r = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    // /v3/health says how many sessions the background check after the start has still to compare: none, once settled.
    await waitUntil(async () => (await rig.api('GET', '/v3/health')).body.counts.sessionsToCheck === 0, 30000, 'the background check of every catalog entry (counts.sessionsToCheck 0)');
    const first = (await rig.api('GET', '/v3/sessions')).body;
    assert.equal(first.sessions.length, 100);
    assert.equal(first.total, SESSIONS);
    assert.equal(first.next, sid(99));
    const second = (await rig.api('GET', `/v3/sessions?limit=150&after=${first.next}`)).body;
    assert.deepEqual([second.sessions[0].id, second.sessions.length, second.next], [sid(100), 150, sid(249)]);
    const last = (await rig.api('GET', `/v3/sessions?limit=150&after=${second.next}`)).body;
    assert.deepEqual([last.sessions.length, last.next], [50, null]);
    assert.equal((await rig.api('GET', '/v3/sessions?limit=0')).status, 400);
    const page = await runOpta(rig.h, ['sessions', 'list']);
    assert.equal(page.code, 0);
    assert.equal(page.stdout.split('\n').filter((l) => /^s\d{4} /.test(l)).length, 100);
    assert.match(page.stdout, /100 of 300 sessions shown; opta sessions list --all shows every one/);
    const all = await runOpta(rig.h, ['sessions', 'list', '--all']);
    assert.equal(all.stdout.split('\n').filter((l) => /^s\d{4} /.test(l)).length, SESSIONS);
    const json = JSON.parse((await runOpta(rig.h, ['sessions', 'list', '--json'])).stdout);
    assert.deepEqual([json.sessions.length, json.total, json.next], [100, SESSIONS, sid(99)]);
    const stop = await runOpta(rig.h, ['daemon', 'stop']);
    assert.equal(stop.code, 0);
  });
});

describe('the catalog is a cache, believed only while it matches', () => {
  let rig: DaemonRig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => rig?.cleanup());

  async function turn(id: string, content: string): Promise<void> {
    const ws = await rig.ws(id);
    const r = await rig.api('POST', `/v3/sessions/${id}/turns`, { content });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await ws.turnEnd(r.body.turnId);
    await ws.close();
  }

  async function restart(): Promise<void> {
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const r = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
  }

  test('a torn catalog is not believed: every session is read again, listed as it is, and the catalog is rewritten whole', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'torn' });
    await turn('torn', 'one');
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const whole = fs.readFileSync(catalogFile(rig), 'utf8');
    fs.writeFileSync(catalogFile(rig), whole.slice(0, Math.floor(whole.length / 2)));
    const r = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    assert.match(rig.log(), /WARN  sessions catalog not used \(.*not whole JSON/);
    const s = (await rig.api('GET', '/v3/sessions/torn')).body.session;
    assert.deepEqual([s.lastSeq, s.turns], [catalogOf(whole).torn.lastSeq, 1]);
    await waitUntil(() => {
      try {
        return catalogNow(rig).torn?.lastSeq === s.lastSeq;
      } catch {
        return false;
      }
    }, 10000, 'the catalog to be rewritten whole');
    assert.equal(fs.statSync(catalogFile(rig)).mode & 0o777, 0o600);
  });

  test('the catalog is written as rows (v3, hashed); older daemons\' catalogs (v1, an object per session; v2, rows) are still believed, and written as v3 at the stop', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'older' });
    await turn('older', 'one');
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const text = fs.readFileSync(catalogFile(rig), 'utf8');
    const rows = JSON.parse(text) as { v: number; fields: string[]; rows: unknown[][]; bytes: number; sha256: string };
    assert.equal(rows.v, 3);
    assert.equal(rows.fields[0], 'id');
    assert.equal(rows.bytes, rows.rows.reduce((n, r) => n + (r[3] as number), 0), 'the header counts the events bytes of every row');
    assert.match(rows.sha256, /^[0-9a-f]{64}$/);
    // What a daemon before v3 wrote: the same rows under a header without figures or hash.
    const v2 = `{"v":2,"fields":${JSON.stringify(rows.fields)},"rows":[\n${text.slice(text.indexOf('\n') + 1)}`;
    fs.writeFileSync(catalogFile(rig), v2);
    const notUsed = () => rig.log().split('\n').filter((l) => l.includes('sessions catalog not used')).length;
    const earlier = notUsed();
    const v2Start = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(v2Start.code, 0, v2Start.stdout + v2Start.stderr);
    rig.refresh();
    assert.deepEqual([notUsed(), (await rig.api('GET', '/v3/sessions/older')).body.session.turns], [earlier, 1], 'the v2 catalog was used');
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const entries = catalogOf(JSON.stringify(rows));
    assert.deepEqual([typeof entries.older.lastSeq, entries.older.turns, entries.older.openTurns], ['number', 1, []]);
    const v1 = { v: 1, sessions: Object.fromEntries(Object.entries(entries).map(([id, e]) => [id, Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'id'))])) };
    fs.writeFileSync(catalogFile(rig), JSON.stringify(v1));
    const warned = () => rig.log().split('\n').filter((l) => l.includes('sessions catalog not used')).length;
    const before = warned();
    const r = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    const s = (await rig.api('GET', '/v3/sessions/older')).body.session;
    assert.deepEqual([s.lastSeq, s.turns], [entries.older.lastSeq, 1]);
    assert.equal(warned(), before, 'the v1 catalog was used');
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    assert.equal(JSON.parse(fs.readFileSync(catalogFile(rig), 'utf8')).v, 3);
    assert.deepEqual(catalogNow(rig).older, { id: 'older', ...v1.sessions.older });
    const again = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    rig.refresh();
    assert.equal(warned(), before, 'the rows were used');
  });

  test('a stale catalog (older than the events file) is not believed: the session is read again; no turn that ended is closed twice', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'stale' });
    await turn('stale', 'one');
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const old = fs.readFileSync(catalogFile(rig));
    const r = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(r.code, 0);
    rig.refresh();
    await turn('stale', 'two');
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const file = path.join(rig.h.paths.sessionsDir, 'stale', 'events.jsonl');
    const stored = fs.readFileSync(file);
    fs.writeFileSync(catalogFile(rig), old);
    const oldSeq = catalogOf(old.toString()).stale.lastSeq as number;
    const start = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(start.code, 0);
    rig.refresh();
    const s = (await rig.api('GET', '/v3/sessions/stale')).body.session;
    const lines = stored.toString().trim().split('\n').map((l) => JSON.parse(l) as Envelope);
    assert.ok(s.lastSeq > oldSeq, `${s.lastSeq} > ${oldSeq}`);
    assert.deepEqual([s.lastSeq, s.turns], [lines[lines.length - 1].seq, 2]);
    await restart();
    assert.ok(fs.readFileSync(file).equals(stored), 'nothing was appended: every turn had ended');
  });

  test('replay after a restart, and after the index was dropped, is byte for byte the replay before it', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'same' });
    for (const c of ['one', 'two', 'three']) await turn('same', c);
    const raw = async () => Buffer.from(await (await fetch(`${rig.base}/v3/sessions/same/events?afterSeq=0`, { headers: { authorization: `Bearer ${rig.token}` } })).arrayBuffer());
    const beforeRestart = await raw();
    // This daemon drops an idle session's index after 300 ms (the default is a minute).
    rig.h.env.OPTA_SESSION_IDLE_MS = '300';
    await restart();
    assert.ok((await raw()).equals(beforeRestart), 'after a restart');
    const loaded = async () => (await rig.api('GET', '/v3/health')).body.counts.loadedSessions as number;
    assert.equal(await loaded(), 1, 'the replay loaded the session');
    await waitUntil(async () => (await loaded()) === 0, 10000, 'the idle session to drop its index');
    assert.ok((await raw()).equals(beforeRestart), 'after the index was dropped and read again');
    delete rig.h.env.OPTA_SESSION_IDLE_MS;
    const ws = await rig.ws('same', 0);
    await waitUntil(() => ws.events.length === JSON.parse(beforeRestart.toString()).events.length, 10000, 'the WebSocket replay');
    await ws.close();
    assert.deepEqual(ws.events, JSON.parse(beforeRestart.toString()).events);
  });

  test('a session changed while no daemon ran is found by the check after the start, with no request for it: its open turn is closed', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'behind' });
    await turn('behind', 'one');
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    assert.ok(catalogNow(rig).behind, 'the catalog has the session as it was');
    // What a daemon killed right after queueing a turn leaves (the catalog is rewritten only 2 s after an event).
    const file = path.join(rig.h.paths.sessionsDir, 'behind', 'events.jsonl');
    const stored = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Envelope);
    const seq = stored[stored.length - 1].seq + 1;
    fs.appendFileSync(file, JSON.stringify({ v: 1, seq, sessionId: 'behind', event: 'turn.queued', ts: new Date().toISOString(), payload: { turnId: 'turn_lost', content: 'two', position: 0 } }) + '\n');
    const start = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    rig.refresh();
    // Only the file is watched: no request names the session, so only the daemon's own check can find it.
    const closed = () => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Envelope).slice(stored.length + 1);
    await waitUntil(() => closed().length > 0, 10000, 'the daemon to close the turn a killed daemon left open');
    assert.deepEqual(closed().map((e) => [e.seq, e.event, e.payload.turnId, e.payload.code]), [[seq + 1, 'turn.error', 'turn_lost', 'DAEMON_RESTARTED']]);
    const s = (await rig.api('GET', '/v3/sessions/behind')).body.session;
    assert.deepEqual([s.lastSeq, s.turns], [seq + 1, 2]);
  });

  test('a stop during a turn: the catalog keeps the open turn, and the next start closes it with DAEMON_RESTARTED from the catalog alone', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'stopped' });
    await rig.sim.setConfig({ mode: 'hang' });
    const ws = await rig.ws('stopped');
    const r = await rig.api('POST', '/v3/sessions/stopped/turns', { content: 'wait' });
    await ws.waitFor((e) => e.event === 'turn.start', 10000, 'turn.start');
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    await rig.sim.setConfig({ mode: 'ok' });
    const file = path.join(rig.h.paths.sessionsDir, 'stopped', 'events.jsonl');
    const stored = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Envelope);
    assert.deepEqual(catalogNow(rig).stopped.openTurns, [r.body.turnId]);
    const start = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    rig.refresh();
    const after = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Envelope);
    assert.deepEqual(after.slice(stored.length).map((e) => [e.seq, e.event, e.payload.turnId, e.payload.code]), [[stored[stored.length - 1].seq + 1, 'turn.error', r.body.turnId, 'DAEMON_RESTARTED']]);
    assert.equal((await rig.api('GET', '/v3/sessions/stopped')).body.session.lastSeq, stored.length + 1);
  });

  test('kill -9 during appends: every event a client saw is stored; the next start closes the turn once, after the last stored seq', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'crash' });
    await rig.sim.setConfig({ mode: 'hang' });
    const ws = await rig.ws('crash');
    const r = await rig.api('POST', '/v3/sessions/crash/turns', { content: 'slow please' });
    await ws.waitFor((e) => e.event === 'turn.start', 10000, 'turn.start');
    process.kill(rig.pid, 'SIGKILL');
    await waitUntil(() => ws.closed, 10000, 'the socket to close with the daemon');
    const file = path.join(rig.h.paths.sessionsDir, 'crash', 'events.jsonl');
    const stored = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Envelope);
    for (const e of ws.events) assert.deepEqual(stored.find((x) => x.seq === e.seq), e, `seq ${e.seq} a client saw is stored`);
    const start = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    rig.refresh();
    const events = (await rig.api('GET', '/v3/sessions/crash/events?afterSeq=0')).body.events as Envelope[];
    assert.deepEqual(events.slice(0, stored.length), stored);
    await rig.sim.setConfig({ mode: 'ok' });
    const closing = events.slice(stored.length);
    assert.deepEqual(closing.map((e) => [e.seq, e.event, e.payload.turnId, e.payload.code]), [[stored[stored.length - 1].seq + 1, 'turn.error', r.body.turnId, 'DAEMON_RESTARTED']]);
  });
});

describe('kill -9 while a big session is indexed', { skip: !fs.existsSync('/proc/self/fd') && 'needs /proc to see the read in progress' }, () => {
  let rig: DaemonRig;
  after(async () => rig?.cleanup());

  test('the file is untouched and the next start replays every event', async () => {
    rig = await startRig({ start: false });
    const dir = path.join(rig.h.paths.sessionsDir, 'big');
    const big = writeBigSession(dir, 'big');
    const file = path.join(dir, 'events.jsonl');
    const before = sha(fs.readFileSync(file));
    const r = await runOpta(rig.h, ['daemon', 'start'], { timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    // Without a catalog entry the daemon reads the session right after it serves (and this request asks for it too);
    // it is killed while the file is open for that read.
    const pending = rig.api('GET', '/v3/sessions/big/events?afterSeq=0').catch(() => undefined);
    const reading = () => {
      try {
        return fs.readdirSync(`/proc/${rig.pid}/fd`).some((fd) => fs.readlinkSync(`/proc/${rig.pid}/fd/${fd}`) === file);
      } catch {
        return false;
      }
    };
    await waitUntil(reading, 10000, 'the daemon to open big/events.jsonl for its first read');
    process.kill(rig.pid, 'SIGKILL');
    await pending;
    assert.equal(sha(fs.readFileSync(file)), before, 'not a byte of the history changed');
    const again = await runOpta(rig.h, ['daemon', 'start'], { timeoutMs: 60000 });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    rig.refresh();
    const res = await rig.api('GET', `/v3/sessions/big/events?afterSeq=${big.count - 3}`);
    assert.deepEqual([res.body.lastSeq, res.body.events.map((e: Envelope) => e.seq)], [big.count, [big.count - 2, big.count - 1, big.count]]);
    assert.equal(sha(fs.readFileSync(file)), before);
  });
});

describe('fact sessions-size', () => {
  let rig: DaemonRig;
  after(async () => rig?.cleanup());

  test('from the running daemon\'s figures, and by readdir + lstat when none runs: the same count and bytes; no rate before 10 minutes up', async () => {
    rig = await startRig({ start: false });
    writeSessions(rig.h.paths.sessionsDir, 20);
    const bytesOnDisk = () => {
      let n = 0;
      for (const id of fs.readdirSync(rig.h.paths.sessionsDir)) for (const f of fs.readdirSync(path.join(rig.h.paths.sessionsDir, id))) n += fs.statSync(path.join(rig.h.paths.sessionsDir, id, f)).size;
      return n;
    };
    const cold = await collect('sessions-size', rig.h.optaHome, rig.h.env);
    assert.deepEqual([cold.source, cold.sessions, cold.bytes, cold.complete, cold.bytesPerHour, cold.fillsWithinWeek], ['scan', 20, bytesOnDisk(), true, null, false]);
    const s3 = path.join(rig.h.paths.sessionsDir, sid(3), 'events.jsonl');
    const s3Before = fs.statSync(s3).size;
    const r = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    const ws = await rig.ws(sid(3));
    const t = await rig.api('POST', `/v3/sessions/${sid(3)}/turns`, { content: 'grow' });
    await ws.turnEnd(t.body.turnId);
    await ws.close();
    const eventsBytes = () => fs.readdirSync(rig.h.paths.sessionsDir).reduce((n, id) => n + fs.statSync(path.join(rig.h.paths.sessionsDir, id, 'events.jsonl')).size, 0);
    const live = await collect('sessions-size', rig.h.optaHome, rig.h.env);
    assert.ok(fs.statSync(s3).size > s3Before, 'the turn appended its events');
    assert.deepEqual([live.source, live.sessions, live.bytes, live.appendedBytes], ['daemon', 20, eventsBytes(), fs.statSync(s3).size - s3Before]);
    assert.equal(live.bytesPerHour, null, 'a daemon up for seconds has no rate yet');
    const verbose = await runOpta(rig.h, ['doctor', '--verbose']);
    assert.match(verbose.stdout, new RegExp(`^Checking disk\\.\\.\\. +● \\d+ MiB free; sessions/ holds 20 sessions, ${live.MiB} MiB$`, 'm'), verbose.stdout);
    assert.doesNotMatch((await runOpta(rig.h, ['doctor'])).stdout, /sessions\/ holds/, 'the healthy report stays the guide\'s lines');
  });
});

describe('the daemon\'s memory settings', { skip: !fs.existsSync('/proc/self/environ') && 'needs /proc' }, () => {
  let rig: DaemonRig;
  after(async () => rig?.cleanup());

  test('a small young generation (--max-semi-space-size), malloc giving big blocks back unless the user set them, no NODE_EXTRA_CA_CERTS', async () => {
    rig = await startRig({ start: false });
    const settings = () => {
      const argv = fs.readFileSync(`/proc/${rig.pid}/cmdline`, 'utf8').split('\0');
      const env = fs.readFileSync(`/proc/${rig.pid}/environ`, 'utf8').split('\0');
      return [argv.filter((a) => a.startsWith('--max-semi-space-size')), env.filter((e) => /^(MALLOC_|NODE_EXTRA_CA_CERTS=)/.test(e)).sort()];
    };
    // A CA file of the user's is not the daemon's (it speaks no TLS; node would parse it at every start): left out.
    const ca = path.join(rig.h.home, 'extra-ca.pem');
    fs.writeFileSync(ca, '');
    const r = await runOpta(rig.h, ['daemon', 'start'], { env: { ...rig.h.env, NODE_EXTRA_CA_CERTS: ca } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    assert.deepEqual(settings(), [['--max-semi-space-size=1'], ['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=131072']]);
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const mine = await runOpta(rig.h, ['daemon', 'start'], { env: { ...rig.h.env, MALLOC_ARENA_MAX: '4' } });
    assert.equal(mine.code, 0, mine.stdout + mine.stderr);
    rig.refresh();
    assert.deepEqual(settings()[1], ['MALLOC_ARENA_MAX=4', 'MALLOC_MMAP_THRESHOLD_=131072']);
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
  });
});

describe('what the first turn needs is loaded once the daemon serves', () => {
  let rig: DaemonRig;
  after(async () => rig?.cleanup());

  test('warmed: zod and undici load just after the start, with no request (their code caches are written), not in the first turn', async (t) => {
    rig = await startRig({ start: false });
    // A code cache directory of this test's own: a bundle's cache is written 2 s after the bundle first loads.
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-warm-cache-'));
    t.after(() => fs.rmSync(cache, { recursive: true, force: true }));
    const r = await runOpta(rig.h, ['daemon', 'start'], { env: { ...rig.h.env, XDG_CACHE_HOME: cache } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    const caches = () => (fs.existsSync(path.join(cache, 'opta')) ? fs.readdirSync(path.join(cache, 'opta')) : []);
    await waitUntil(() => ['daemon-', 'lib-zod-', 'lib-undici-'].every((p) => caches().some((f) => f.startsWith(p))), 20_000, `the daemon, zod and undici code caches (have: ${caches().join(', ')})`);
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
  });
});
