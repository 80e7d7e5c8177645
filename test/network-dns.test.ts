// Name resolution of lmx.host (issue 22): a real name server stand-in that stalls AAAA, the doctor naming the stall within its deadline, the A-only case quiet, the facts in the bundle; the macOS Local Network signature as a table.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnLmxSim, type SpawnedLmxSim } from '../fixtures/lmx-sim/client.js';
import { sourceOf } from '../src/facts/lmx-dns.js';
import { onLocalSubnet } from '../src/facts/local-network.js';
import { localNetworkBlocked, type LocalNetworkInputs } from '../src/facts/local-network-signature.js';
import { guideHealthyReport } from '../fixtures/guide-report.js';
import { startRig } from './helpers/daemon.js';
import { startDnsStandIn, type AaaaMode, type DnsStandIn } from './helpers/dns-stand-in.js';
import { daemonConfig, freePortBlock, makeHome, OPTA_BIN, runCommand, runOpta, type RunResult, type TestHome } from './helpers/env.js';

/** As in doctor-cli.test.ts: spawning, the hard stop's 50 ms and a loaded machine's late timers. */
const DEADLINE_SLACK_MS = 300;
/** A name on a private domain: the paranoid profile redacts it as a host name. */
const NAME = 'lmx-box.lan';

const canNamespace = () => process.getuid?.() === 0 && fs.existsSync('/usr/bin/unshare');

/**
 * Runs opta in its own mount namespace whose /etc/resolv.conf names `ns` (resolver timeout 5 s, one attempt: what
 * glibc waits for an AAAA that never comes) and whose /etc/hosts holds `hostsExtra` besides localhost.
 */
async function inNamespace(h: TestHome, ns: string, args: string[], hostsExtra = ''): Promise<RunResult> {
  const rc = path.join(h.home, 'resolv.conf');
  const hosts = path.join(h.home, 'hosts');
  fs.writeFileSync(rc, `nameserver ${ns}\noptions timeout:5 attempts:1\n`);
  fs.writeFileSync(hosts, `127.0.0.1 localhost\n::1 localhost\n${hostsExtra}`);
  const script = 'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts && shift && exec "$@"';
  return runCommand('unshare', ['-m', 'sh', '-c', script, rc, hosts, process.execPath, OPTA_BIN, ...args], { env: h.env, killAfterMs: 30000 });
}

interface Finding {
  id: string;
  check: string;
  message: string;
  remediation: string;
}

/** The fact values of a support bundle (JSON) and the whole text, to look for what must not be there. */
function bundleFacts(r: RunResult): Record<string, any> {
  const b = JSON.parse(r.stdout) as { sections: Array<{ data?: { facts?: Record<string, unknown> } }> };
  const s = b.sections.find((x) => x.data?.facts);
  assert.ok(s, `a section with the doctor's facts; stderr: ${r.stderr}`);
  return s.data!.facts!;
}

