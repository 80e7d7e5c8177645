// The path to LMX (issue 22): connect and /healthz times through a delaying relay, the overlay warning through a veth in network namespaces, --only network, --verbose's table, the bundle.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnLmxSim } from '../fixtures/lmx-sim/client.js';
import { optaPaths } from '../src/core/paths.js';
import { runDoctorCapture } from '../src/doctor/run.js';
import { parseIpRouteGet, parseRouteGet, inCgnat } from '../src/facts/route-to.js';
import { spawnReady } from '../fixtures/net/spawn-ready.js';
import { makeHome, OPTA_BIN, runOpta, type TestHome } from './helpers/env.js';

const RELAY_JS = fileURLToPath(new URL('../fixtures/net/delay-relay.js', import.meta.url));
const SIM_JS = fileURLToPath(new URL('../fixtures/lmx-sim/main.js', import.meta.url));


interface Ran {
  id: string;
  outcome: string;
}
interface Report {
  findings: Array<{ id: string; check: string; message: string; why: string; remediation: string }>;
  rules: { ran: Ran[] };
  checks: Array<{ id: string }>;
  exitCode: number;
}

const outcome = (r: Report, id: string) => r.rules.ran.find((x) => x.id === id)?.outcome;

/** A home whose LMX is `host:port` (no daemon: the daemon check fails; the network check does not care). */
function homeFor(host: string, port: number): TestHome {
  return makeHome({ config: { lmx: { host, port, timeoutMs: 2000 } } });
}

test('a healthy local LMX: --verbose shows the path table (name, address, interface, gateway, overlay, connect and /healthz times); the plain doctor prints no network line', async (t) => {
  const sim = await spawnLmxSim({ port: 0 });
  t.after(() => sim.stop());
  const h = homeFor('127.0.0.1', sim.port);
  t.after(() => h.cleanup());
  const v = await runOpta(h, ['doctor', '--verbose']);
  const at = v.stdout.indexOf('Checking network...');
  assert.ok(at >= 0, v.stdout);
  const block = v.stdout.slice(at).split('\n\n')[0];
  assert.match(block, /^Checking network\.\.\. +● LMX at 127\.0\.0\.1:\d+ by lo \(this machine\); GET \/healthz answered 9 of 9\n/);
  for (const row of [/ name {12}127\.0\.0\.1:\d+\n/, / address {9}127\.0\.0\.1\n/, / interface {7}lo\n/, / gateway {9}none \(this machine\)\n/, / overlay {9}no\n/, / ms {14} +min +median +p95 +jitter +answered\n/, / TCP connect +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +9 of 9\n/, / GET \/healthz +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +9 of 9(\n|$)/]) {
    assert.match(block, row, block);
  }
  const plain = await runOpta(h, ['doctor']);
  assert.doesNotMatch(plain.stdout, /network/, plain.stdout);

  // A plain run takes one round of 3 samples of a path that looks fine; a thorough one (--verbose, --only network) three.
  const run = async (thorough: boolean) => (await runDoctorCapture({ paths: optaPaths(h.optaHome), env: h.env, only: ['network'], thorough })).facts['lmx-path'] as { samples: number; rounds: number };
  const few = await run(false);
  assert.deepEqual([few.samples, few.rounds], [3, 1]);
  const many = await run(true);
  assert.deepEqual([many.samples, many.rounds], [9, 3]);

  // The support bundle holds the path facts (thorough: three rounds).
  const file = path.join(h.home, 'bundle.json');
  const b = await runOpta(h, ['support', 'bundle', '--json', '--out', file], { timeoutMs: 20000 });
  assert.equal(b.code, 0, b.stderr);
  const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as { sections: Array<{ id: string; data?: { facts: Record<string, unknown> } }> };
  const fact = bundle.sections.find((x) => x.id === 'doctor-report')?.data?.facts['lmx-path'] as (Record<string, unknown> & { healthz: { ok: number }; connect: { ok: number } }) | undefined;
  assert.ok(fact, 'the bundle holds the lmx-path fact');
  assert.equal(fact.interface, 'lo');
  assert.equal(fact.overlay, false);
  assert.equal(fact.healthz.ok, 9);
  assert.equal(fact.connect.ok, 9);
});

