// Event replay from a 50 MB session: exact answers from an index of byte offsets, and /v3/health stays fast meanwhile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';
import { startRig, WsRecorder, type DaemonRig, type Envelope } from './helpers/daemon.js';
import { runOpta } from './helpers/env.js';
import { TARGET_BYTES, writeBigSession, type BigSession } from './helpers/big-session.js';
import { fetchWithin, withTimeout } from './helpers/wait.js';

/** GETs a URL and counts the bytes of the answer without parsing them (the test must not be the bottleneck). */
async function drain(url: string, token: string): Promise<number> {
  const res = await fetchWithin(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  let n = 0;
  for await (const chunk of res.body!) n += (chunk as Uint8Array).length;
  return n;
}

/** Opens a WebSocket replay from seq 0 and counts the events until `expected` arrived (parsing none: cheap for the test). */
function countReplayed(rig: DaemonRig, expected: number): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${rig.port}/v3/ws?sessionId=big&afterSeq=0`, { headers: { authorization: `Bearer ${rig.token}` } });
  let n = 0;
  return withTimeout(new Promise((resolve, reject) => {
    ws.on('message', () => {
      if (++n === expected) {
        ws.close();
        resolve(n);
      }
    });
    ws.once('error', reject);
    ws.once('close', () => resolve(n));
  }), 30000, () => `the replay of session big over the WebSocket (${expected} events; ${n} came)`, () => ws.terminate());
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('event replay from a 50 MB session', () => {
  let rig: DaemonRig;
  let big: BigSession;
  before(async () => {
    rig = await startRig({ start: false });
    big = writeBigSession(path.join(rig.h.paths.sessionsDir, 'big'), 'big');
    const r = await runOpta(rig.h, ['daemon', 'start'], { timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    rig.refresh();
  });
  after(async () => rig?.cleanup());

  test('GET /events answers exactly the events after afterSeq, skipping the torn line, whatever the starting point', async () => {
    const last = big.count;
    for (const after of [last, last - 1, last - 3, big.tornAfter - 1, big.tornAfter]) {
      const r = await rig.api('GET', `/v3/sessions/big/events?afterSeq=${after}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.lastSeq, last);
      const seqs = r.body.events.map((e: Envelope) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: last - after }, (_, i) => after + 1 + i), `afterSeq=${after}`);
    }
    // The whole session, checked without parsing 50 MB in the test: its exact length, and events found verbatim.
    const res = await fetchWithin(`${rig.base}/v3/sessions/big/events?afterSeq=0`, { headers: { authorization: `Bearer ${rig.token}` } });
    const body = Buffer.from(await res.arrayBuffer());
    const head = `{"sessionId":"big","lastSeq":${last},"events":[`;
    assert.equal(body.subarray(0, head.length).toString(), head);
    assert.equal(body.length, head.length + big.eventBytes + (last - 1) + 2, 'every event once, comma-separated, nothing else');
    assert.equal(body.subarray(body.length - 2).toString(), ']}');
    for (const [seq, e] of big.sample) assert.ok(body.includes(JSON.stringify(e)), `event ${seq}`);
    assert.ok(!body.includes(big.torn), 'the torn line is not part of the answer');
  });

  test('the WebSocket replays from afterSeq near the end: exactly the missed events, then live ones', async () => {
    const ws = await WsRecorder.connect(rig, 'big', big.count - 5);
    await ws.waitFor((e) => e.seq === big.count, 10000, 'the last stored event');
    assert.deepEqual(ws.events.map((e) => e.seq), [1, 2, 3, 4, 5].map((i) => big.count - 5 + i));
    const t = await rig.api('POST', '/v3/sessions/big/turns', { content: 'one more' });
    assert.equal(t.body.seq, big.count + 1);
    await ws.turnEvent(t.body.turnId, 'turn.done');
    assert.deepEqual(ws.events.map((e) => e.seq), ws.events.map((_, i) => big.count - 4 + i));
    await ws.close();
  });

  test('a replay costs what it returns: the last few events come back at once although the session is 50 MB', async () => {
    const base = `${rig.base}/v3/sessions/big/events`;
    const tail: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await drain(`${base}?afterSeq=${big.count - 3}`, rig.token);
      tail.push(performance.now() - t0);
    }
    assert.ok(median(tail) < 50, `tail replay took ${tail.map((x) => x.toFixed(0)).join(', ')} ms`);
  });

  test('/v3/health stays fast on other connections while whole-session replays run (HTTP and WebSocket)', async () => {
    const base = `${rig.base}/v3/sessions/big/events`;
    let replaying = true;
    const replays = (async () => {
      try {
        for (let i = 0; i < 2; i++) assert.ok((await drain(`${base}?afterSeq=0`, rig.token)) > TARGET_BYTES);
        assert.equal(await countReplayed(rig, big.count), big.count);
      } finally {
        replaying = false;
      }
    })();
    // A health request every 10 ms, each on its own, whether or not the previous one was answered: a daemon that
    // blocks for a while makes every request of that while slow, not just one.
    const health: Array<Promise<number>> = [];
    const probe = async () => {
      const t0 = performance.now();
      const r = await fetchWithin(`${rig.base}/v3/health`, { headers: { authorization: `Bearer ${rig.token}` } });
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      return performance.now() - t0;
    };
    while (replaying) {
      health.push(probe());
      await new Promise((r) => setTimeout(r, 10));
    }
    await replays;
    const ms = await Promise.all(health);
    const p90 = [...ms].sort((a, b) => a - b)[Math.floor(ms.length * 0.9)];
    assert.ok(ms.length >= 20, `only ${ms.length} health requests during the replays`);
    assert.ok(median(ms) < 100, `health p50 ${median(ms).toFixed(0)} ms while replaying (${ms.length} requests, p90 ${p90.toFixed(0)} ms)`);
  });
});
