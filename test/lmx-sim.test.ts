// Tests for the LMX simulator fixture: every route and failure mode, driven through a real spawned process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawnLmxSim, type SpawnLmxSimArgs, type SpawnedLmxSim } from '../fixtures/lmx-sim/client.js';
import { startLmxSim } from '../fixtures/lmx-sim/server.js';
import { runCommand, type RunResult } from './helpers/env.js';
import { fetchWithin, waitUntil, withTimeout } from './helpers/wait.js';

const MAIN_JS = fileURLToPath(new URL('../fixtures/lmx-sim/main.js', import.meta.url));

async function withSim(args: SpawnLmxSimArgs, fn: (sim: SpawnedLmxSim) => Promise<void>): Promise<void> {
  const sim = await spawnLmxSim(args);
  try {
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

function controlUrl(sim: SpawnedLmxSim, path: string): string {
  return `http://127.0.0.1:${sim.controlPort}${path}`;
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetchWithin(url);
  return { status: res.status, body: await res.json() };
}

function chat(sim: SpawnedLmxSim, body: object, signal?: AbortSignal): Promise<Response> {
  return fetchWithin(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen3-30b-a3b', ...body }),
    signal,
  });
}

/** The `data:` payloads of an SSE body, in order. */
async function ssePayloads(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .flatMap((event) => event.split('\n'))
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice('data: '.length));
}

// A fresh, agent-less connection: the assertion is about what a new TCP connect gets, not about pooling.
function rawGet(url: string): Promise<number> {
  let req!: ReturnType<typeof get>;
  return withTimeout(new Promise((resolve, reject) => {
    req = get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  }), 10000, `an answer to GET ${url}`, () => req.destroy());
}

const USER_TURN = { messages: [{ role: 'user', content: 'read a.txt' }] };

test('GET /healthz answers ok and is recorded on the control port', async () => {
  await withSim({}, async (sim) => {
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(sim.port, sim.controlPort);
    const { status, body } = await getJson(`${sim.url}/healthz`);
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'ok' });

    const records = (await getJson(controlUrl(sim, '/requests'))).body;
    assert.equal(records.length, 1);
    assert.equal(records[0].method, 'GET');
    assert.equal(records[0].path, '/healthz');
    assert.equal(typeof records[0].at, 'number');

    const reset = await fetchWithin(controlUrl(sim, '/requests/reset'), { method: 'POST' });
    assert.equal(reset.status, 200);
    assert.deepEqual((await getJson(controlUrl(sim, '/requests'))).body, []);
  });
});

test('GET /readyz, guide shape: names the model, 503 without one', async () => {
  await withSim({ model: 'tiny-test-model' }, async (sim) => {
    assert.deepEqual(await getJson(`${sim.url}/readyz`), {
      status: 200,
      body: { ready: true, model: 'tiny-test-model' },
    });
    await sim.setConfig({ mode: 'nomodel' });
    assert.deepEqual(await getJson(`${sim.url}/readyz`), { status: 503, body: { ready: false } });
  });
});

test('GET /readyz, lmx shape: no model name, 503 without a model', async () => {
  await withSim({ readyzShape: 'lmx' }, async (sim) => {
    assert.deepEqual(await getJson(`${sim.url}/readyz`), {
      status: 200,
      body: { status: 'ready', version: '0.9.2', models_loaded: 1 },
    });
    await sim.setConfig({ mode: 'nomodel' });
    assert.deepEqual(await getJson(`${sim.url}/readyz`), {
      status: 503,
      body: { status: 'unavailable', reason: 'no models loaded' },
    });
  });
});

test('GET /v1/models lists the model; nomodel empties it and chat answers 503', async () => {
  await withSim({}, async (sim) => {
    assert.deepEqual(await getJson(`${sim.url}/v1/models`), {
      status: 200,
      body: { object: 'list', data: [{ id: 'qwen3-30b-a3b', object: 'model', owned_by: 'lmx' }] },
    });
    await sim.setConfig({ model: 'other-model' });
    assert.equal((await getJson(`${sim.url}/v1/models`)).body.data[0].id, 'other-model');

    await sim.setConfig({ mode: 'nomodel' });
    assert.deepEqual(await getJson(`${sim.url}/v1/models`), { status: 200, body: { object: 'list', data: [] } });
    assert.deepEqual((await getJson(`${sim.url}/healthz`)).body, { status: 'ok' });
    const res = await chat(sim, { ...USER_TURN, stream: true });
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { error: { message: 'no model loaded' } });
  });
});

