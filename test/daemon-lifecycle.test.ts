// Integration tests of the daemon lifecycle with real processes: start/status/stop, ports, locks, guardian, reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  alive, daemonConfig, daemonPidsOfHome, freePortBlock, hashTree, holdPort, killAndWait, makeHome, readJson, runOpta, spawnOpta, treeChanges, waitUntil, type TestHome, PKG_VERSION, OPTA_BIN,
} from './helpers/env.js';
import { ensureDaemonRunning, withDaemon } from '../src/daemon/lifecycle/control.js';
import { daemonUrl } from '../src/daemon/lifecycle/inspect.js';
import { httpJson } from '../src/core/http-client.js';
import { startRig } from './helpers/daemon.js';
import { optaPaths } from '../src/core/paths.js';
import { childEnd, fetchWithin, withTimeout } from './helpers/wait.js';

interface State { pid: number; port: number; host: string; token: string; daemonId: string; startedAt: string; version: string }

async function homeWithPorts(fallback = 2, opts: { viaDefault?: boolean; extra?: Record<string, unknown> } = {}): Promise<{ h: TestHome; port: number }> {
  const port = await freePortBlock(fallback + 1);
  return { h: makeHome({ viaDefault: opts.viaDefault, config: daemonConfig(port, fallback, opts.extra) }), port };
}

async function started(h: TestHome): Promise<State> {
  const r = await runOpta(h, ['daemon', 'start']);
  assert.equal(r.code, 0, `daemon start failed: ${r.stdout}${r.stderr}`);
  return readJson<State>(h.paths.stateFile);
}