test('LMX on this machine behind the same 150 ms relay: no latency or jitter finding (its times are CPU load, not a network path)', async (t) => {
  const sim = await spawnLmxSim({ port: 0 });
  t.after(() => sim.stop());
  const relay = await spawnReady<{ ready: true; port: number }>(process.execPath, [RELAY_JS, '--target', `127.0.0.1:${sim.port}`, '--delays-ms', '150,20']);
  t.after(() => relay.stop());
  const h = homeFor('127.0.0.1', relay.ready.port);
  t.after(() => h.cleanup());
  const r = await runOpta(h, ['doctor', '--only', 'network', '--json'], { timeoutMs: 20000 });
  const report = JSON.parse(r.stdout) as Report;
  assert.deepEqual(report.findings.filter((f) => f.check === 'network'), []);
  assert.equal(outcome(report, 'lmx-latency-high'), 'passed');
  assert.equal(outcome(report, 'lmx-jitter-high'), 'passed');
});

test('route parsing: ip route get (on-link, via a gateway, local) and macOS route -n get; CGNAT is 100.64.0.0/10 exactly', () => {
  assert.deepEqual(parseIpRouteGet('192.168.1.20 dev wlan0 src 192.168.1.5 uid 1000 \n    cache \n'), { interface: 'wlan0', gateway: null, source: '192.168.1.5', loopback: false });
  assert.deepEqual(parseIpRouteGet('10.9.0.2 via 192.168.1.1 dev eth0 src 192.168.1.5 uid 0 \n    cache \n'), { interface: 'eth0', gateway: '192.168.1.1', source: '192.168.1.5', loopback: false });
  assert.deepEqual(parseIpRouteGet('local 192.168.1.5 dev lo table local src 192.168.1.5 uid 0 \n    cache <local> \n'), { interface: 'lo', gateway: null, source: '192.168.1.5', loopback: true });
  assert.equal(parseIpRouteGet('RTNETLINK answers: Network is unreachable\n'), undefined);
  const mac = (gw: string, flags: string, iface: string) => `   route to: 192.168.1.20\ndestination: 192.168.1.20\n    gateway: ${gw}\n  interface: ${iface}\n      flags: <${flags}>\n recvpipe  sendpipe\n`;
  assert.deepEqual(parseRouteGet(mac('192.168.1.1', 'UP,GATEWAY,DONE,STATIC,PRCLONING', 'en0')), { interface: 'en0', gateway: '192.168.1.1', source: null, loopback: false });
  assert.deepEqual(parseRouteGet(mac('link#4', 'UP,HOST,DONE,LLINFO,WASCLONED,IFSCOPE', 'en0')), { interface: 'en0', gateway: null, source: null, loopback: false });
  assert.equal(parseRouteGet(mac('100.100.100.100', 'UP,GATEWAY,DONE', 'utun4'))?.interface, 'utun4');
  for (const [ip, yes] of [['100.64.0.1', true], ['100.127.255.254', true], ['100.63.255.255', false], ['100.128.0.1', false], ['10.64.0.1', false], ['::ffff:100.100.1.1', true]] as const) assert.equal(inCgnat(ip), yes, ip);
});

// ---- Network namespaces: a veth named like an overlay, and one named plainly ----

