// Each fact collector against real processes: a daemon from `opta daemon start`, the LMX simulator, foreign port holders.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { VERSION } from '../src/core/version.js';
import { factFailures } from '../src/facts/fact-failures.js';
import type { FactCollector } from '../src/facts/fact.js';
import { FactStore } from '../src/doctor/fact-store.js';
import { optaPaths } from '../src/core/paths.js';
import http from 'node:http';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { collect } from './helpers/collect.js';
import { daemonConfig, freePortBlock, holdPort, killAndWait, makeHome, waitUntil, type TestHome } from './helpers/env.js';
import { childEnd } from './helpers/wait.js';

describe('collectors against a running daemon and LMX simulator', () => {
  let rig: DaemonRig;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    rig = await startRig({ config: { permissions: { timeoutMs: 60000 } } });
    env = rig.h.env;
  });
  after(async () => rig?.cleanup());
  const home = () => rig.h.optaHome;

  test('state-file: valid, with the token redacted', async () => {
    const f = await collect('state-file', home(), env);
    assert.equal(f.class, 'valid');
    assert.equal(f.fields.pid, rig.pid);
    assert.equal(f.fields.token, '********');
    assert.ok(!JSON.stringify(f).includes(rig.token));
  });

  test('daemon: running, with pid, port, identity version and health counters', async () => {
    const f = await collect('daemon', home(), env);
    assert.equal(f.status, 'running');
    assert.equal(f.pid, rig.pid);
    assert.equal(f.port, rig.port);
    assert.equal(f.version, VERSION);
    assert.equal(f.onFallbackPort, false);
    assert.deepEqual(Object.keys(f.counts).sort(), ['activeTurns', 'loadedSessions', 'pendingPermissions', 'sessionBytes', 'sessionBytesAppended', 'sessions', 'sessionsToCheck', 'wsClients']);
    assert.ok(Object.values(f.counts).every((n) => Number.isInteger(n)), JSON.stringify(f.counts));
    assert.ok(!JSON.stringify(f).includes(rig.token));
  });

  test('daemon-ports: the preferred port is held by this daemon, the fallbacks are free', async () => {
    const f = await collect('daemon-ports', home(), env);
    assert.equal(f.preferredPort, rig.port);
    assert.equal(f.preferredHolder, 'this-daemon');
    assert.equal(f.preferredOwnerPid, rig.pid);
    assert.deepEqual(f.ports.slice(1).map((p: { holder: string }) => p.holder), ['free', 'free']);
    assert.equal(f.allTaken, false);
  });

  test('pending-permissions: served by the daemon, none pending', async () => {
    const f = await collect('pending-permissions', home(), env);
    assert.equal(f.available, true);
    assert.equal(f.count, 0);
    assert.equal(f.oldestUnattendedAgeMs, 0);
  });

  test('version: the CLI and the daemon agree', async () => {
    const f = await collect('version', home(), env);
    assert.deepEqual([f.cli, f.daemon, f.mismatch], [VERSION, VERSION, false]);
  });

  test('config, home-permissions, daemon-log, disk-space, node-version, proxy-env on the real home', async () => {
    const c = await collect('config', home(), env);
    assert.deepEqual([c.valid, c.source, c.lmx.host, c.lmx.port], [true, 'file', '127.0.0.1', rig.sim.port]);
    const p = await collect('home-permissions', home(), env);
    assert.deepEqual([p.missingCount, p.unwritableCount, p.looseCount], [0, 0, 0], JSON.stringify(p.entries));
    const l = await collect('daemon-log', home(), env);
    assert.equal(l.sizeBytes, fs.statSync(rig.h.paths.logFile).size);
    assert.ok(l.sizeBytes > 0);
    const d = await collect('disk-space', home(), env);
    const s = fs.statfsSync(rig.h.optaHome);
    assert.ok(Math.abs(d.freeBytes - s.bavail * s.bsize) < 512 * 1024 * 1024);
    const n = await collect('node-version', home(), env);
    assert.equal(n.version, process.versions.node);
    assert.ok(n.major >= 20);
    const x = await collect('proxy-env', home(), { ...env, http_proxy: 'http://u:p@proxy:3128', no_proxy: 'example.com' });
    assert.deepEqual([x.routedThroughProxy, x.proxyVars, x.proxies.http_proxy], [true, 'http_proxy', 'http://****@proxy:3128']);
    const y = await collect('proxy-env', home(), { ...env, HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '127.0.0.0/8' });
    assert.equal(y.routedThroughProxy, false);
  });

  test('lmx: guide-shaped /readyz names the model', async () => {
    const f = await collect('lmx', home(), env);
    assert.deepEqual([f.reachable, f.error, f.modelState, f.model, f.modelSource], [true, null, 'loaded', 'qwen3-30b-a3b', 'readyz']);
    assert.equal(f.address, `127.0.0.1:${rig.sim.port}`);
    assert.ok(Number.isInteger(f.latencyMs) && f.latencyMs < 2000, `latency ${f.latencyMs}`);
  });

  test('lmx: real-LMX /readyz names no model, so it comes from /v1/models', async () => {
    await rig.sim.setConfig({ readyzShape: 'lmx', model: 'llama-3.3-70b' });
    const f = await collect('lmx', home(), env);
    assert.deepEqual([f.modelState, f.model, f.modelSource, f.readyz.shape], ['loaded', 'llama-3.3-70b', 'v1/models', 'lmx']);
  });

  test('lmx: no model loaded, in both /readyz shapes', async () => {
    for (const shape of ['lmx', 'guide'] as const) {
      await rig.sim.setConfig({ mode: 'nomodel', readyzShape: shape });
      const f = await collect('lmx', home(), env);
      assert.deepEqual([f.reachable, f.modelState, f.readyz.status, f.readyz.shape], [true, 'none', 503, shape], shape);
    }
  });

  test('lmx: refused, bad answers (HTML, HTTP 500) and no answer are told apart', async () => {
    const cases: Array<[string, string]> = [['refuse', 'refused'], ['malformed', 'bad-answer'], ['error500', 'bad-answer']];
    for (const [mode, error] of cases) {
      await rig.sim.setConfig({ mode: mode as 'refuse' });
      const f = await collect('lmx', home(), env);
      assert.deepEqual([f.reachable, f.error], [false, error], `${mode}: ${f.detail}`);
    }
    await rig.sim.setConfig({ mode: 'hang' });
    const started = Date.now();
    const f = await collect('lmx', home(), env, { factTimeoutMs: 800 });
    assert.deepEqual([f.reachable, f.error, f.errorCode], [false, 'timeout', 'TIMEOUT']);
    assert.ok(Date.now() - started < 1500, 'the collector keeps to its own budget');
    await rig.sim.setConfig({ mode: 'ok', readyzShape: 'guide', model: 'qwen3-30b-a3b' });
  });

  test('lmx keeps its own timeout inside its budget even when the config fact it waits for is slow (a busy machine)', async () => {
    await rig.sim.setConfig({ mode: 'hang' });
    try {
      const { COLLECTORS } = await import('../src/facts/registry.js');
      const real = COLLECTORS.find((c) => c.id === 'config')!;
      // The real config collector, answering 300 ms late: what a starved process looks like to the lmx collector.
      const slowConfig: FactCollector = { ...real, collect: async (ctx) => { await new Promise((r) => setTimeout(r, 300)); return real.collect(ctx); } };
      const collectors = new Map<string, FactCollector>([...COLLECTORS.filter((c) => c.id !== 'config'), slowConfig].map((c) => [c.id, c]));
      const now = Date.now();
      const store = new FactStore({ collectors, paths: optaPaths(home()), env, deadlineAt: now + 5000, startedAt: now, factTimeoutMs: 1000 });
      const f = await store.get('lmx');
      assert.deepEqual([f.ok, f.reachable, f.error, f.errorCode], [true, false, 'timeout', 'TIMEOUT'], JSON.stringify(f));
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
  });

  test('a collector that runs out of time or throws becomes a fact (ok:false), and fact-failures names it and its checks', async () => {
    await rig.sim.setConfig({ mode: 'hang' });
    try {
      // Two collectors that misbehave for real: one waits on the hanging simulator with no timeout of its own, one throws.
      const slow: FactCollector = {
        id: 'slow-probe',
        description: 'GET /healthz with no timeout of its own',
        collect: (ctx) =>
          new Promise((resolve) => {
            const req = http.get(`http://127.0.0.1:${rig.sim.port}/healthz`, () => resolve({ answered: true }));
            req.on('error', () => resolve({ answered: false }));
            ctx.signal.addEventListener('abort', () => req.destroy());
          }),
      };
      const broken: FactCollector = { id: 'broken-probe', description: 'throws', collect: () => { throw new Error('boom'); } };
      const now = Date.now();
      const collectors = new Map<string, FactCollector>([slow, broken].map((c) => [c.id, c]));
      const store = new FactStore({ collectors, paths: optaPaths(home()), env, deadlineAt: now + 5000, startedAt: now, factTimeoutMs: 150 });
      const started = Date.now();
      const [s, b] = await Promise.all([store.get('slow-probe'), store.get('broken-probe')]);
      assert.deepEqual(s, { ok: false, error: 'no answer within 150 ms', timedOut: true });
      assert.ok(Date.now() - started < 1000);
      assert.deepEqual([b.ok, b.timedOut], [false, false]);
      assert.match(String(b.error), /collector "broken-probe" failed: boom/);
      const failures = factFailures({ records: () => store.records(), checksOf: (id) => (id === 'slow-probe' ? ['lmx', 'model'] : ['disk']) });
      const f = (await failures.collect({} as never)) as Record<string, any>;
      assert.deepEqual([f.timedOutCount, f.timedOutChecks, f.timedOutFacts], [1, 'lmx, model', 'slow-probe (150 ms)']);
      assert.deepEqual([f.failedCount, f.failedChecks], [1, 'disk']);
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
  });

  test('pending-permissions: a real turn waiting on a permission with no client connected', async () => {
    await rig.sim.setConfig({ toolCalls: [{ name: 'list_dir', arguments: { path: rig.h.home } }] });
    assert.equal((await rig.api('POST', '/v3/sessions', { id: 'stuck' })).status < 300, true);
    const turn = await rig.api('POST', '/v3/sessions/stuck/turns', { content: 'list it' });
    assert.ok(turn.status < 300, JSON.stringify(turn.body));
    let f: Record<string, any> = {};
    await waitUntil(async () => ((f = await collect('pending-permissions', home(), env)).count ?? 0) > 0, 10000, 'a pending permission');
    assert.equal(f.available, true);
    assert.equal(f.requests[0].sessionId, 'stuck');
    assert.equal(f.requests[0].tool, 'list_dir');
    assert.equal(f.requests[0].clientConnected, false);
    assert.equal(f.oldestUnattended.sessionId, 'stuck');
    assert.ok(!('args' in f.requests[0]), 'tool arguments are left out');
    await rig.api('POST', '/v3/sessions/stuck/cancel');
    await rig.sim.setConfig({ toolCalls: [] });
  });
});