test('streaming chat completion: role delta, one chunk per token, stop, [DONE]', async () => {
  await withSim({}, async (sim) => {
    const res = await chat(sim, { ...USER_TURN, stream: true });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const payloads = await ssePayloads(res);
    assert.equal(payloads.at(-1), '[DONE]');
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p));
    for (const c of chunks) {
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.model, 'qwen3-30b-a3b');
      assert.match(c.id, /^chatcmpl-/);
      assert.equal(c.id, chunks[0].id);
    }
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant' });
    const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
    assert.equal(text, 'Hello from LMX.');
    assert.equal(chunks.filter((c) => c.choices[0].delta.content !== undefined).length, 4);
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    assert.ok(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null));

    await sim.setConfig({ tokens: ['a', 'b', 'c'] });
    const again = (await ssePayloads(await chat(sim, { ...USER_TURN, stream: true }))).slice(0, -1);
    assert.equal(again.map((p) => JSON.parse(p).choices[0].delta.content ?? '').join(''), 'abc');
  });
});

test('non-streaming chat completion answers one chat.completion object', async () => {
  await withSim({}, async (sim) => {
    const res = await chat(sim, USER_TURN);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.object, 'chat.completion');
    assert.deepEqual(body.choices[0].message, { role: 'assistant', content: 'Hello from LMX.' });
    assert.equal(body.choices[0].finish_reason, 'stop');
  });
});

test('scripted tool calls stream incrementally, then a tool result gets the text answer', async () => {
  const toolCalls = [
    { name: 'read_file', arguments: { path: 'src/a.ts', lines: [1, 20] } },
    { name: 'run', arguments: { cmd: 'ls -la', note: 'ünïcode ✓ 🚀' } },
  ];
  await withSim({ toolCalls }, async (sim) => {
    const payloads = await ssePayloads(await chat(sim, { ...USER_TURN, stream: true, tools: [] }));
    assert.equal(payloads.at(-1), '[DONE]');
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p));
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant' });
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'tool_calls');
    assert.ok(chunks.every((c) => c.choices[0].delta.content === undefined), 'no text while calling tools');

    // Reassemble the way an OpenAI client does: fragments keyed by index.
    const calls: { id?: string; type?: string; name?: string; args: string; argChunks: number }[] = [];
    for (const c of chunks) {
      for (const tc of c.choices[0].delta.tool_calls ?? []) {
        const call = (calls[tc.index] ??= { args: '', argChunks: 0 });
        if (tc.id) call.id = tc.id;
        if (tc.type) call.type = tc.type;
        if (tc.function?.name) call.name = tc.function.name;
        if (tc.function?.arguments) {
          call.args += tc.function.arguments;
          call.argChunks += 1;
        }
      }
    }
    assert.equal(calls.length, 2);
    calls.forEach((call, i) => {
      assert.match(call.id ?? '', /^call_/);
      assert.equal(call.type, 'function');
      assert.equal(call.name, toolCalls[i].name);
      assert.deepEqual(JSON.parse(call.args), toolCalls[i].arguments);
      assert.ok(call.argChunks >= 2, `arguments of call ${i} split across ${call.argChunks} chunk(s)`);
    });

    const followUp = {
      stream: true,
      messages: [
        ...USER_TURN.messages,
        { role: 'assistant', content: null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function' })) },
        { role: 'tool', tool_call_id: calls[0].id, content: 'file contents' },
      ],
    };
    const answer = (await ssePayloads(await chat(sim, followUp))).slice(0, -1).map((p) => JSON.parse(p));
    assert.equal(answer.map((c) => c.choices[0].delta.content ?? '').join(''), 'Hello from LMX.');
    assert.equal(answer.at(-1).choices[0].finish_reason, 'stop');

    const whole = await (await chat(sim, USER_TURN)).json();
    assert.equal(whole.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(JSON.parse(whole.choices[0].message.tool_calls[1].function.arguments), toolCalls[1].arguments);

    // toolLoop: a model that never stops calls tools again after a tool result.
    await sim.setConfig({ toolLoop: true });
    const again = (await ssePayloads(await chat(sim, followUp))).slice(0, -1).map((p) => JSON.parse(p));
    assert.equal(again.at(-1).choices[0].finish_reason, 'tool_calls');
  });
});

