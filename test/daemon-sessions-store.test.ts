// Session storage on disk: the mkdir race line, private modes, and a kill -9 mid-turn that loses nothing a client saw.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startRig, type DaemonRig, type Envelope } from './helpers/daemon.js';
import { alive, OPTA_BIN, runOpta, waitUntil } from './helpers/env.js';
import { MAX_OPEN_EVENT_LOGS } from '../src/daemon/server/event-log.js';
import { exitCodeWithin } from './helpers/wait.js';

const TIME = String.raw`^\[\d\d:\d\d:\d\d\] `;

describe('session storage', () => {
  let rig: DaemonRig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => rig?.cleanup());

  test('two concurrent creators of one session id both succeed; the second logs the guide\'s WARN line', async () => {
    const [a, b] = await Promise.all([rig.api('POST', '/v3/sessions', { id: 'race' }), rig.api('POST', '/v3/sessions', { id: 'race' })]);
    assert.ok(a.status >= 200 && a.status < 300 && b.status >= 200 && b.status < 300, `${a.status} ${b.status}`);
    assert.deepEqual([a.body.created, b.body.created].sort(), [false, true]);
    assert.equal(a.body.session.id, 'race');
    assert.equal(b.body.session.id, 'race');
    assert.match(rig.log(), new RegExp(`${TIME}WARN  session dir already exists, skipping mkdir$`, 'm'));
    const list = (await rig.api('GET', '/v3/sessions')).body.sessions.filter((s: { id: string }) => s.id === 'race');
    assert.equal(list.length, 1);
  });

  test('sessions live under sessions/<id>/ (not daemon/) with private modes', async () => {
    const r = await rig.api('POST', '/v3/sessions', {});
    assert.equal(r.status, 201);
    const id = r.body.session.id as string;
    const ws = await rig.ws(id, 0);
    const t = await rig.api('POST', `/v3/sessions/${id}/turns`, { content: 'hi' });
    await ws.turnEvent(t.body.turnId, 'turn.done');
    await ws.close();
    const dir = path.join(rig.h.paths.sessionsDir, id);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(dir, 'events.jsonl')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(dir, 'meta.json')).mode & 0o777, 0o600);
    const lines = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Envelope);
    assert.deepEqual(lines, ws.events);
  });

  test('kill -9 mid-turn: after a restart every event a client saw is still there, seq continues, the file was only appended to', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'crash' });
    await rig.sim.setConfig({ mode: 'slow', delayMs: 150 });
    const ws = await rig.ws('crash', 0);
    const r = await rig.api('POST', '/v3/sessions/crash/turns', { content: 'long answer please' });
    await ws.turnEvent(r.body.turnId, 'turn.token');
    const seen = [...ws.events];
    process.kill(rig.pid, 'SIGKILL');
    await waitUntil(() => !alive(rig.pid), 5000, 'the daemon to die');
    const file = path.join(rig.h.paths.sessionsDir, 'crash', 'events.jsonl');
    // What a kill -9 in the middle of a write leaves: half a line, never sent to anyone.
    fs.appendFileSync(file, '{"v":1,"seq":9999,"sessionId":"cra');
    const before = fs.readFileSync(file);
    await rig.sim.setConfig({ mode: 'ok' });

    const start = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    rig.refresh();
    const after = fs.readFileSync(file);
    assert.ok(after.subarray(0, before.length).equals(before), 'append only: the old bytes are unchanged');

    // The daemon reads a session its catalog does not vouch for after it serves; a request for it waits for that read.
    const history = (await rig.api('GET', '/v3/sessions/crash/events?afterSeq=0')).body.events as Envelope[];
    assert.match(rig.log(), /WARN  session crash: skipped 1 unreadable line\(s\) in events\.jsonl/);
    assert.equal(history.some((e) => e.seq === 9999), false);
    for (const e of seen) assert.deepEqual(history.find((h) => h.seq === e.seq), e, `event ${e.seq} survived`);
    const maxSeen = Math.max(...seen.map((e) => e.seq));
    const interrupted = history.find((e) => e.event === 'turn.error' && e.payload.turnId === r.body.turnId);
    assert.equal(interrupted?.payload.code, 'DAEMON_RESTARTED');
    assert.ok(interrupted!.seq > maxSeen);

    const back = await rig.ws('crash', maxSeen);
    const t2 = await rig.api('POST', '/v3/sessions/crash/turns', { content: 'again' });
    assert.ok(t2.body.seq > interrupted!.seq, 'seq continues after the restart');
    await back.turnEvent(t2.body.turnId, 'turn.done');
    const seqs = back.events.map((e) => e.seq);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => maxSeen + 1 + i), 'replay after restart has no gap');
    // The torn line stays as it was, and the events after it start on a line of their own.
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.filter((l) => { try { JSON.parse(l); return false; } catch { return true; } }).length, 1);
    await back.close();
    await ws.close();
  });

  test('damaged lines in the middle of events.jsonl: a restart keeps every whole event once, in seq order, and never rewrites a byte', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'mid' });
    const ws = await rig.ws('mid', 0);
    for (const content of ['one', 'two']) {
      const r = await rig.api('POST', '/v3/sessions/mid/turns', { content });
      await ws.turnEvent(r.body.turnId, 'turn.done');
    }
    await ws.close();
    const stored = [...ws.events];
    const stop = await runOpta(rig.h, ['daemon', 'stop']);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    const file = path.join(rig.h.paths.sessionsDir, 'mid', 'events.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, stored.length);
    // What a disk, an editor or a copy-paste can leave between good events: a torn fragment, bytes that are no text,
    // a repeated event (a seq that does not increase), and JSON that is not an event. Repeated twice: an event the read
    // only indexes by its first bytes (a token), and one it parses because a turn needs it (the first turn.done).
    const firstDone = lines.find((l) => (JSON.parse(l) as Envelope).event === 'turn.done')!;
    assert.ok(lines.indexOf(firstDone) < lines.length - 1, 'the first turn.done is not the last event');
    const damaged = [
      ...lines.slice(0, 3),
      lines[3].slice(0, 25),
      '\u0000\u00ff garbage',
      ...lines.slice(3, 6),
      lines[4],
      '{"v":1,"seq":"7","sessionId":"mid","event":"turn.token","ts":"x","payload":{}}',
      '[1,2,3]',
      ...lines.slice(6),
      firstDone,
    ].join('\n') + '\n';
    fs.writeFileSync(file, damaged);
    const before = fs.readFileSync(file);
    const start = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    rig.refresh();
    const history = (await rig.api('GET', '/v3/sessions/mid/events?afterSeq=0')).body.events as Envelope[];
    // Said when the events are first read: after the start (the catalog no longer matches the file), before this replay.
    assert.match(rig.log(), /WARN  session mid: skipped 6 unreadable line\(s\) in events\.jsonl/);
    assert.deepEqual(history, stored, 'every whole event, once, as a client saw it');
    const replayed = await rig.ws('mid', 0);
    await waitUntil(() => replayed.events.length >= stored.length, 5000, 'the WebSocket replay');
    assert.deepEqual(replayed.events, stored);
    const r = await rig.api('POST', '/v3/sessions/mid/turns', { content: 'three' });
    assert.equal(r.body.seq, stored[stored.length - 1].seq + 1, 'seq continues from the last whole event');
    await replayed.turnEvent(r.body.turnId, 'turn.done');
    await replayed.close();
    const after = fs.readFileSync(file);
    assert.ok(after.subarray(0, before.length).equals(before), 'the damaged history is left byte for byte; new events are appended');
  });

  test('a copied session directory (sessions/<id>.bak) is a session of its own: the directory name is the id, whatever its meta.json says', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'orig' });
    // A turn cancelled at once writes events (a cancel with nothing to cancel writes none).
    await rig.api('POST', '/v3/sessions/orig/turns', { content: 'one' });
    await rig.api('POST', '/v3/sessions/orig/cancel');
    const stop = await runOpta(rig.h, ['daemon', 'stop']);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    const dir = (id: string) => path.join(rig.h.paths.sessionsDir, id);
    fs.cpSync(dir('orig'), dir('orig.bak'), { recursive: true });
    const copied = fs.readFileSync(path.join(dir('orig.bak'), 'events.jsonl'));
    const start = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    rig.refresh();

    const ids = ((await rig.api('GET', '/v3/sessions')).body.sessions as Array<{ id: string }>).map((s) => s.id);
    assert.ok(ids.includes('orig') && ids.includes('orig.bak'), ids.join(' '));
    assert.equal((await rig.api('GET', '/v3/sessions/orig.bak')).status, 200);
    const before = fs.readFileSync(path.join(dir('orig'), 'events.jsonl'));
    const c = await rig.api('POST', '/v3/sessions/orig/turns', { content: 'two' });
    assert.equal(c.status, 202);
    const after = fs.readFileSync(path.join(dir('orig'), 'events.jsonl'));
    assert.ok(after.length > before.length && after.subarray(0, before.length).equals(before), "orig's events go to sessions/orig/");
    assert.ok(fs.readFileSync(path.join(dir('orig.bak'), 'events.jsonl')).equals(copied), 'the copy is not written to');
    assert.match(rig.log(), /WARN  session orig\.bak: its meta\.json names the session "orig"/);
  });
});