test('start, status, stop round trip in the default ~/.config/opta under a throwaway HOME', async (t) => {
  const { h, port } = await homeWithPorts(2, { viaDefault: true });
  t.after(() => h.cleanup());
  assert.equal(h.env.OPTA_HOME, undefined);

  const s0 = await runOpta(h, ['daemon', 'status']);
  assert.equal(s0.code, 1);
  assert.match(s0.stdout, /Daemon: not running/);
  assert.match(s0.stdout, /~\/\.config\/opta\/daemon\/state\.json/);

  const st = await runOpta(h, ['daemon', 'start']);
  assert.equal(st.code, 0, st.stderr);
  const state = readJson<State>(path.join(h.home, '.config', 'opta', 'daemon', 'state.json'));
  assert.match(st.stdout, new RegExp(`Daemon started \\(pid ${state.pid}, port ${port}\\)`));
  assert.equal(state.port, port);
  assert.equal(state.host, '127.0.0.1');
  assert.equal(state.version, PKG_VERSION);
  assert.match(state.token, /^[0-9a-f]{64}$/, '256-bit token');
  assert.equal(fs.statSync(h.paths.stateFile).mode & 0o777, 0o600);
  assert.equal(fs.statSync(h.paths.daemonDir).mode & 0o777, 0o700);
  assert.ok(fs.statSync(h.paths.sessionsDir).isDirectory());
  assert.equal(fs.statSync(path.join(h.paths.daemonDir, 'space.reserve')).size, 64 * 1024, 'the running daemon keeps its 64 KiB space reserve');

  const log = fs.readFileSync(h.paths.logFile, 'utf8');
  assert.match(log, new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] INFO  daemon started on 127\\.0\\.0\\.1:${port}$`, 'm'));

  const status = await runOpta(h, ['daemon', 'status']);
  assert.equal(status.code, 0);
  assert.match(status.stdout, new RegExp(`Daemon: running \\(pid ${state.pid}, port ${port}\\)`));
  assert.ok(!status.stdout.includes(state.token), 'token hidden without --show-secrets');

  const secret = await runOpta(h, ['daemon', 'status', '--json', '--show-secrets']);
  const j = JSON.parse(secret.stdout) as { status: string; state: State };
  assert.equal(j.status, 'running');
  assert.equal(j.state.token, state.token);
  const hidden = JSON.parse((await runOpta(h, ['daemon', 'status', '--json'])).stdout) as { state: State };
  assert.notEqual(hidden.state.token, state.token);

  const again = await runOpta(h, ['daemon', 'start']);
  assert.equal(again.code, 0);
  assert.match(again.stdout, new RegExp(`already running \\(pid ${state.pid}, port ${port}\\)`));

  const stop = await runOpta(h, ['daemon', 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, new RegExp(`Daemon stopped \\(pid ${state.pid}\\)`));
  assert.ok(!alive(state.pid));
  const rec = readJson<Record<string, unknown>>(h.paths.stateFile);
  assert.deepEqual([rec.status, rec.pid, rec.how, rec.token], ['stopped', state.pid, 'clean', undefined], 'stop leaves a stopped record, without the token');
  assert.ok(!fs.existsSync(path.join(h.paths.daemonDir, 'space.reserve')), 'the space reserve is removed when the daemon stops');
  const after = await runOpta(h, ['daemon', 'status']);
  assert.equal(after.code, 1);
  assert.match(after.stdout, /^Daemon: not running \(stopped cleanly at /m);
});

test('port fallback: a foreign process on the preferred port makes the daemon use the range', async (t) => {
  const { h, port } = await homeWithPorts(2);
  const holder = await holdPort(port);
  t.after(async () => { await holder.stop(); await h.cleanup(); });
  const state = await started(h);
  assert.equal(state.port, port + 1);
  assert.ok(alive(holder.pid), 'the foreign holder is untouched');
  const log = fs.readFileSync(h.paths.logFile, 'utf8');
  assert.match(log, new RegExp(`INFO  daemon started on 127\\.0\\.0\\.1:${port + 1}`));
  assert.match(log, new RegExp(`WARN  port ${port} in use, using fallback port ${port + 1}`));
  // opta names the foreign owner of the preferred port (what the guide's `lsof -i :9999` would show).
  const doc = await runOpta(h, ['doctor', '--json', '--only', 'ports,daemon']);
  const found = (JSON.parse(doc.stdout) as { findings: Array<{ id: string; message: string }> }).findings;
  assert.deepEqual(found.map((f) => f.id), ['ports-preferred-foreign'], doc.stdout);
  assert.match(found.find((f) => f.id === 'ports-preferred-foreign')!.message, new RegExp(`\\b${holder.pid}\\b`));
});

test('all ports taken: exit 1 naming each owner and the next step, and no process left behind', async (t) => {
  const { h, port } = await homeWithPorts(2);
  const holders = [await holdPort(port, 'python3'), await holdPort(port + 1), await holdPort(port + 2)];
  t.after(async () => { for (const x of holders) await x.stop(); await h.cleanup(); });
  const r = await runOpta(h, ['daemon', 'start']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`port ${port} and every fallback port \\(${port + 1}-${port + 2}\\) is in use`));
  assert.match(r.stderr, new RegExp(`${port}: python3 \\(pid ${holders[0].pid}\\)`));
  assert.match(r.stderr, new RegExp(`${port + 1}: node \\(pid ${holders[1].pid}\\)`));
  assert.match(r.stderr, new RegExp(`${port + 2}: node \\(pid ${holders[2].pid}\\)`));
  assert.match(r.stderr, new RegExp(`kill ${holders[0].pid} && opta daemon start`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.deepEqual(daemonPidsOfHome(h.optaHome), [], 'no daemon process left behind');
  assert.ok(!fs.existsSync(h.paths.stateFile));
  // The guide's recovery: stop the process holding the port, start again.
  await holders[0].stop();
  const state = await started(h);
  assert.equal(state.port, port);
});

test('twenty concurrent starts end with exactly one daemon, all reporting the same pid and port', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const runs = await Promise.all(Array.from({ length: 20 }, () => runOpta(h, ['daemon', 'start'], { timeoutMs: 60000 })));
  const state = readJson<State>(h.paths.stateFile);
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\(pid ${state.pid}, port ${state.port}\\)`));
  }
  assert.equal(runs.filter((r) => /Daemon started/.test(r.stdout)).length, 1);
  assert.deepEqual(daemonPidsOfHome(h.optaHome), [state.pid]);
});