test('refuse closes the main port for real (ECONNREFUSED) and ok re-listens on the same port', async () => {
  await withSim({}, async (sim) => {
    // Warm a keep-alive connection first: a pooled socket must not keep getting answers.
    assert.equal((await fetchWithin(`${sim.url}/healthz`)).status, 200);
    await sim.setConfig({ mode: 'refuse' });

    await assert.rejects(rawGet(`${sim.url}/healthz`), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ECONNREFUSED');
      return true;
    });
    await assert.rejects(fetch(`${sim.url}/healthz`), (err: Error & { cause?: { code?: string } }) => {
      assert.equal(err.cause?.code, 'ECONNREFUSED');
      return true;
    });
    assert.equal((await getJson(controlUrl(sim, '/config'))).body.mode, 'refuse');

    await sim.setConfig({ mode: 'ok' });
    assert.equal(await rawGet(`${sim.url}/healthz`), 200);
    assert.deepEqual((await getJson(`${sim.url}/healthz`)).body, { status: 'ok' });
  });
});

test('a sim started in refuse mode still reports its port and can start serving on it', async () => {
  await withSim({ mode: 'refuse' }, async (sim) => {
    await assert.rejects(rawGet(`${sim.url}/healthz`), { code: 'ECONNREFUSED' });
    await sim.setConfig({ mode: 'ok' });
    assert.equal(await rawGet(`http://127.0.0.1:${sim.port}/healthz`), 200);
  });
});

test('hang accepts and never answers; the control port keeps answering and stop() is prompt', async () => {
  const sim = await spawnLmxSim({});
  try {
    await sim.setConfig({ mode: 'hang' });
    const started = performance.now();
    await assert.rejects(fetch(`${sim.url}/healthz`, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
    assert.ok(performance.now() - started >= 290, 'aborted by our timeout, not by an early server answer');

    const { status, body } = await getJson(controlUrl(sim, '/config'));
    assert.equal(status, 200);
    assert.equal(body.mode, 'hang');
    // The request did reach the server: a hang, not a refusal.
    assert.deepEqual(
      (await getJson(controlUrl(sim, '/requests'))).body.map((r: { path: string }) => r.path),
      ['/healthz'],
    );
  } finally {
    const stopping = performance.now();
    await sim.stop();
    // Under the client's 3 s SIGKILL escalation: the sim itself dropped the hung sockets.
    assert.ok(performance.now() - stopping < 2500, 'stop() needed SIGKILL while requests were hung');
  }
});

test('slow delays headers and every SSE chunk by delayMs', async () => {
  await withSim({ mode: 'slow', delayMs: 200 }, async (sim) => {
    let started = performance.now();
    const health = await fetchWithin(`${sim.url}/healthz`);
    assert.ok(performance.now() - started >= 200, 'headers arrived before delayMs');
    assert.deepEqual(await health.json(), { status: 'ok' });

    await sim.setConfig({ delayMs: 60 });
    started = performance.now();
    const payloads = await ssePayloads(await chat(sim, { ...USER_TURN, stream: true }));
    // One delay before the headers plus one between each pair of events.
    assert.ok(performance.now() - started >= 60 * payloads.length, 'SSE chunks were not spaced by delayMs');
    assert.equal(payloads.at(-1), '[DONE]');
    assert.equal(
      payloads
        .slice(0, -1)
        .map((p) => JSON.parse(p).choices[0].delta.content ?? '')
        .join(''),
      'Hello from LMX.',
    );
  });
});

test('error500 answers every route with 500 internal error', async () => {
  await withSim({ mode: 'error500' }, async (sim) => {
    for (const path of ['/healthz', '/readyz', '/v1/models', '/no/such/route']) {
      assert.deepEqual(await getJson(`${sim.url}${path}`), { status: 500, body: { error: 'internal error' } }, path);
    }
    const res = await chat(sim, { ...USER_TURN, stream: true });
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'internal error' });
  });
});

