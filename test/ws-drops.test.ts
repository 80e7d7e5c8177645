// WebSocket drops from the daemon log (issue 22): every disconnect is logged with its reason, and repeated abnormal ones become a doctor finding naming the kind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { test } from 'node:test';
import { runOpta, startRig, waitUntil, type DaemonRig } from './helpers/daemon.js';
import { ROOT } from './helpers/env.js';
import { withTimeout } from './helpers/wait.js';

/** A raw client: completes the upgrade, keeps reading, never answers a ping (a plain socket has no pong). */
async function silentClient(rig: DaemonRig, sessionId: string): Promise<net.Socket> {
  const sock = net.connect(rig.port, '127.0.0.1');
  sock.on('error', () => undefined);
  sock.write(
    `GET /v3/ws?sessionId=${sessionId}&token=${rig.token} HTTP/1.1\r\nHost: 127.0.0.1:${rig.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let got = '';
  await withTimeout(new Promise<void>((resolve) => sock.on('data', (d: Buffer) => ((got += d.toString('latin1')), got.includes('\r\n\r\n') && resolve()))), 10000, () => `the upgrade of session ${sessionId}; got ${JSON.stringify(got)}`);
  assert.match(got, /^HTTP\/1\.1 101 /);
  return sock;
}

const drops = (log: string, kind: RegExp) => log.split('\n').filter((l) => /^\[\d\d:\d\d:\d\d\] WARN  WebSocket client dropped: /.test(l) && kind.test(l));

test('clients that stop answering pings: each is dropped and logged as a heartbeat timeout; the doctor names the kind and the next step; a normal close stays INFO and the healthy doctor stays five lines', async (t) => {
  const rig = await startRig({ start: false });
  t.after(() => rig.cleanup());
  rig.h.env.OPTA_WS_HEARTBEAT_MS = '300';
  const started = await runOpta(rig.h, ['daemon', 'start']);
  assert.equal(started.code, 0, started.stdout + started.stderr);
  rig.refresh();
  assert.equal((await rig.api('POST', '/v3/sessions', { id: 'hb' })).status, 201);

  // A well-behaved client (ws answers pings): connect, outlive a few heartbeats, close normally.
  const good = await rig.ws('hb');
  await waitUntil(async () => /INFO  WebSocket client connected: session hb\n/.test(rig.log()), 5000, 'the connect line');
  await new Promise((r) => setTimeout(r, 1000)); // three heartbeats answered: no drop
  await good.close();
  await waitUntil(async () => /INFO  WebSocket client disconnected: session hb after [\d.]+ s, code 1005 \(normal close\)/.test(rig.log()), 5000, `the normal close line; log:\n${rig.log()}`);
  assert.deepEqual(drops(rig.log(), /./), [], 'a client that answers pings is not dropped');
  const healthy = await runOpta(rig.h, ['doctor']);
  assert.equal(healthy.code, 0, healthy.stdout);
  // The guide's five lines, then the verdict: the connect and normal-close lines add nothing to a healthy report.
  assert.match(healthy.stdout, /^Checking daemon\.\.\. +● running \(pid \d+, port \d+\)\nChecking LMX\.\.\. +● reachable \([^)]+\)\nChecking model\.\.\. +● loaded \([^)]+\)\nChecking config\.\.\. +● valid\nChecking permissions\.\.\. +● ok\n\nAll checks passed\.\n$/, healthy.stdout);

  const socks = await Promise.all([1, 2, 3].map(() => silentClient(rig, 'hb')));
  t.after(() => socks.forEach((s) => s.destroy()));
  await waitUntil(async () => drops(rig.log(), /heartbeat/).length >= 3, 10000, 'three heartbeat drops in daemon.log');
  for (const l of drops(rig.log(), /heartbeat/)) assert.match(l, /WARN  WebSocket client dropped: session hb after [\d.]+ s, code 1006 \(heartbeat timeout: no pong within 300 ms\)$/);
  assert.ok(!rig.log().includes(rig.token), 'the token (in the query string) never reaches the log');

  const doc = await runOpta(rig.h, ['doctor']);
  assert.match(doc.stdout, /WebSocket clients were dropped 3 times since the daemon started, most by heartbeat timeout: .*no pong within 300 ms/, doc.stdout);
  assert.match(doc.stdout, /ping -c 3 <client host>/, doc.stdout);
  assert.ok(!doc.stdout.includes(rig.token));
});

test('a client process killed without a close frame: each of its sockets is logged as gone without a close frame, and the doctor names that kind', async (t) => {
  const rig = await startRig();
  t.after(() => rig.cleanup());
  assert.equal((await rig.api('POST', '/v3/sessions', { id: 'gone' })).status, 201);
  const script = `const WebSocket = require('ws'); let open = 0;
for (let i = 0; i < 3; i++) { const ws = new WebSocket(process.env.URL, { headers: { authorization: 'Bearer ' + process.env.TOKEN } });
  ws.on('open', () => { if (++open === 3) process.stdout.write('open\\n'); }); ws.on('error', (e) => { console.error(e.message); process.exit(3); }); }`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, env: { PATH: process.env.PATH, URL: `ws://127.0.0.1:${rig.port}/v3/ws?sessionId=gone`, TOKEN: rig.token }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await waitUntil(async () => out.includes('open'), 10000, `the client process to open three sockets (${out})`);
  await waitUntil(async () => (await rig.api('GET', '/v3/sessions/gone')).body.session.wsClients === 3, 5000, 'three clients counted');
  child.kill('SIGKILL');
  await waitUntil(async () => drops(rig.log(), /client gone/).length === 3, 10000, 'three "client gone" lines in daemon.log');
  for (const l of drops(rig.log(), /client gone/)) assert.match(l, /WARN  WebSocket client dropped: session gone after [\d.]+ s, code 1006 \(client gone without a close frame\)$/);
  assert.equal(drops(rig.log(), /./).length, 3, rig.log());

  const doc = await runOpta(rig.h, ['doctor']);
  assert.match(doc.stdout, /WebSocket clients were dropped 3 times since the daemon started, most often: a WebSocket client went away without a close frame 3 times/, doc.stdout);
  assert.match(doc.stdout, /opta daemon logs/, doc.stdout);
  assert.doesNotMatch(doc.stdout, /ping -c 3 <client host>/);
});

test('a daemon that stops with a client connected (one that never answers the close frame) logs no drop', async (t) => {
  const rig = await startRig();
  t.after(() => rig.cleanup());
  assert.equal((await rig.api('POST', '/v3/sessions', { id: 'bye' })).status, 201);
  const sock = await silentClient(rig, 'bye');
  t.after(() => sock.destroy());
  await waitUntil(async () => (await rig.api('GET', '/v3/sessions/bye')).body.session.wsClients === 1, 5000, 'the client to be counted');
  const stop = await runOpta(rig.h, ['daemon', 'stop']);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  assert.match(rig.log(), /INFO  daemon stopped\n$/, rig.log());
  assert.deepEqual(drops(rig.log(), /./), [], rig.log());
});