test('kill -9: status says stale, and the crash guardian starts a new daemon with a fresh token', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const first = await started(h);
  process.kill(first.pid, 'SIGKILL');
  await waitUntil(() => !alive(first.pid), 5000, 'daemon to die');
  const home = hashTree(h.optaHome);
  const st = await runOpta(h, ['daemon', 'status']);
  assert.equal(st.code, 1);
  assert.match(st.stdout, new RegExp(`Daemon: stale \\(state.json names pid ${first.pid}`));
  assert.ok(fs.existsSync(h.paths.stateFile), 'status is read-only: the stale file stays');
  // README: status cleans nothing up; the one thing it writes is the dead run's crash report (issue 24).
  const changes = treeChanges(home, hashTree(h.optaHome));
  const report = changes.filter((c) => /^added: daemon\/crashes\/crash-[^/]+-\d+\.txt$/.test(c));
  assert.equal(report.length, 1, `one crash report: ${changes.join(', ')}`);
  assert.deepEqual(changes.filter((c) => !report.includes(c) && c !== 'added: daemon/crashes'), [], 'status changed nothing else under the home');

  const r = await ensureDaemonRunning(optaPaths(h.optaHome));
  assert.equal(r.outcome, 'started');
  assert.notEqual(r.state.pid, first.pid);
  assert.notEqual(r.state.token, first.token);
  assert.ok(r.notes.some((n) => /stale/.test(n)));
  // One policy with --fix (issue 26): the stale file is kept as state.json.stale-<time>, never deleted.
  const aside = fs.readdirSync(h.paths.daemonDir).filter((n) => n.startsWith('state.json.stale-'));
  assert.equal(aside.length, 1, fs.readdirSync(h.paths.daemonDir).join(', '));
  assert.equal(JSON.parse(fs.readFileSync(path.join(h.paths.daemonDir, aside[0]), 'utf8')).pid, first.pid);
  assert.deepEqual(daemonPidsOfHome(h.optaHome), [r.state.pid]);
  const again = await ensureDaemonRunning(optaPaths(h.optaHome));
  assert.equal(again.outcome, 'already-running');
  assert.equal(again.state.pid, r.state.pid);
});

test('the crash guardian retries once when the daemon dies between its check and the call', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const first = await started(h);
  const paths = optaPaths(h.optaHome);
  const seen: number[] = [];
  const r = await withDaemon(paths, async (state) => {
    seen.push(state.pid);
    if (seen.length === 1) {
      // The crash lands after the guardian found the daemon running, before the call reaches it.
      process.kill(state.pid, 'SIGKILL');
      await waitUntil(() => !alive(state.pid), 5000, 'daemon to die');
    }
    return httpJson(daemonUrl(state, '/v3/health'), { headers: { authorization: `Bearer ${state.token}` } });
  });
  assert.equal(seen.length, 2, 'called twice: once on the dead daemon, once on the new one');
  assert.equal(seen[0], first.pid);
  assert.notEqual(seen[1], first.pid);
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(daemonPidsOfHome(h.optaHome), [seen[1]]);
});

test("state.json deleted while running (the guide's rm && opta daemon start) still gives exactly one daemon", async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const first = await started(h);
  fs.rmSync(h.paths.stateFile);
  const st = await runOpta(h, ['daemon', 'status']);
  assert.equal(st.code, 1);
  assert.match(st.stdout, new RegExp(`answers on port ${first.port} \\(pid ${first.pid}\\)`));
  const r = await runOpta(h, ['daemon', 'start']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /already running/);
  const state = readJson<State>(h.paths.stateFile);
  assert.equal(state.pid, first.pid);
  assert.equal(state.token, first.token);
  assert.deepEqual(daemonPidsOfHome(h.optaHome), [first.pid]);
  assert.equal((await runOpta(h, ['daemon', 'status'])).code, 0);
});