describe('a name server that answers A at once', { concurrency: false }, () => {
  let sim: SpawnedLmxSim;
  before(async () => {
    sim = await spawnLmxSim();
  });
  after(async () => {
    await sim?.stop();
  });

  async function withStandIn(aaaa: AaaaMode, t: { skip(m: string): void }, body: (ns: DnsStandIn, h: TestHome) => Promise<void>, name = NAME): Promise<void> {
    if (!canNamespace()) return t.skip('needs root and unshare(1) to give opta its own /etc/resolv.conf');
    let ns: DnsStandIn;
    try {
      ns = await startDnsStandIn(name, '127.0.0.1', aaaa);
    } catch (e) {
      return t.skip(`cannot bind a DNS port on loopback: ${(e as Error).message}`);
    }
    const port = await freePortBlock(3);
    const h = makeHome({ config: daemonConfig(port, 2, { lmx: { host: name, port: sim.port } }) });
    try {
      await body(ns, h);
    } finally {
      ns.close();
      await h.cleanup();
    }
  }

  test('and never answers AAAA: the doctor names the AAAA stall and the fix, and ends by --timeout (timed from outside)', async (t) => {
    await withStandIn('never', t, async (ns, h) => {
      const r = await inNamespace(h, ns.address, ['doctor', '--timeout', '2500', '--json']);
      assert.ok(ns.seen.A > 0 && ns.seen.AAAA > 0, `the stand-in was asked for A and AAAA (seen ${JSON.stringify(ns.seen)}); stderr: ${r.stderr}`);
      assert.ok(r.ms < 2500 + DEADLINE_SLACK_MS, `ended ${r.ms} ms after it started, --timeout 2500`);
      const report = JSON.parse(r.stdout) as { findings: Finding[]; checks: Array<{ id: string; status: string }> };
      const stall = report.findings.find((f) => f.id === 'network-dns-aaaa-stall');
      assert.ok(stall, `the AAAA stall is named; findings: ${report.findings.map((f) => f.id).join(', ')}; stderr: ${r.stderr}`);
      assert.equal(stall.check, 'network');
      assert.match(stall.message, /^lmx-box\.lan resolves slowly: A answered in \d+ ms, AAAA \(IPv6\) had no answer after \d+ ms \(dns\)$/);
      assert.equal(stall.remediation, 'opta config set lmx.host 127.0.0.1');
      assert.ok(!report.findings.some((f) => f.id === 'network-dns-slow'), 'A answered fast: not "slow" as a whole');
      assert.ok(!report.findings.some((f) => f.id === 'check-timed-out' && /lmx-dns/.test(f.message)), 'the fact ended by its own bound, not the run\'s');
    });
  });

  // A .local name goes through the system resolver (getaddrinfo per family, as for mDNS). This machine's nsswitch
  // sends .local to DNS (no nss-mdns), so the stand-in answers it.
  let dotLocal: RunResult | undefined;
  test('a .local name (system resolver, as mDNS): the same stall is named, from the fact\'s own bound', async (t) => {
    await withStandIn(
      'never',
      t,
      async (ns, h) => {
        const r = (dotLocal = await inNamespace(h, ns.address, ['doctor', '--timeout', '2500', '--json']));
        assert.ok(ns.seen.AAAA > 0, `the stand-in was asked for AAAA; stderr: ${r.stderr}`);
        const report = JSON.parse(r.stdout) as { findings: Finding[] };
        const stall = report.findings.find((f) => f.id === 'network-dns-aaaa-stall');
        assert.ok(stall, `the AAAA stall is named; findings: ${report.findings.map((f) => f.id).join(', ')}`);
        assert.match(stall.message, /^lmx-box\.local resolves slowly: A answered in \d+ ms, AAAA \(IPv6\) had no answer after \d+ ms \(mdns\)$/);
      },
      'lmx-box.local',
    );
  });

  test('a .local name with a stalled AAAA: the process ends by --timeout (the system resolver runs in a child the deadline kills)', (t) => {
    if (!dotLocal) return t.skip('the .local run above did not run (needs root and unshare)');
    assert.ok(dotLocal.ms < 2500 + DEADLINE_SLACK_MS, `ended ${dotLocal.ms} ms after it started, --timeout 2500`);
  });

  test('and answers AAAA with no record at once: nothing fires, and the text output has no network line', async (t) => {
    await withStandIn('nodata', t, async (ns, h) => {
      const r = await inNamespace(h, ns.address, ['doctor', '--timeout', '4000']);
      assert.ok(ns.seen.AAAA > 0, `the stand-in was asked for AAAA; stderr: ${r.stderr}`);
      assert.match(r.stdout, /^Checking LMX\.\.\. +● reachable \(lmx-box\.lan:\d+\)$/m, r.stdout);
      assert.doesNotMatch(r.stdout, /^Checking network/m, 'a name that resolves fast says nothing');
      assert.doesNotMatch(r.stdout, /resolves slowly/);
    });
  });

  test('the support bundle holds the facts (A and AAAA apart), the host name redacted with --redact paranoid', async (t) => {
    await withStandIn('never', t, async (ns, h) => {
      const r = await inNamespace(h, ns.address, ['support', 'bundle', '--json', '--out', '-', '--redact', 'paranoid', '--timeout', '8000']);
      assert.equal(r.code, 0, r.stderr);
      const facts = bundleFacts(r);
      const dns = facts['lmx-dns'];
      assert.equal(dns.source, 'dns');
      assert.equal(dns.a.status, 'ok');
      assert.deepEqual(dns.a.addresses, ['127.0.0.1']);
      assert.equal(dns.aaaa.status, 'timeout');
      assert.ok(dns.aaaa.ms >= dns.boundMs - 5, `AAAA waited its bound: ${JSON.stringify(dns)}`);
      assert.ok(dns.a.ms < dns.aaaa.ms, 'A is timed apart from AAAA');
      assert.equal(facts['local-network'].applies, false, 'no Local Network privacy outside macOS');
      assert.ok(!r.stdout.includes(NAME), 'the host name is redacted everywhere in the bundle');
      assert.match(String(dns.host), /^\[REDACTED:host-\d+\]$|REDACTED/);
    });
  });

  test('a name in /etc/hosts: the source is the hosts file, and no query is sent', async (t) => {
    await withStandIn('never', t, async (ns, h) => {
      const r = await inNamespace(h, ns.address, ['support', 'bundle', '--json', '--out', '-', '--redact', 'minimal', '--timeout', '8000'], `127.0.0.1 ${NAME}\n`);
      assert.equal(r.code, 0, r.stderr);
      const dns = bundleFacts(r)['lmx-dns'];
      assert.equal(dns.source, 'hosts');
      assert.deepEqual(dns.a.addresses, ['127.0.0.1']);
      assert.equal(dns.aaaa.status, 'no-data');
      assert.deepEqual(ns.seen, { A: 0, AAAA: 0, other: 0 }, 'nothing asked the name server');
    });
  });
});