test('malformed answers 200 application/json that is not JSON, and garbage SSE', async () => {
  await withSim({}, async (sim) => {
    await sim.setConfig({ mode: 'malformed' });
    for (const path of ['/healthz', '/readyz', '/v1/models']) {
      const res = await fetchWithin(`${sim.url}${path}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const text = await res.text();
      assert.throws(() => JSON.parse(text), SyntaxError, path);
    }
    const whole = await chat(sim, USER_TURN);
    assert.equal(whole.status, 200);
    await assert.rejects(whole.json(), SyntaxError);

    const payloads = await ssePayloads(await chat(sim, { ...USER_TURN, stream: true }));
    assert.ok(payloads.length > 0, 'expected some data lines');
    for (const p of payloads) assert.throws(() => JSON.parse(p), SyntaxError, p);
    assert.ok(!payloads.includes('[DONE]'));
  });
});

test('bad request bodies get 400 JSON, unknown routes 404 JSON, wrong methods 405', async () => {
  await withSim({}, async (sim) => {
    const bad = await fetchWithin(`${sim.url}/v1/chat/completions`, { method: 'POST', body: '{"messages": [' });
    assert.equal(bad.status, 400);
    assert.equal(typeof (await bad.json()).error.message, 'string');

    const notObject = await fetchWithin(`${sim.url}/v1/chat/completions`, { method: 'POST', body: '[1,2]' });
    assert.equal(notObject.status, 400);

    const missing = await getJson(`${sim.url}/v2/nothing`);
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /\/v2\/nothing/);

    const wrongMethod = await fetchWithin(`${sim.url}/v1/chat/completions`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    await wrongMethod.body?.cancel();
  });
});

test('control port rejects invalid patches with 400 and leaves the config alone', async () => {
  await withSim({}, async (sim) => {
    for (const patch of [{ mode: 'sideways' }, { delay_ms: 5 }, { delayMs: -1 }, { toolCalls: [{ name: 'x' }] }]) {
      const res = await fetchWithin(controlUrl(sim, '/config'), { method: 'POST', body: JSON.stringify(patch) });
      assert.equal(res.status, 400, JSON.stringify(patch));
      assert.equal(typeof (await res.json()).error, 'string');
    }
    await assert.rejects(sim.setConfig({ mode: 'sideways' as never }), /400/);
    const unchanged = (await getJson(controlUrl(sim, '/config'))).body;
    assert.equal(unchanged.mode, 'ok');
    assert.equal(unchanged.delayMs, 3000);
    assert.deepEqual(unchanged.toolCalls, []);

    const res = await fetchWithin(controlUrl(sim, '/config'), { method: 'POST', body: '{"mode":"slow","delayMs":7}' });
    assert.deepEqual(await res.json(), {
      mode: 'slow',
      readyzShape: 'guide',
      model: 'qwen3-30b-a3b',
      delayMs: 7,
      toolCalls: [],
      toolLoop: false,
      tokens: ['Hello', ' from', ' LMX', '.'],
    });
  });
});

function runMain(args: string[]): Promise<RunResult> {
  return runCommand(process.execPath, [MAIN_JS, ...args], { env: process.env });
}

test('bad CLI arguments exit 2 with a one-line error and never print ready', async () => {
  const cases = [
    [],
    ['--port', 'abc'],
    ['--port', '0', '--mode', 'bogus'],
    ['--port', '0', '--readyz-shape', 'openai'],
    ['--port', '0', '--delay-ms', '1.5'],
    ['--port', '0', '--tool-calls', '{not json'],
    ['--port', '0', '--tool-calls', '[{"name":"x","arguments":[]}]'],
    ['--port', '0', '--no-such-flag'],
  ];
  for (const args of cases) {
    const { code, stdout, stderr } = await runMain(args);
    assert.equal(code, 2, `exit code for ${JSON.stringify(args)}`);
    assert.equal(stdout, '');
    assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
    assert.match(stderr, /^lmx-sim: /);
  }
});

test('spawnLmxSim rejects with the stderr of a sim that cannot start', async () => {
  await withSim({}, async (sim) => {
    await assert.rejects(spawnLmxSim({ port: sim.port }), /EADDRINUSE/);
  });
});

test('in-process startLmxSim: config, setConfig, requests, close with a hung request', async () => {
  const sim = await startLmxSim({ port: 0, model: 'inproc' });
  try {
    assert.equal(sim.config().model, 'inproc');
    assert.equal((await fetchWithin(`${sim.url}/readyz`).then((r) => r.json())).model, 'inproc');
    assert.deepEqual(
      sim.requests().map((r) => `${r.method} ${r.path}`),
      ['GET /readyz'],
    );
    assert.throws(() => sim.setConfig({ mode: 'nope' as never }), /mode/);
    sim.setConfig({ mode: 'hang' });
    assert.equal(sim.config().mode, 'hang');
    const hung = fetchWithin(`${sim.url}/healthz`).then(
      () => 'answered',
      () => 'failed',
    );
    // Wait until the hung request has reached the server before closing under it.
    await waitUntil(() => sim.requests().length >= 2, 10000, 'the hung GET /healthz to reach the in-process simulator');
    await sim.close();
    assert.equal(await hung, 'failed');
  } finally {
    await sim.close();
  }
});