test('corrupt, empty and wrong-shape state.json: status says corrupt-state; start sets the file aside and starts', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  for (const [content, cls] of [['{"pid": 12', 'not-json'], ['', 'empty'], ['{"pid":"x"}', 'wrong-shape']]) {
    fs.writeFileSync(h.paths.stateFile, content);
    const st = await runOpta(h, ['daemon', 'status', '--json']);
    assert.equal(st.code, 1);
    const j = JSON.parse(st.stdout) as { status: string; stateClass: string };
    assert.equal(j.status, 'corrupt-state');
    assert.equal(j.stateClass, cls);
    assert.equal(fs.readFileSync(h.paths.stateFile, 'utf8'), content, 'status never changes the file');
  }
  const r = await runOpta(h, ['daemon', 'start']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /state file was corrupt \(wrong-shape\); moved it to .*state\.json\.corrupt-/);
  const aside = fs.readdirSync(h.paths.daemonDir).filter((f) => f.startsWith('state.json.corrupt-'));
  assert.equal(aside.length, 1);
  assert.equal(fs.readFileSync(path.join(h.paths.daemonDir, aside[0]), 'utf8'), '{"pid":"x"}');
  assert.equal((await runOpta(h, ['daemon', 'status'])).code, 0);
});

test("the guide's literal recovery: rm state.json && opta daemon start after corruption", async (t) => {
  const { h } = await homeWithPorts(2, { viaDefault: true });
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(h.paths.stateFile, '\u0000\u0000garbage');
  fs.mkdirSync(h.paths.sessionsDir, { recursive: true });
  fs.writeFileSync(path.join(h.paths.sessionsDir, 'keep.jsonl'), 'history\n');
  const c = spawn('bash', ['-c', `rm ~/.config/opta/daemon/state.json && node ${JSON.stringify(OPTA_BIN)} daemon start`], { env: h.env, cwd: process.cwd() });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (out += d));
  const r = { code: (await childEnd(c, 30000, () => `rm state.json && opta daemon start to finish; got: ${out}`, 'close')).code, out };
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /Daemon started/);
  assert.equal(fs.readFileSync(path.join(h.paths.sessionsDir, 'keep.jsonl'), 'utf8'), 'history\n');
});

test('pid reuse: state naming a live foreign process is "foreign" and stop never signals it', async (t) => {
  const { h, port } = await homeWithPorts(2);
  const foreign = spawn('sleep', ['300'], { stdio: 'ignore' });
  h.pids.add(foreign.pid!);
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(h.paths.stateFile, JSON.stringify({ pid: foreign.pid, port, host: '127.0.0.1', token: 'f'.repeat(64), daemonId: 'old', startedAt: new Date().toISOString(), version: '1.1.0' }));
  const st = await runOpta(h, ['daemon', 'status']);
  assert.equal(st.code, 1);
  assert.match(st.stdout, new RegExp(`Daemon: foreign \\(state.json names pid ${foreign.pid}, which is "sleep 300"`));
  const stop = await runOpta(h, ['daemon', 'stop']);
  assert.equal(stop.code, 1);
  assert.match(stop.stderr, new RegExp(`not stopping pid ${foreign.pid}`));
  assert.ok(alive(foreign.pid!), 'the foreign process was not signalled');
  const start = await runOpta(h, ['daemon', 'start']);
  assert.equal(start.code, 0, start.stderr);
  assert.match(start.stdout, /left alone/);
  assert.ok(alive(foreign.pid!), 'start did not signal it either');
  assert.notEqual(readJson<State>(h.paths.stateFile).pid, foreign.pid);
});

