// Turns against a real LMX simulator: the start and preflight log lines, token streaming, LMX failures, WS replay, bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startRig, upgradeStatus, type DaemonRig, type Envelope, WsRecorder } from './helpers/daemon.js';
import { waitUntil } from './helpers/env.js';
import { fetchWithin } from './helpers/wait.js';

const TIME = String.raw`^\[\d\d:\d\d:\d\d\] `;
const API_KEY = 'sk-test-lmx-key-0123456789';

describe('daemon turns against LMX', () => {
  let rig: DaemonRig;
  before(async () => {
    // A short LMX timeout keeps the hang case quick; the API key is there to prove it never reaches the log.
    rig = await startRig({ config: { lmx: { timeoutMs: 600, apiKey: API_KEY } } });
  });
  after(async () => rig?.cleanup());

  test('the guide\'s start line is in daemon.log', () => {
    assert.match(rig.log(), new RegExp(`${TIME}INFO  daemon started on 127\\.0\\.0\\.1:${rig.port}$`, 'm'));
  });

  test('a turn streams the model\'s tokens as turn.token events in one envelope shape, then turn.done', async () => {
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'stream' })).status, 201);
    const ws = await rig.ws('stream', 0);
    const r = await rig.api('POST', '/v3/sessions/stream/turns', { content: 'say hello' });
    assert.equal(r.status, 202);
    assert.match(r.body.turnId, /^turn_/);
    const done = await ws.turnEvent(r.body.turnId, 'turn.done');
    const tokens = ws.events.filter((e) => e.event === 'turn.token').map((e) => e.payload.text);
    assert.deepEqual(tokens, ['Hello', ' from', ' LMX', '.']);
    assert.equal(done.payload.text, 'Hello from LMX.');
    assert.deepEqual(ws.events.map((e) => e.event), ['turn.queued', 'turn.start', 'turn.token', 'turn.token', 'turn.token', 'turn.token', 'turn.done']);
    ws.events.forEach((e, i) => {
      assert.deepEqual(Object.keys(e).sort(), ['event', 'payload', 'seq', 'sessionId', 'ts', 'v']);
      assert.equal(e.v, 1);
      assert.equal(e.sessionId, 'stream');
      assert.equal(e.seq, i + 1);
      assert.ok(!Number.isNaN(Date.parse(e.ts)));
    });
    const health = await rig.api('GET', '/v3/health');
    assert.equal(health.status, 200);
    for (const k of ['sessions', 'activeTurns', 'pendingPermissions', 'wsClients']) assert.equal(typeof health.body.counts[k], 'number', k);
    assert.equal(health.body.counts.wsClients, 1);
    await ws.close();
  });

  test('LMX refused: ERROR lmx preflight failed: ECONNREFUSED line, turn.error LMX_UNREACHABLE, socket stays open, next turn works', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'refused' });
    const ws = await rig.ws('refused', 0);
    await rig.sim.setConfig({ mode: 'refuse' });
    try {
      const r = await rig.api('POST', '/v3/sessions/refused/turns', { content: 'hello?' });
      const err = await ws.turnEvent(r.body.turnId, 'turn.error');
      assert.equal(err.payload.code, 'LMX_UNREACHABLE');
      assert.match(rig.log(), new RegExp(`${TIME}ERROR lmx preflight failed: ECONNREFUSED 127\\.0\\.0\\.1:${rig.sim.port}$`, 'm'));
      assert.equal(ws.closed, false);
      assert.equal(ws.ws.readyState, WebSocket.OPEN);
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
    const r2 = await rig.api('POST', '/v3/sessions/refused/turns', { content: 'and now?' });
    const done = await ws.turnEvent(r2.body.turnId, 'turn.done');
    assert.equal(done.payload.text, 'Hello from LMX.');
    await ws.close();
  });

  const failures: Array<[mode: 'hang' | 'malformed' | 'nomodel' | 'error500', code: string, log: RegExp]> = [
    ['hang', 'LMX_TIMEOUT', /ERROR lmx preflight failed: TIMEOUT 127\.0\.0\.1:\d+ \(no answer within 600 ms\)/],
    ['malformed', 'LMX_BAD_RESPONSE', /ERROR lmx preflight failed: bad response from 127\.0\.0\.1:\d+/],
    ['nomodel', 'LMX_NO_MODEL', /ERROR lmx preflight failed: no model loaded on 127\.0\.0\.1:\d+/],
    ['error500', 'LMX_BAD_RESPONSE', /ERROR lmx preflight failed: bad response from 127\.0\.0\.1:\d+ \(readyz answered HTTP 500\)/],
  ];
  for (const [mode, code, line] of failures) {
    test(`LMX ${mode} -> turn.error ${code} and an ERROR log line`, async () => {
      const id = `fail-${mode}`;
      await rig.api('POST', '/v3/sessions', { id });
      const ws = await rig.ws(id, 0);
      await rig.sim.setConfig({ mode });
      try {
        const r = await rig.api('POST', `/v3/sessions/${id}/turns`, { content: 'x' });
        const err = await ws.turnEvent(r.body.turnId, 'turn.error');
        assert.equal(err.payload.code, code);
        assert.match(rig.log(), line);
      } finally {
        await rig.sim.setConfig({ mode: 'ok' });
      }
      await ws.close();
    });
  }

  test('LMX\'s own readyz shape names no model: the daemon asks /v1/models, and an empty list is LMX_NO_MODEL', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'lmx-shape' });
    const ws = await rig.ws('lmx-shape', 0);
    await rig.sim.setConfig({ readyzShape: 'lmx', model: 'other-model-7b' });
    try {
      const r = await rig.api('POST', '/v3/sessions/lmx-shape/turns', { content: 'x' });
      assert.equal((await ws.turnEvent(r.body.turnId, 'turn.done')).payload.model, 'other-model-7b');
      await rig.sim.setConfig({ mode: 'nomodel' });
      const r2 = await rig.api('POST', '/v3/sessions/lmx-shape/turns', { content: 'y' });
      assert.equal((await ws.turnEvent(r2.body.turnId, 'turn.error')).payload.code, 'LMX_NO_MODEL');
    } finally {
      await rig.sim.setConfig({ mode: 'ok', readyzShape: 'guide', model: 'qwen3-30b-a3b' });
    }
    await ws.close();
  });

  test('a malformed chat stream after a good preflight is LMX_BAD_RESPONSE', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'badstream' });
    const ws = await rig.ws('badstream', 0);
    // Slow mode holds the preflight's readyz; once the simulator has it, switch so only the chat stream is garbage.
    await rig.sim.setConfig({ mode: 'slow', delayMs: 300 });
    await fetchWithin(`http://127.0.0.1:${rig.sim.controlPort}/requests/reset`, { method: 'POST' });
    const r = await rig.api('POST', '/v3/sessions/badstream/turns', { content: 'x' });
    await waitUntil(async () => {
      const seen = (await (await fetchWithin(`http://127.0.0.1:${rig.sim.controlPort}/requests`)).json()) as Array<{ path: string }>;
      return seen.some((q) => q.path === '/readyz');
    }, 5000, 'the preflight to reach the simulator');
    await rig.sim.setConfig({ mode: 'malformed' });
    try {
      const end = await ws.turnEnd(r.body.turnId);
      assert.equal(end.event, 'turn.error');
      assert.equal(end.payload.code, 'LMX_BAD_RESPONSE');
      assert.match(rig.log(), /ERROR lmx request failed: bad response from 127\.0\.0\.1:\d+ \(stream chunk is not JSON.*; turn\.error LMX_BAD_RESPONSE\n/);
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
    await ws.close();
  });

  test('reconnecting with afterSeq replays exactly the missed events, once, then live ones (no gap, no duplicate)', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'replay' });
    await rig.sim.setConfig({ mode: 'slow', delayMs: 60 });
    try {
      const first = await rig.ws('replay', 0);
      const r = await rig.api('POST', '/v3/sessions/replay/turns', { content: 'slowly' });
      await first.turnEvent(r.body.turnId, 'turn.start');
      await first.close();
      const seen = Math.max(...first.events.map((e) => e.seq));
      const second = await rig.ws('replay', seen);
      const liveOnly = await rig.ws('replay');
      const done = await second.turnEvent(r.body.turnId, 'turn.done');
      const seqs = second.events.map((e) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: done.seq - seen }, (_, i) => seen + 1 + i), 'contiguous from afterSeq+1, no duplicates');
      const all = (await rig.api('GET', '/v3/sessions/replay/events?afterSeq=0')).body.events as Envelope[];
      assert.deepEqual([...first.events, ...second.events], all.filter((e) => e.seq <= done.seq));
      // A client without afterSeq gets only what happens after it connected.
      await liveOnly.turnEvent(r.body.turnId, 'turn.done');
      assert.ok(liveOnly.events.every((e) => e.seq > seen));
      const polled = (await rig.api('GET', `/v3/sessions/replay/events?afterSeq=${done.seq - 2}`)).body;
      assert.deepEqual(polled.events.map((e: Envelope) => e.seq), [done.seq - 1, done.seq]);
      await second.close();
      await liveOnly.close();
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
  });

  test('events stored while no client was connected (the whole turn ran meanwhile) are replayed on reconnect with afterSeq', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'offline' });
    const first = await rig.ws('offline', 0);
    const r = await rig.api('POST', '/v3/sessions/offline/turns', { content: 'while away' });
    const queued = await first.turnEvent(r.body.turnId, 'turn.queued');
    await first.close();
    // What the client had when it went away; a fast turn may have sent it more before the close took effect.
    const seen = queued.seq;
    // Wait, with no socket open, until the daemon has stored the turn's end.
    let stored: Envelope[] = [];
    await waitUntil(async () => {
      stored = (await rig.api('GET', `/v3/sessions/offline/events?afterSeq=${seen}`)).body.events as Envelope[];
      return stored.some((e) => e.event === 'turn.done' || e.event === 'turn.error');
    }, 10000, 'the turn to finish while nobody listens');
    assert.ok(stored.length >= 3, `turn.start, tokens and the end were missed: ${stored.map((e) => e.event).join(',')}`);
    const back = await rig.ws('offline', seen);
    await back.waitFor((e) => e.seq === stored[stored.length - 1].seq, 5000, 'the replay of every missed event');
    assert.deepEqual(back.events, stored, 'exactly the stored events after afterSeq, in order, once');
    await back.close();
  });

  test('the WebSocket answers 401 without or with a wrong token, 403 for a foreign Host, 404 for an unknown session, 409 for a seq from the future', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'auth' });
    const status = (url: string, headers: Record<string, string> = {}) => upgradeStatus(url, headers);
    const url = `ws://127.0.0.1:${rig.port}/v3/ws?sessionId=auth`;
    assert.equal(await status(url), 401);
    assert.equal(await status(url, { authorization: 'Bearer wrong' }), 401);
    assert.equal(await status(`${url}&token=wrong`), 401);
    assert.equal(await status(`${url}&token=${rig.token}`), 101);
    assert.equal(await status(url, { authorization: `Bearer ${rig.token}`, host: 'evil.example:80' }), 403);
    assert.equal(await status(`ws://127.0.0.1:${rig.port}/v3/ws?sessionId=nope`, { authorization: `Bearer ${rig.token}` }), 404);
    assert.equal(await status(`ws://127.0.0.1:${rig.port}/v3/ws?sessionId=auth&afterSeq=-1`, { authorization: `Bearer ${rig.token}` }), 400);
    assert.equal(await status(`ws://127.0.0.1:${rig.port}/v3/ws?sessionId=auth&afterSeq=999`, { authorization: `Bearer ${rig.token}` }), 409);
    const ok = await WsRecorder.connect(rig, 'auth', 0);
    ok.send({ type: 'permission.resolve', requestId: 'perm_404', decision: 'maybe' });
    ok.ws.send('{not json');
    await waitUntil(() => ok.other.length >= 2, 5000, 'two error replies');
    assert.match(ok.other[0].error.message, /decision/);
    assert.equal(ok.other[1].error.code, 'BAD_JSON');
    assert.equal(ok.closed, false);
    await ok.close();
  });

  test('turns run one at a time per session, in the order submitted; the session shows its active turn and queue', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'order' });
    const ws = await rig.ws('order', 0);
    // Slow enough (most of a second a turn) that all four are submitted while the first still runs.
    await rig.sim.setConfig({ mode: 'slow', delayMs: 200 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await rig.api('POST', '/v3/sessions/order/turns', { content: `turn ${i}` });
        assert.equal(r.status, 202);
        assert.equal(r.body.position, i, `turn ${i} is queued behind ${i} others`);
        ids.push(r.body.turnId);
      }
      const view = (await rig.api('GET', '/v3/sessions/order')).body.session;
      assert.equal(view.activeTurn, ids[0]);
      assert.equal(view.queuedTurns, 3);
      assert.equal((await rig.api('GET', '/v3/health')).body.counts.activeTurns, 1, 'one active turn, whatever the queue');
      for (const id of ids) assert.equal((await ws.turnEnd(id)).event, 'turn.done');
      const run = ws.events.filter((e) => e.event !== 'turn.queued');
      // The events of each turn, from its start to its end, form one block: no turn starts before the previous ended.
      const blocks = run.map((e) => e.payload.turnId as string).filter((id, i, all) => i === 0 || all[i - 1] !== id);
      assert.deepEqual(blocks, ids, ws.names());
      const after = (await rig.api('GET', '/v3/sessions/order')).body.session;
      assert.equal(after.activeTurn, null);
      assert.equal(after.queuedTurns, 0);
      await waitUntil(async () => (await rig.api('GET', '/v3/health')).body.counts.activeTurns === 0, 5000, 'no active turn in /v3/health');
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
      await ws.close();
    }
  });

  test('WebSocket messages: ping gets pong; garbage, binary and wrong shapes get an error frame, and the socket stays open', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'msgs' });
    const ws = await rig.ws('msgs');
    const replies = () => ws.other.length;
    const sendRaw = async (data: string | Buffer, binary = false) => {
      const before = replies();
      ws.ws.send(data, { binary });
      await waitUntil(() => replies() > before, 5000, `a reply to ${String(data).slice(0, 30)}`);
      return ws.other[ws.other.length - 1];
    };
    assert.deepEqual(await sendRaw('{"type":"ping"}'), { type: 'pong' });
    assert.equal((await sendRaw('garbage')).error.code, 'BAD_JSON');
    assert.equal((await sendRaw(Buffer.from([0, 255, 1]), true)).error.code, 'BAD_JSON');
    for (const bad of ['null', '[]', '{"type":"nope"}', '{"type":"permission.resolve"}']) assert.equal((await sendRaw(bad)).error.code, 'BAD_REQUEST', bad);
    assert.equal((await sendRaw('{"type":"permission.resolve","requestId":"perm_404","decision":"allow"}')).error.code, 'PERMISSION_NOT_PENDING');
    assert.deepEqual(await sendRaw('{"type":"ping"}'), { type: 'pong' }, 'still answering');
    assert.equal(ws.closed, false);
    assert.deepEqual(ws.events, [], 'no events were made up');
    await ws.close();
  });

  test('bad input gets 4xx JSON errors naming the problem, and the daemon keeps serving', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'input' });
    const cases: Array<[string, string, unknown, { raw?: string }, number, string, RegExp?]> = [
      ['POST', '/v3/sessions/input/turns', undefined, { raw: '{"content": "x"' }, 400, 'BAD_JSON'],
      ['POST', '/v3/sessions/input/turns', { content: 5 }, {}, 400, 'BAD_REQUEST', /^content: /],
      ['POST', '/v3/sessions/input/turns', { content: '' }, {}, 400, 'BAD_REQUEST', /^content: /],
      ['POST', '/v3/sessions/input/turns', {}, {}, 400, 'BAD_REQUEST', /^content: /],
      ['POST', '/v3/sessions/input/turns', ['x'], {}, 400, 'BAD_REQUEST'],
      ['POST', '/v3/sessions/input/turns', { content: 'x'.repeat(1024 * 1024 + 10) }, {}, 413, 'PAYLOAD_TOO_LARGE'],
      ['POST', '/v3/sessions/nope/turns', { content: 'x' }, {}, 404, 'SESSION_NOT_FOUND'],
      ['GET', '/v3/sessions/nope', undefined, {}, 404, 'SESSION_NOT_FOUND'],
      ['POST', '/v3/sessions/nope/cancel', undefined, {}, 404, 'SESSION_NOT_FOUND'],
      ['POST', '/v3/sessions', { id: '../escape' }, {}, 400, 'BAD_REQUEST', /^id: /],
      ['POST', '/v3/sessions', { id: 'a b' }, {}, 400, 'BAD_REQUEST', /^id: /],
      ['POST', '/v3/sessions', { id: 7 }, {}, 400, 'BAD_REQUEST', /^id: /],
      ['POST', '/v3/sessions', { id: 'ok', extra: 1 }, {}, 400, 'BAD_REQUEST'],
      ['GET', '/v3/sessions/..%2Fx', undefined, {}, 400, 'BAD_SESSION_ID'],
      ['GET', '/v3/sessions/input/events?afterSeq=abc', undefined, {}, 400, 'BAD_REQUEST', /^afterSeq: /],
      ['POST', '/v3/sessions/input/permissions/perm_001', { decision: 'maybe' }, {}, 400, 'BAD_REQUEST', /^decision: /],
      ['POST', '/v3/sessions/input/permissions/perm_001', { decision: 'allow' }, {}, 404, 'PERMISSION_NOT_PENDING'],
      ['GET', '/v3/permissions?state=resolved', undefined, {}, 400, 'BAD_REQUEST', /^state: /],
    ];
    for (const [method, path, body, opts, status, code, message] of cases) {
      const r = await rig.api(method, path, body, opts);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 40)} -> ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code, `${method} ${path}`);
      assert.equal(typeof r.body.error.message, 'string');
      if (message) assert.match(r.body.error.message, message);
    }
    const unauth = await fetchWithin(`${rig.base}/v3/sessions`);
    assert.equal(unauth.status, 401);
    assert.equal((await rig.api('GET', '/v3/health')).status, 200);
    const r = await rig.api('POST', '/v3/sessions/input/turns', { content: 'still here?' });
    assert.equal(r.status, 202);
    const ws = await rig.ws('input', 0);
    await ws.turnEvent(r.body.turnId, 'turn.done');
    await ws.close();
  });

  test('secrets (the LMX API key, the bearer token) never reach daemon.log', () => {
    const log = rig.log();
    assert.ok(log.includes('lmx preflight failed'), 'the log has LMX lines to look at');
    assert.ok(!log.includes(API_KEY));
    assert.ok(!log.includes(rig.token));
  });
});
