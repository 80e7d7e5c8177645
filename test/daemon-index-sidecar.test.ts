// Issue 23: a session's index is built by scanning bytes and kept in a sidecar (daemon/session-index/<id>.idx) that is believed only while it matches the events file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Index, readSidecar, writeSidecar } from '../src/daemon/server/event-index.js';
import { startRig, type DaemonRig, type Envelope } from './helpers/daemon.js';
import { runOpta, waitUntil } from './helpers/env.js';
import { writeBigSession } from './helpers/big-session.js';

/** The events of an events.jsonl as a fresh full parse sees them: whole envelopes, increasing seq, first of each seq. */
function eventsOf(file: string): Envelope[] {
  const out: Envelope[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    let e: Envelope;
    try {
      e = JSON.parse(line) as Envelope;
    } catch {
      continue;
    }
    if (e && e.v === 1 && typeof e.seq === 'number' && (!out.length || e.seq > out[out.length - 1].seq)) out.push(e);
  }
  return out;
}

describe('the index sidecar', () => {
  let rig: DaemonRig;
  let sidecar: string;
  let events: string;
  before(async () => {
    rig = await startRig({ start: false });
    const dir = path.join(rig.h.paths.sessionsDir, 'side');
    // 4 MB: above the 1 MiB from which a read leaves a sidecar.
    writeBigSession(dir, 'side', 4 * 1024 * 1024);
    events = path.join(dir, 'events.jsonl');
    sidecar = path.join(rig.h.paths.daemonDir, 'session-index', 'side.idx');
  });
  after(async () => rig?.cleanup());

  async function restart(): Promise<void> {
    if (fs.existsSync(rig.h.paths.stateFile) && !/"status"\s*:\s*"stopped"/.test(fs.readFileSync(rig.h.paths.stateFile, 'utf8'))) {
      assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    }
    const r = await runOpta(rig.h, ['daemon', 'start'], { timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
  }

  const replay = async () => (await rig.api('GET', '/v3/sessions/side/events?afterSeq=0')).body.events as Envelope[];
  const warnings = () => rig.log().split('\n').filter((l) => l.includes('session side: index sidecar not used'));

  test('written outside sessions/ after the first read, believed at the next; a torn or stale one is detected, not believed, and rebuilt', async () => {
    const expected = eventsOf(events);
    await restart();
    assert.deepEqual(await replay(), expected, 'the first read (a scan)');
    await waitUntil(() => fs.existsSync(sidecar), 30000, 'the sidecar to be written');
    assert.deepEqual(fs.readdirSync(path.dirname(events)).sort(), ['events.jsonl', 'meta.json'], 'nothing but the history in the session directory');
    const whole = fs.readFileSync(sidecar);

    await restart();
    assert.deepEqual(await replay(), expected, 'read with the sidecar');
    assert.deepEqual(warnings(), [], 'a sidecar that matches is believed without a word');

    // Torn: cut short (a write that never finished).
    fs.writeFileSync(sidecar, whole.subarray(0, whole.length - 100));
    await restart();
    assert.deepEqual(await replay(), expected, 'a torn sidecar is not believed');
    assert.match(warnings().join('\n'), /index sidecar not used: torn/);
    await waitUntil(() => fs.existsSync(sidecar) && fs.readFileSync(sidecar).equals(whole), 30000, 'the sidecar to be rebuilt whole');

    // Torn: one byte of an event's offset changed, the length as it was.
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 8 * 1000] ^= 0x40;
    fs.writeFileSync(sidecar, flipped);
    await restart();
    assert.deepEqual(await replay(), expected, 'a sidecar whose checksum fails is not believed');
    assert.equal(warnings().filter((l) => /torn \(its checksum/.test(l)).length, 1);
    await waitUntil(() => fs.readFileSync(sidecar).equals(whole), 30000, 'the sidecar to be rebuilt whole');

    // Stale: the events file is not the one it describes (a backup put back, with one early event made longer): every
    // offset after it moved, the file is longer than the sidecar covers, and the sidecar, whole as it is, would replay
    // pieces of lines.
    assert.equal((await runOpta(rig.h, ['daemon', 'stop'])).code, 0);
    const lines = fs.readFileSync(events, 'utf8').split('\n');
    const tenth = JSON.parse(lines[9]) as Envelope;
    lines[9] = JSON.stringify({ ...tenth, payload: { ...tenth.payload, text: `${String(tenth.payload.text)} restored` } });
    fs.writeFileSync(events, lines.join('\n'));
    const restored = eventsOf(events);
    assert.match(String(restored[9].payload.text), / restored$/);
    await restart();
    assert.deepEqual(await replay(), restored, 'a stale sidecar is not believed');
    assert.match(warnings().join('\n'), /index sidecar not used: stale \(the events file does not have its last event where it says\)/);
    await waitUntil(() => !fs.readFileSync(sidecar).equals(whole), 30000, 'the sidecar to be rebuilt for the file as it is');
    await restart();
    assert.deepEqual(await replay(), restored, 'the rebuilt sidecar is believed');
    assert.equal(warnings().filter((l) => /stale/.test(l)).length, 1, 'and no longer stale');

    // Appended since the sidecar: the appended events are read from the file (a turn ends with turn.error: no LMX).
    await rig.sim.setConfig({ mode: 'ok' });
    const ws = await rig.ws('side', restored[restored.length - 1].seq);
    const r = await rig.api('POST', '/v3/sessions/side/turns', { content: 'one more' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await ws.turnEnd(r.body.turnId);
    await ws.close();
    await restart();
    assert.deepEqual(await replay(), eventsOf(events), 'events appended after the sidecar was written are replayed too');
  });
});

describe('indexing by bytes: a torn write that looks whole', () => {
  let rig: DaemonRig;
  before(async () => {
    rig = await startRig({ start: false });
  });
  after(async () => rig?.cleanup());

  /** Events in the daemon's shape whose payload nests objects, so a cut after an inner object ends in two braces. */
  function lines(id: string, n: number): string[] {
    const out: string[] = [];
    for (let seq = 1; seq <= n; seq++) out.push(JSON.stringify({ v: 1, seq, sessionId: id, event: 'turn.token', ts: '2026-11-25T10:00:00.000Z', payload: { turnId: 't1', meta: { a: { b: seq } }, text: `token ${seq}` } }));
    return out;
  }
  /** What a kill -9 mid-write leaves: the line cut right after its inner objects close (it ends with "}}"). */
  const cut = (line: string) => line.slice(0, line.indexOf('}}') + 2);

  test('mid-file, the event that repeats its seq is kept and the fragment skipped; at the end, the fragment is no event', async () => {
    const mid = lines('mid', 20);
    // After the crash the next daemon appended seq 8 again, after a newline: the fragment sits before it.
    const midFile = [...mid.slice(0, 7), cut(mid[7].replace('token 8', 'lost 8')), ...mid.slice(7)];
    const tail = lines('tail', 10);
    const tailFile = [...tail.slice(0, 9), cut(tail[9])];
    for (const [id, content] of [['mid', midFile], ['tail', tailFile]] as const) {
      const dir = path.join(rig.h.paths.sessionsDir, id);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ id, createdAt: '2026-11-25T10:00:00.000Z', workspace: null }) + '\n', { mode: 0o600 });
      fs.writeFileSync(path.join(dir, 'events.jsonl'), content.join('\n') + '\n', { mode: 0o600 });
    }
    assert.ok(cut(tail[9]).endsWith('}}') && cut(tail[9]).startsWith('{"v":1,"seq":10,'));
    const r = await runOpta(rig.h, ['daemon', 'start']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
    const got = await rig.api('GET', '/v3/sessions/mid/events?afterSeq=0');
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.deepEqual(got.body.events, mid.map((l) => JSON.parse(l)), 'every whole event once; the fragment of seq 8 is not replayed');
    const t = await rig.api('GET', '/v3/sessions/tail/events?afterSeq=0');
    assert.deepEqual(t.body.events, tail.slice(0, 9).map((l) => JSON.parse(l)), 'a fragment at the end is no event');
    assert.equal(t.body.lastSeq, 9);
    await waitUntil(() => /session mid: skipped 1 unreadable line/.test(rig.log()) && /session tail: skipped 1 unreadable line/.test(rig.log()), 10000, 'the skipped lines to be logged');
  });
});

describe('a believed sidecar leaves room to grow', () => {
  test('the events appended since it was written are indexed without copying its arrays (a million entries: 24 MB copied on the thread)', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-sidecar-room-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const events = path.join(dir, 'events.jsonl');
    const lines: string[] = [];
    const idx = new Index(4);
    let at = 0;
    for (let seq = 1; seq <= 3000; seq++) {
      const line = JSON.stringify({ v: 1, seq, sessionId: 'room', event: 'turn.token', ts: '2026-12-07T00:00:00.000Z', payload: { text: 'x' } });
      idx.push(seq, at, at + line.length);
      lines.push(line);
      at += line.length + 1;
    }
    fs.writeFileSync(events, lines.join('\n') + '\n');
    const sidecar = path.join(dir, 'room.idx');
    const fd = fs.openSync(events, 'r');
    t.after(() => fs.closeSync(fd));
    await writeSidecar(sidecar, fd, { idx, visits: [0], covered: at, skipped: 0 });
    const got = await readSidecar(sidecar, fd, at);
    assert.ok(typeof got !== 'string', `the sidecar is believed: ${String(got)}`);
    assert.equal(got.idx.n, 3000);
    assert.deepEqual([got.idx.seqs[0], got.idx.starts[2999], got.idx.lastSeq], [1, idx.starts[2999], 3000]);
    const arrays = [got.idx.seqs, got.idx.starts, got.idx.ends];
    for (let seq = 3001; seq <= 3000 + 4096; seq++) got.idx.push(seq, 0, 0);
    assert.ok(arrays.every((a, i) => a === [got.idx.seqs, got.idx.starts, got.idx.ends][i]), 'the index arrays were replaced (grown by copying) for 4,096 appended events');
  });
});