test("another home's running daemon named by this home's state.json is foreign: status, doctor, stop and start never count or signal it", async (t) => {
  const other = await homeWithPorts(2);
  const mine = await homeWithPorts(2);
  t.after(() => Promise.all([other.h.cleanup(), mine.h.cleanup()]));
  const theirs = await started(other.h);
  // A state file copied from the other home (a restored backup, a shared dotfile repo): a live Opta daemon, not ours.
  fs.mkdirSync(mine.h.paths.daemonDir, { recursive: true, mode: 0o700 });
  fs.copyFileSync(other.h.paths.stateFile, mine.h.paths.stateFile);
  const st = await runOpta(mine.h, ['daemon', 'status']);
  assert.equal(st.code, 1);
  assert.match(st.stdout, new RegExp(`^Daemon: foreign \\(state.json names pid ${theirs.pid}, `, 'm'));
  const doc = await runOpta(mine.h, ['doctor', '--json', '--only', 'daemon']);
  assert.ok((JSON.parse(doc.stdout) as { findings: Array<{ id: string }> }).findings.some((f) => f.id === 'daemon-foreign'), doc.stdout);
  const stop = await runOpta(mine.h, ['daemon', 'stop']);
  assert.equal(stop.code, 1);
  assert.ok(alive(theirs.pid), "the other home's daemon was not signalled by stop");
  const start = await runOpta(mine.h, ['daemon', 'start']);
  assert.equal(start.code, 0, start.stderr);
  const now = readJson<State>(mine.h.paths.stateFile);
  assert.notEqual(now.pid, theirs.pid, 'this home got its own daemon');
  assert.ok(alive(theirs.pid), "the other home's daemon was not signalled by start");
  assert.equal((await runOpta(other.h, ['daemon', 'status'])).code, 0, 'the other home still has its daemon');
});

test('unresponsive: a stopped (SIGSTOP) daemon is ours but does not answer; restart replaces it', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const first = await started(h);
  process.kill(first.pid, 'SIGSTOP');
  const st = await runOpta(h, ['daemon', 'status']);
  assert.equal(st.code, 1);
  assert.match(st.stdout, new RegExp(`Daemon: unresponsive \\(pid ${first.pid}`));
  assert.match(st.stdout, /opta daemon restart/);
  const start = await runOpta(h, ['daemon', 'start']);
  assert.equal(start.code, 1);
  assert.match(start.stderr, /running but not answering.*opta daemon restart/);
  // SIGTERM cannot act on a stopped process: stop must escalate to SIGKILL after the grace period.
  const restart = await runOpta(h, ['daemon', 'restart'], { timeoutMs: 30000 });
  assert.equal(restart.code, 0, restart.stderr);
  assert.match(restart.stdout, /killed/);
  assert.ok(!alive(first.pid));
  const now = readJson<State>(h.paths.stateFile);
  assert.notEqual(now.pid, first.pid);
});

test('unresponsive, when /v3/health gives no answer to trust: a token the daemon rejects, another daemon on the port', async (t) => {
  // Status asks /v3/health alone when all is well (it names the daemon); these are the answers that make it ask
  // /v3/identity too, to say which of the two went wrong.
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const first = await started(h);
  const good = fs.readFileSync(h.paths.stateFile, 'utf8');
  fs.writeFileSync(h.paths.stateFile, JSON.stringify({ ...first, token: 'f'.repeat(64) }), { mode: 0o600 });
  const wrongToken = await runOpta(h, ['daemon', 'status']);
  assert.equal(wrongToken.code, 1);
  assert.match(wrongToken.stdout, new RegExp(`Daemon: unresponsive \\(pid ${first.pid}, port ${first.port}\\): the daemon rejects the token in state.json`), wrongToken.stdout);
  fs.writeFileSync(h.paths.stateFile, JSON.stringify({ ...first, daemonId: 'someone-else' }), { mode: 0o600 });
  const otherDaemon = await runOpta(h, ['daemon', 'status']);
  assert.equal(otherDaemon.code, 1);
  assert.match(otherDaemon.stdout, new RegExp(`unresponsive .*: port ${first.port} is answered by daemon pid ${first.pid} \\(${first.daemonId}\\), not the one state.json names`), otherDaemon.stdout);
  fs.writeFileSync(h.paths.stateFile, good, { mode: 0o600 });
  assert.equal((await runOpta(h, ['daemon', 'status'])).code, 0);
});