describe('many sessions', () => {
  let rig: DaemonRig;
  const LIMIT = 128;
  before(async () => {
    rig = await startRig({ start: false });
    // A user's shell often allows 256 open files (macOS) or 1024: the daemon inherits the limit from its starter.
    const start = spawn('sh', ['-c', `ulimit -n ${LIMIT} && exec "$0" "$@"`, process.execPath, OPTA_BIN, 'daemon', 'start'], { env: rig.h.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    start.stdout.on('data', (d) => (out += d));
    start.stderr.on('data', (d) => (out += d));
    const code = await exitCodeWithin(start, 30000, () => `opta daemon start under ulimit -n ${LIMIT} to finish; got: ${out}`, 'close');
    assert.equal(code, 0, out);
    rig.refresh();
  });
  after(async () => rig?.cleanup());

  test('more sessions written to than the daemon may open files: every one keeps working, and the daemon holds a bounded number of files open', async () => {
    const limits = fs.readFileSync(`/proc/${rig.pid}/limits`, 'utf8');
    assert.match(limits, new RegExp(`Max open files\\s+${LIMIT}\\s`), 'the daemon runs under the lowered limit');
    const fds = () => fs.readdirSync(`/proc/${rig.pid}/fd`).length;
    const baseline = fds();
    const n = LIMIT + 40;
    for (let i = 0; i < n; i++) {
      const id = `many${i}`;
      const c = await rig.api('POST', '/v3/sessions', { id });
      assert.equal(c.status, 201, `session ${i}: ${JSON.stringify(c.body)}`);
      // A turn cancelled at once appends turn.queued, turn.error and session.cancelled: this session's events.jsonl has
      // been written to (a cancel with nothing to cancel writes nothing).
      const q = await rig.api('POST', `/v3/sessions/${id}/turns`, { content: 'hi' });
      assert.equal(q.status, 202, `turn ${i}: ${JSON.stringify(q.body)}`);
      const x = await rig.api('POST', `/v3/sessions/${id}/cancel`);
      assert.equal(x.status, 200, `cancel ${i}: ${JSON.stringify(x.body)}`);
    }
    // Every one of them can still be written to and read back, the first ones included.
    for (const i of [0, 1, n - 1]) {
      const last = async () => ((await rig.api('GET', `/v3/sessions/many${i}/events?afterSeq=0`)).body.events as Envelope[]).at(-1)!.seq;
      const was = await last();
      assert.equal((await rig.api('POST', `/v3/sessions/many${i}/turns`, { content: 'again' })).status, 202);
      assert.equal((await rig.api('POST', `/v3/sessions/many${i}/cancel`)).status, 200);
      assert.ok((await last()) > was, `session many${i} was written to again`);
    }
    await waitUntil(async () => (await rig.api('GET', '/v3/health')).body.counts.activeTurns === 0, 20000, 'every turn to end');
    // At most MAX_OPEN_EVENT_LOGS event logs stay open, whatever the number of sessions (a few sockets of slack).
    const open = fds();
    assert.ok(open <= baseline + MAX_OPEN_EVENT_LOGS + 8, `the daemon holds ${open} files open (${baseline} at start) after writing to ${n} sessions`);
    assert.equal((await rig.api('GET', '/v3/health')).body.counts.sessions, n);
  });
});