test('a healthy stack whose lmx.host is a name that resolves fast (AAAA: no record): still exactly the guide\'s five lines', async (t) => {
  if (!canNamespace()) return t.skip('needs root and unshare(1) to give opta its own /etc/resolv.conf');
  let ns: DnsStandIn;
  try {
    ns = await startDnsStandIn(NAME, '127.0.0.1', 'nodata');
  } catch (e) {
    return t.skip(`cannot bind a DNS port on loopback: ${(e as Error).message}`);
  }
  // The daemon runs outside the namespace (its own LMX preflight cannot resolve the name; the doctor asks LMX itself).
  const rig = await startRig({ config: { lmx: { host: NAME } } });
  try {
    const r = await inNamespace(rig.h, ns.address, ['doctor']);
    assert.ok(ns.seen.A > 0 && ns.seen.AAAA > 0, `the name was resolved through the stand-in; stderr: ${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, guideHealthyReport(rig, `${NAME}:${rig.sim.port}`));
    assert.equal(r.code, 0);
  } finally {
    ns.close();
    await rig.cleanup();
  }
});

test('an IP literal or localhost: nothing is asked, nothing to time', async () => {
  const h = makeHome({ config: { lmx: { host: '127.0.0.1', port: 1 } } });
  try {
    const r = await runOpta(h, ['support', 'bundle', '--json', '--out', '-', '--redact', 'minimal']);
    assert.equal(r.code, 0, r.stderr);
    const dns = bundleFacts(r)['lmx-dns'];
    assert.deepEqual({ source: dns.source, a: dns.a.status, aaaa: dns.aaaa.status, boundMs: dns.boundMs }, { source: 'literal', a: 'not-asked', aaaa: 'not-asked', boundMs: null });
  } finally {
    await h.cleanup();
  }
});

test('sourceOf: literal, localhost, hosts, mDNS for .local, DNS otherwise', () => {
  assert.equal(sourceOf('192.168.1.20', false), 'literal');
  assert.equal(sourceOf('fe80::1', false), 'literal');
  assert.equal(sourceOf('localhost', false), 'localhost');
  assert.equal(sourceOf('box.localhost', false), 'localhost');
  assert.equal(sourceOf('lmx-host.local', true), 'hosts');
  assert.equal(sourceOf('lmx-host.local', false), 'mdns');
  assert.equal(sourceOf('LMX-Host.Local.', false), 'mdns');
  assert.equal(sourceOf('lmx.example.com', false), 'dns');
});

test('the macOS Local Network signature: only darwin, EHOSTUNREACH/EPERM, same subnet and a gateway that answers', () => {
  const yes: LocalNetworkInputs = { platform: 'darwin', errorCode: 'EHOSTUNREACH', sameSubnet: true, gatewayAnswers: true };
  const table: Array<[Partial<LocalNetworkInputs>, boolean, string]> = [
    [{}, true, 'the signature'],
    [{ errorCode: 'EPERM' }, true, 'EPERM too'],
    [{ platform: 'linux' }, false, 'Linux has no such permission'],
    [{ platform: 'win32' }, false, 'nor Windows'],
    [{ errorCode: 'ECONNREFUSED' }, false, 'a refusal is LMX down, not the permission'],
    [{ errorCode: 'ETIMEDOUT' }, false, 'a timeout is the path'],
    [{ errorCode: null }, false, 'LMX connected'],
    [{ sameSubnet: false }, false, 'a routed host goes through the gateway: not this permission'],
    [{ sameSubnet: null }, false, 'no address known'],
    [{ gatewayAnswers: false }, false, 'the gateway is gone too: the LAN is down'],
    [{ gatewayAnswers: null }, false, 'no gateway known'],
  ];
  for (const [change, want, why] of table) assert.equal(localNetworkBlocked({ ...yes, ...change }), want, why);
  const ifaces = { en0: [{ address: '192.168.1.10', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '', internal: false, cidr: null }], lo0: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '', internal: true, cidr: null }] };
  assert.equal(onLocalSubnet('192.168.1.77', ifaces), true);
  assert.equal(onLocalSubnet('192.168.2.77', ifaces), false);
  assert.equal(onLocalSubnet('127.0.0.2', ifaces), false, 'loopback is not the LAN');
  assert.equal(onLocalSubnet('lmx-host.local', ifaces), false);
});

test('on Linux the Local Network rule does nothing, even for EHOSTUNREACH from LMX', { skip: process.platform === 'darwin' }, async () => {
  const { localNetwork } = await import('../src/facts/local-network.js');
  const v = await localNetwork.collect({ fact: async () => ({ errorCode: 'EHOSTUNREACH' }) } as never);
  assert.deepEqual({ applies: v.applies, signature: v.signature }, { applies: false, signature: false });
});