test('HTTP: identity answers without a token and tells nothing secret; everything else needs the bearer token', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const s = await started(h);
  const base = `http://127.0.0.1:${s.port}`;
  const id = await fetchWithin(`${base}/v3/identity`);
  assert.equal(id.status, 200);
  const idj = (await id.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(idj).sort(), ['daemonId', 'name', 'pid', 'version']);
  assert.deepEqual(idj, { name: 'opta-daemon', version: PKG_VERSION, daemonId: s.daemonId, pid: s.pid });

  for (const auth of [undefined, 'Bearer wrong', `Bearer ${s.token}x`, s.token]) {
    const r = await fetchWithin(`${base}/v3/health`, { headers: auth ? { authorization: auth } : {} });
    assert.equal(r.status, 401, `auth ${auth}`);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
  }
  // Only the WebSocket takes the token from the query string (browsers cannot set its headers); an HTTP route never
  // does, so the token stays out of URLs, proxies' logs and shell history.
  for (const route of ['/v3/health', '/v3/sessions']) {
    const q = await fetchWithin(`${base}${route}?token=${s.token}`);
    assert.equal(q.status, 401, `${route}?token=`);
  }
  const ok = await fetchWithin(`${base}/v3/health`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(ok.status, 200);
  const health = (await ok.json()) as Record<string, unknown>;
  assert.equal(health.port, s.port);
  assert.equal(typeof health.uptimeMs, 'number');
  assert.deepEqual(health.counts, { sessions: 0, activeTurns: 0, pendingPermissions: 0, wsClients: 0, loadedSessions: 0, sessionsToCheck: 0, sessionBytesAppended: 0, sessionBytes: 0 });

  // DNS rebinding: a Host that is not a loopback name is refused even with the token; so is a request with no Host
  // at all (HTTP/1.0 allows it). Raw requests, so no client library fills the header in.
  const rawStatus = (head: string) => {
    const sock = net.connect({ host: '127.0.0.1', port: s.port }, () => sock.write(head + '\r\n'));
    return withTimeout(new Promise<number>((resolve, reject) => {
      let buf = '';
      sock.on('data', (d) => (buf += d));
      sock.on('error', reject);
      sock.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(buf)?.[1] ?? 0)));
    }), 10000, `the daemon to answer and close a raw ${JSON.stringify(head.split('\r\n')[0])}`, () => sock.destroy());
  };
  const auth = `Authorization: Bearer ${s.token}\r\nConnection: close\r\n`;
  const hostCases: Array<[string, string, number]> = [
    ['no Host header (HTTP/1.0)', `GET /v3/health HTTP/1.0\r\n${auth}`, 403],
    ['Host: evil.example:80', `GET /v3/health HTTP/1.1\r\nHost: evil.example:80\r\n${auth}`, 403],
    ['Host: localhost.evil.com', `GET /v3/health HTTP/1.1\r\nHost: localhost.evil.com\r\n${auth}`, 403],
    ['Host: 127.0.0.1.evil.com', `GET /v3/health HTTP/1.1\r\nHost: 127.0.0.1.evil.com:${s.port}\r\n${auth}`, 403],
    ['Host: evil.com on identity', `GET /v3/identity HTTP/1.1\r\nHost: evil.com\r\nConnection: close\r\n`, 403],
    ['Host: localhost:port', `GET /v3/health HTTP/1.1\r\nHost: localhost:${s.port}\r\n${auth}`, 200],
    ['Host: 127.0.0.1:port', `GET /v3/health HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n${auth}`, 200],
    ['Host: [::1]:port', `GET /v3/health HTTP/1.1\r\nHost: [::1]:${s.port}\r\n${auth}`, 200],
  ];
  for (const [what, head, want] of hostCases) assert.equal(await rawStatus(head), want, what);
  const notFound = await fetchWithin(`${base}/v3/nope`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(notFound.status, 404);
  // The daemon's command line names its home (how a reused pid is told apart).
  assert.ok(fs.readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').split('\0').includes(h.optaHome));
});