const NS_SKIP = (() => {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'creating network namespaces and veth pairs needs root';
  const probe = spawnSync('unshare', ['-n', 'ip', 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1'], { encoding: 'utf8', timeout: 10000 });
  if (probe.error || probe.status !== 0) return `unshare -n / veth do not work here: ${probe.error?.message ?? probe.stderr.trim()}`;
  return undefined;
})();

const netnsOf = (pid: number | 'self') => fs.readlinkSync(`/proc/${pid}/ns/net`);

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

/**
 * Two fresh network namespaces (each held by a sleeping `unshare -n`), joined by a veth pair: `iface` with `local` on
 * the doctor's side, `lmxpeer0` with `remote` on LMX's. Nothing is created in this process's own namespace (checked).
 */
async function veth(t: import('node:test').TestContext, iface: string, local: string, remote: string, prefix: number, delays?: number[], behind?: { lmx: string; net: string }) {
  const holder = () => spawnReady<{ ready: true }>('unshare', ['-n', process.execPath, '-e', 'console.log(JSON.stringify({ready:true})); setInterval(() => {}, 1e9)']);
  const [a, b] = await Promise.all([holder(), holder()]);
  t.after(() => a.stop());
  t.after(() => b.stop());
  const own = netnsOf('self');
  assert.notEqual(netnsOf(a.pid), own, 'the doctor side is a namespace of its own');
  assert.notEqual(netnsOf(b.pid), own, 'the LMX side is a namespace of its own');
  const inA = ['nsenter', '-t', String(a.pid), '-n'];
  const inB = ['nsenter', '-t', String(b.pid), '-n'];
  sh([...inA, 'ip', 'link', 'add', iface, 'type', 'veth', 'peer', 'name', 'lmxpeer0', 'netns', String(b.pid)]);
  sh([...inA, 'ip', 'addr', 'add', `${local}/${prefix}`, 'dev', iface]);
  sh([...inA, 'ip', 'link', 'set', iface, 'up']);
  sh([...inA, 'ip', 'link', 'set', 'lo', 'up']);
  sh([...inB, 'ip', 'addr', 'add', `${remote}/${prefix}`, 'dev', 'lmxpeer0']);
  sh([...inB, 'ip', 'link', 'set', 'lmxpeer0', 'up']);
  sh([...inB, 'ip', 'link', 'set', 'lo', 'up']);
  // LMX on another subnet, reached through B as the gateway.
  if (behind) {
    sh([...inB, 'ip', 'addr', 'add', `${behind.lmx}/32`, 'dev', 'lmxpeer0']);
    sh([...inA, 'ip', 'route', 'add', behind.net, 'via', remote, 'dev', iface]);
  }
  const lmxAt = behind?.lmx ?? remote;
  // The LMX simulator in B, on the veth's address; with delays, on B's loopback behind the relay on the veth's address.
  const sim = await spawnReady<{ ready: true; port: number }>('nsenter', [...inB.slice(1), process.execPath, SIM_JS, '--host', delays ? '127.0.0.1' : lmxAt, '--port', '0', '--control-port', '0']);
  t.after(() => sim.stop());
  let port = sim.ready.port;
  if (delays) {
    const relay = await spawnReady<{ ready: true; port: number }>('nsenter', [...inB.slice(1), process.execPath, RELAY_JS, '--host', lmxAt, '--target', `127.0.0.1:${port}`, '--delays-ms', delays.join(',')]);
    t.after(() => relay.stop());
    port = relay.ready.port;
  }
  const h = homeFor(lmxAt, port);
  t.after(() => h.cleanup());
  /** opta in A, with the test's environment. */
  const opta = async (args: string[]) => {
    const r = spawnSync('nsenter', [...inA.slice(1), process.execPath, OPTA_BIN, ...args], { env: h.env, encoding: 'utf8', timeout: 20000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const json = async (args: string[]) => {
    const r = await opta([...args, '--json']);
    assert.ok(r.code === 0 || r.code === 1, r.stdout + r.stderr);
    return JSON.parse(r.stdout) as Report;
  };
  return { opta, json };
}

test('LMX reached through a veth named tailscale0: the overlay warning fires, quoting the guide; --verbose names the interface', { skip: NS_SKIP }, async (t) => {
  const { opta } = await veth(t, 'tailscale0', '10.77.0.1', '10.77.0.2', 24);
  const r = await opta(['doctor', '--only', 'network', '--json']);
  const report = JSON.parse(r.stdout) as Report;
  const f = report.findings.find((x) => x.id === 'lmx-overlay');
  assert.ok(f, r.stdout + r.stderr);
  assert.equal(f.message, 'LMX (10.77.0.2:' + /:(\d+)/.exec(f.message)![1] + ', 10.77.0.2) is reached through an overlay network: interface tailscale0 is named like Tailscale');
  assert.match(f.why, /"Prefer direct LAN routing to the LMX host for lowest latency and fewer connection edge cases\. Overlay networks can work, but usually increase jitter and troubleshooting complexity\."/);
  assert.equal(f.remediation, "opta config set lmx.host <the LMX host's LAN address>");
  const v = await opta(['doctor', '--verbose']);
  assert.match(v.stdout, / interface {7}tailscale0\n/, v.stdout);
  assert.match(v.stdout, / gateway {9}none \(on the local subnet\)\n/, v.stdout);
  assert.match(v.stdout, / overlay {9}yes: interface tailscale0 is named like Tailscale\n/, v.stdout);
  assert.match(v.stdout, / route from {6}ip route get 10\.77\.0\.2\n/, v.stdout);
});

test('LMX at an address in 100.64.0.0/10 behind a plainly named veth: the overlay warning names the CGNAT range', { skip: NS_SKIP }, async (t) => {
  const { opta } = await veth(t, 'lan7', '100.101.0.1', '100.101.0.2', 24);
  const report = JSON.parse((await opta(['doctor', '--only', 'network', '--json'])).stdout) as Report;
  const f = report.findings.find((x) => x.id === 'lmx-overlay');
  assert.ok(f, JSON.stringify(report.findings));
  assert.match(f.message, /: 100\.101\.0\.2 is in 100\.64\.0\.0\/10, the range Tailscale and other overlays use$/);
});

test('LMX reached through a plainly named veth on a private LAN range: no overlay warning, and the plain doctor prints no network line', { skip: NS_SKIP }, async (t) => {
  const { opta } = await veth(t, 'lan7', '192.168.77.1', '192.168.77.2', 24);
  const report = JSON.parse((await opta(['doctor', '--only', 'network', '--json'])).stdout) as Report;
  assert.equal(outcome(report, 'lmx-overlay'), 'passed', JSON.stringify(report.findings));
  assert.deepEqual(report.findings.filter((f) => f.check === 'network'), []);
  const v = await opta(['doctor', '--verbose']);
  assert.match(v.stdout, / interface {7}lan7\n/, v.stdout);
  assert.match(v.stdout, / overlay {9}no\n/, v.stdout);
  // No daemon in this home: the daemon line says so; LMX, model, config and permissions are as the guide shows them.
  const plain = await opta(['doctor']);
  assert.match(plain.stdout, /Checking LMX\.\.\. +● reachable \(192\.168\.77\.2:\d+\)\n/, plain.stdout);
  assert.doesNotMatch(plain.stdout, /network/, plain.stdout);
});

test('LMX on another subnet, through a gateway on a plainly named veth: --verbose names the gateway; no overlay warning', { skip: NS_SKIP }, async (t) => {
  const { opta, json } = await veth(t, 'lan7', '192.168.79.1', '192.168.79.2', 24, undefined, { lmx: '10.79.0.2', net: '10.79.0.0/16' });
  const v = await opta(['doctor', '--verbose']);
  assert.match(v.stdout, /Checking network\.\.\. +● LMX at 10\.79\.0\.2:\d+ by lan7 via 192\.168\.79\.2; GET \/healthz answered 9 of 9\n/, v.stdout);
  assert.match(v.stdout, / gateway {9}192\.168\.79\.2\n/, v.stdout);
  assert.match(v.stdout, / route from {6}ip route get 10\.79\.0\.2\n/, v.stdout);
  assert.equal(outcome(await json(['doctor', '--only', 'network']), 'lmx-overlay'), 'passed');
});

// ---- The relay: LMX across a real (veth) network, each connection's chunks held back by the relay ----

test('through a relay adding 40-80 ms each way (round trips 80-160 ms, jitter ~33 ms): latency and jitter stay quiet; --only network runs just the network check', { skip: NS_SKIP }, async (t) => {
  const { opta, json } = await veth(t, 'lan7', '192.168.78.1', '192.168.78.2', 24, [40, 60, 80]);
  const r = await json(['doctor', '--only', 'network']);
  assert.deepEqual(r.findings.filter((f) => f.check !== 'doctor'), [], JSON.stringify(r.findings));
  assert.equal(outcome(r, 'lmx-latency-high'), 'passed');
  assert.equal(outcome(r, 'lmx-jitter-high'), 'passed');
  assert.equal(outcome(r, 'lmx-overlay'), 'passed');
  assert.deepEqual([...new Set(r.rules.ran.map((x) => x.id).filter((id) => !['check-failed', 'check-timed-out'].includes(id)))].sort(), ['lmx-jitter-high', 'lmx-latency-high', 'lmx-overlay', 'network-dns-aaaa-stall', 'network-dns-slow', 'network-local-privacy']);
  const text = await opta(['doctor', '--only', 'network']);
  assert.equal(text.code, 0, text.stdout + text.stderr);
  assert.equal(text.stdout, '\nAll checks passed.\n', 'a quiet network check prints nothing but the verdict');
});

test('through a relay adding 20/100/180 ms each way (round trips 40-360 ms, median 200): the jitter rule fires, the latency rule stays quiet', { skip: NS_SKIP }, async (t) => {
  const { opta, json } = await veth(t, 'lan7', '192.168.78.1', '192.168.78.2', 24, [20, 100, 180]);
  const r = await json(['doctor', '--only', 'network']);
  assert.equal(outcome(r, 'lmx-jitter-high'), 'fired', JSON.stringify(r.findings));
  assert.equal(outcome(r, 'lmx-latency-high'), 'passed', JSON.stringify(r.findings));
  const f = r.findings.find((x) => x.id === 'lmx-jitter-high')!;
  assert.match(f.message, /^the round trip to LMX \(192\.168\.78\.2:\d+\) varies by (\d+(\.\d)?) ms \(standard deviation of \d+ GET \/healthz, \d+(\.\d)? to \d+(\.\d)? ms\); above 50 ms$/);
  assert.ok(Number(/varies by ([\d.]+)/.exec(f.message)![1]) > 50, f.message);
  assert.equal(f.remediation, 'ping -c 10 192.168.78.2');
  assert.match(f.why, /usually increase jitter/);
  const text = await opta(['doctor', '--only', 'network']);
  assert.equal(text.code, 0, 'a warning');
  assert.match(text.stdout, /^Checking network\.\.\. +● the round trip to LMX .* varies by/);
});

test('through a relay adding 150 ms each way (round trips ~300 ms, no jitter): the latency rule fires, the jitter rule stays quiet; the plain doctor shows it', { skip: NS_SKIP }, async (t) => {
  const { opta, json } = await veth(t, 'lan7', '192.168.78.1', '192.168.78.2', 24, [150]);
  const r = await json(['doctor', '--only', 'network']);
  assert.equal(outcome(r, 'lmx-latency-high'), 'fired', JSON.stringify(r.findings));
  assert.equal(outcome(r, 'lmx-jitter-high'), 'passed', JSON.stringify(r.findings));
  const f = r.findings.find((x) => x.id === 'lmx-latency-high')!;
  assert.match(f.message, /^LMX \(192\.168\.78\.2:\d+\) is slow to reach: GET \/healthz takes (\d+(\.\d)?) ms \(median of \d+, p95 [\d.]+ ms\), a TCP connect [\d.]+ ms; above 250 ms and 150 ms$/);
  assert.ok(Number(/takes ([\d.]+)/.exec(f.message)![1]) > 250, f.message);
  assert.equal(f.remediation, 'ping -c 3 192.168.78.2');
  const plain = await opta(['doctor']);
  assert.match(plain.stdout, /\nChecking network\.\.\. +● LMX \(192\.168\.78\.2:\d+\) is slow to reach/, plain.stdout);
});