describe('collectors against foreign and dead processes', () => {
  let h: TestHome;
  let port: number;
  before(async () => {
    port = await freePortBlock(3);
    h = makeHome({ config: daemonConfig(port, 2, { lmx: { host: 'no-such-host.invalid', port: 1 } }) });
  });
  after(async () => h?.cleanup());

  test('daemon-ports: a foreign process (python3) on the preferred port, named by pid and command; a free port is free', async () => {
    const holder = await holdPort(port, 'python3');
    h.pids.add(holder.pid);
    try {
      const f = await collect('daemon-ports', h.optaHome, h.env);
      assert.equal(f.preferredHolder, 'foreign');
      assert.equal(f.preferredOwnerPid, holder.pid);
      assert.equal(f.preferredOwnerCommand, 'python3');
      assert.equal(f.ports[1].holder, 'free');
      assert.equal(f.ports[1].listening, 'no');
    } finally {
      await holder.stop();
    }
  });

  test('daemon: state.json naming a dead pid is stale; a live non-opta pid is foreign', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await childEnd(dead, 10000, 'node -e 0 to exit');
    const state = { pid: dead.pid, port, host: '127.0.0.1', token: 'a'.repeat(64), daemonId: 'x', startedAt: new Date().toISOString(), version: VERSION };
    fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(h.paths.stateFile, JSON.stringify(state), { mode: 0o600 });
    assert.equal((await collect('daemon', h.optaHome, h.env)).status, 'stale');
    const holder = await holdPort(port + 1, 'node');
    h.pids.add(holder.pid);
    try {
      fs.writeFileSync(h.paths.stateFile, JSON.stringify({ ...state, pid: holder.pid }));
      const f = await collect('daemon', h.optaHome, h.env);
      assert.equal(f.status, 'foreign');
      assert.equal(f.commandShort, 'node');
    } finally {
      await holder.stop();
      fs.rmSync(h.paths.stateFile, { force: true });
    }
  });

  test('state-file and daemon: empty, not JSON, wrong shape', async () => {
    const cases: Array<[string, string]> = [['', 'empty'], ['{"pid": 1', 'not-json'], ['{"pid": 1}', 'wrong-shape']];
    for (const [text, cls] of cases) {
      fs.writeFileSync(h.paths.stateFile, text);
      const s = await collect('state-file', h.optaHome, h.env);
      assert.equal(s.class, cls);
      const d = await collect('daemon', h.optaHome, h.env);
      assert.deepEqual([d.status, d.stateClass], ['corrupt-state', cls]);
    }
    fs.rmSync(h.paths.stateFile, { force: true });
    assert.equal((await collect('state-file', h.optaHome, h.env)).class, 'missing');
  });

  test('lmx: a host name that does not resolve is "not-found", not "refused"', async () => {
    const f = await collect('lmx', h.optaHome, h.env);
    assert.equal(f.reachable, false);
    assert.equal(f.error, 'not-found', f.detail);
  });

  test('config: the wrong key and why; the other settings stay usable', async () => {
    fs.writeFileSync(h.paths.configFile, JSON.stringify({ lmx: { host: '127.0.0.1', port: 99999, hots: 'x' } }));
    const f = await collect('config', h.optaHome, h.env);
    assert.equal(f.valid, false);
    assert.ok(f.problems.some((p: { key: string; kind: string }) => p.key === 'lmx.port' && p.kind === 'bad-value'), JSON.stringify(f.problems));
    assert.ok(f.problems.some((p: { key: string; kind: string }) => p.key === 'lmx.hots' && p.kind === 'unknown-key'), JSON.stringify(f.problems));
    assert.equal(f.lmx.host, '127.0.0.1', 'a valid lmx.host is still used for the probe');
    assert.equal(f.lmx.port, 1234, 'an invalid lmx.port falls back to the default');
    fs.writeFileSync(h.paths.configFile, '{');
    assert.equal((await collect('config', h.optaHome, h.env)).status, 'not-json');
    fs.writeFileSync(h.paths.configFile, JSON.stringify(daemonConfig(port, 2)));
  });

  test('home-permissions: missing sessions/, loose modes, read-only access check', async () => {
    fs.rmSync(h.paths.sessionsDir, { recursive: true, force: true });
    // daemon/ writable by its group matters; 0755 would not (others could only list it).
    fs.chmodSync(h.paths.daemonDir, 0o775);
    fs.writeFileSync(h.paths.stateFile, '{}', { mode: 0o644 });
    fs.chmodSync(h.paths.stateFile, 0o644);
    const before = fs.readdirSync(h.optaHome).sort();
    const f = await collect('home-permissions', h.optaHome, h.env);
    assert.equal(f.missingCount, 1);
    assert.match(f.missingList, /sessions$/);
    assert.equal(f.looseCount, 2);
    assert.match(f.chmodCommand, /chmod 700 .*daemon && chmod 600 .*state\.json/);
    assert.match(f.looseList, /daemon is 0775 \(others can write to it\), .*state\.json is 0644 \(holds the daemon token; others can read it\)$/);
    fs.chmodSync(h.paths.daemonDir, 0o755);
    assert.equal((await collect('home-permissions', h.optaHome, h.env)).looseCount, 1, 'a 0755 directory is not loose');
    assert.deepEqual(fs.readdirSync(h.optaHome).sort(), before, 'doctor created nothing');
    fs.chmodSync(h.paths.daemonDir, 0o700);
    fs.rmSync(h.paths.stateFile);
  });
});