test('reset: stop, remove state.json and daemon.log, start; every byte under sessions/ is kept', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const first = await started(h);
  const files: Record<string, Buffer> = {
    's1/events.jsonl': Buffer.from('{"seq":1}\n{"seq":2}\n'),
    's2/meta.json': Buffer.from('{"id":"s2"}'),
    'binary.bin': Buffer.from([0, 1, 2, 255]),
  };
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(h.paths.sessionsDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(h.paths.sessionsDir, rel), data);
  }
  fs.appendFileSync(h.paths.logFile, 'old line that reset must remove\n');
  const r = await runOpta(h, ['daemon', 'reset']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Step 1: Stop the daemon: stopped daemon pid/);
  assert.match(r.stdout, /Step 3: Start fresh: started daemon/);
  const now = readJson<State>(h.paths.stateFile);
  assert.notEqual(now.pid, first.pid);
  assert.ok(!alive(first.pid));
  assert.doesNotMatch(fs.readFileSync(h.paths.logFile, 'utf8'), /old line/);
  for (const [rel, data] of Object.entries(files)) assert.deepEqual(fs.readFileSync(path.join(h.paths.sessionsDir, rel)), data, rel);
});

test("the guide's Reset Everything, step by step as a person types it", async (t) => {
  const { h } = await homeWithPorts(2, { viaDefault: true });
  t.after(() => h.cleanup());
  const first = await started(h);
  fs.writeFileSync(path.join(h.paths.sessionsDir, 'history.jsonl'), 'mine\n');
  assert.equal((await runOpta(h, ['daemon', 'stop'])).code, 0);
  const rm = spawn('bash', ['-c', 'rm -f ~/.config/opta/daemon/state.json ~/.config/opta/daemon/daemon.log'], { env: h.env });
  assert.equal((await childEnd(rm, 10000, 'rm of state.json and daemon.log to finish', 'close')).code, 0, 'rm exits 0');
  const s = await runOpta(h, ['daemon', 'start']);
  assert.equal(s.code, 0);
  assert.notEqual(readJson<State>(h.paths.stateFile).pid, first.pid);
  assert.equal(fs.readFileSync(path.join(h.paths.sessionsDir, 'history.jsonl'), 'utf8'), 'mine\n');
});

test('a stale lock left by a dead process does not block start', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const dead = spawn('true');
  await childEnd(dead, 10000, '`true` to exit');
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(h.paths.lockFile, JSON.stringify({ pid: dead.pid, at: new Date().toISOString() }));
  await started(h);
  assert.ok(!fs.existsSync(h.paths.lockFile), 'lock released after start');
});

test('an invalid config.json stops start with a message naming the file and key, exit 1, and no daemon', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  fs.writeFileSync(h.paths.configFile, JSON.stringify({ daemon: { port: 'nine' } }));
  const r = await runOpta(h, ['daemon', 'start']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`config file ${h.paths.configFile.replace(/[.]/g, '\\.')} is invalid \\(daemon\\.port: `));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.deepEqual(daemonPidsOfHome(h.optaHome), []);
});

test('daemon run: the foreground daemon serves, logs to stderr too, refuses a second instance, and exits 0 on SIGTERM', async (t) => {
  const { h, port } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  const fg = spawnOpta(h, ['daemon', 'run']);
  t.after(() => killAndWait(fg.child.pid!));
  await waitUntil(() => fg.output().includes(`INFO  daemon started on 127.0.0.1:${port}`), 10000, 'foreground daemon to start');
  const state = readJson<State>(h.paths.stateFile);
  assert.equal((await runOpta(h, ['daemon', 'status'])).code, 0);
  const second = await runOpta(h, ['daemon', 'run']);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /already running.*Never run two/);
  const exited = childEnd(fg.child, 10000, () => `opta daemon run to exit on SIGTERM; it printed: ${fg.output()}`);
  fg.child.kill('SIGTERM');
  assert.equal((await exited).code, 0);
  assert.ok(!alive(state.pid), 'the daemon child is gone with the foreground command');
  assert.equal(readJson<Record<string, unknown>>(h.paths.stateFile).status, 'stopped', 'it left a stopped record');
});

test('daemon.host ::1 (IPv6 loopback): the daemon serves there, and the address status prints is a URL that reaches it', async (t) => {
  const { h } = await homeWithPorts(2);
  const cfg = readJson<{ daemon: Record<string, unknown> }>(h.paths.configFile);
  cfg.daemon.host = '::1';
  fs.writeFileSync(h.paths.configFile, JSON.stringify(cfg));
  t.after(() => h.cleanup());
  const s = await started(h);
  h.pids.add(s.pid);
  const status = await runOpta(h, ['daemon', 'status']);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  const address = /^ {2}address: +(\S+)$/m.exec(status.stdout)?.[1];
  assert.equal(address, `http://[::1]:${s.port}`, status.stdout);
  const res = await fetchWithin(`${address}/v3/identity`);
  assert.equal(((await res.json()) as { pid: number }).pid, s.pid);
  assert.equal((await runOpta(h, ['daemon', 'stop'])).code, 0);
});

test('a stopping daemon marks state.json stopped only while it names that daemon: another daemon\'s state, or a corrupt file, is left as it is', async (t) => {
  const { h } = await homeWithPorts(2);
  t.after(() => h.cleanup());
  for (const [what, replacement] of [
    ['a state naming another daemon', (s: State) => JSON.stringify({ ...s, daemonId: 'another-daemon-run', pid: 4242 })],
    ['a corrupt state file', () => '{"pid": 12'],
  ] as Array<[string, (s: State) => string]>) {
    const s = await started(h);
    h.pids.add(s.pid);
    const text = replacement(s);
    fs.writeFileSync(h.paths.stateFile, text, { mode: 0o600 });
    await killAndWait(s.pid, 'SIGTERM');
    assert.equal(fs.readFileSync(h.paths.stateFile, 'utf8'), text, `${what}: left as it was`);
    fs.rmSync(h.paths.stateFile);
  }
  // And the ordinary case: the daemon itself (no opta daemon stop around it) rewrites its own record as stopped.
  const s = await started(h);
  h.pids.add(s.pid);
  await killAndWait(s.pid, 'SIGTERM');
  const rec = readJson<Record<string, unknown>>(h.paths.stateFile);
  assert.deepEqual([rec.status, rec.pid, rec.daemonId, rec.how, rec.token], ['stopped', s.pid, s.daemonId, 'clean', undefined], 'its own state.json says it stopped cleanly');
  assert.equal(fs.statSync(h.paths.stateFile).mode & 0o777, 0o600);
});

test('daemon.log is rotated to daemon.log.1 past logs.maxBytes: neither file grows past the cap, and every line in both is whole', async (t) => {
  const rig = await startRig({ config: { logs: { maxBytes: 4096 } } });
  t.after(() => rig.cleanup());
  await rig.sim.setConfig({ mode: 'refuse' });
  // Each failed preflight writes one ERROR line (~70 bytes): a few hundred of them are several times the cap.
  const sessions = ['rot-a', 'rot-b', 'rot-c', 'rot-d'];
  const turns: Array<[string, string]> = [];
  for (const id of sessions) {
    await rig.api('POST', '/v3/sessions', { id });
    for (let i = 0; i < 40; i++) turns.push([id, (await rig.api('POST', `/v3/sessions/${id}/turns`, { content: `t${i}` })).body.turnId]);
  }
  await waitUntil(async () => {
    const views = (await rig.api('GET', '/v3/sessions')).body.sessions as Array<{ id: string; activeTurn: string | null; queuedTurns: number }>;
    return views.filter((v) => sessions.includes(v.id)).every((v) => v.activeTurn === null && v.queuedTurns === 0);
  }, 30000, 'every turn to end');
  const line = /^\[\d\d:\d\d:\d\d\] (DEBUG|INFO |WARN |ERROR) \S/;
  for (const file of [rig.h.paths.logFile, `${rig.h.paths.logFile}.1`]) {
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(Buffer.byteLength(text) <= 4096, `${path.basename(file)} is ${Buffer.byteLength(text)} bytes`);
    assert.ok(text.endsWith('\n'), `${path.basename(file)} ends with a whole line`);
    for (const l of text.slice(0, -1).split('\n')) assert.match(l, line, `${path.basename(file)}: ${l}`);
  }
  assert.match(rig.log(), /ERROR lmx preflight failed: ECONNREFUSED/, 'the current file has the latest lines');
});
