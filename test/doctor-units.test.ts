// Unit tables for the doctor's zod-free readers (checked against the zod schemas), templates, paths, NO_PROXY matching and the fact store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSchema } from '../src/core/config.js';
import { checkConfigLite } from '../src/core/config-lite.js';
import { DaemonStateSchema } from '../src/core/state.js';
import { checkStateLite } from '../src/core/state-lite.js';
import { resolvePath } from '../src/rules/language/operators.js';
import { fillTemplate } from '../src/rules/language/template.js';
import { noProxyMatches, redactProxy } from '../src/facts/proxy-env.js';
import { FactStore } from '../src/doctor/fact-store.js';
import type { FactCollector } from '../src/facts/fact.js';
import { optaPaths } from '../src/core/paths.js';
import { parsePlain } from '../src/cli/plain-args.js';

const CONFIGS: unknown[] = [
  {}, null, [], 'x', { lmx: {} }, { lmx: null }, { lmx: { host: '' } }, { lmx: { host: 'h', port: 1 } }, { lmx: { port: 0 } }, { lmx: { port: 65536 } },
  { lmx: { port: 1.5 } }, { lmx: { port: '1234' } }, { lmx: { apiKey: 'k' } }, { lmx: { apiKey: '' } }, { lmx: { timeoutMs: 99 } }, { lmx: { timeoutMs: 600000 } },
  { lmx: { hots: 'x' } }, { extra: {} }, { daemon: { portRange: '10000-10020' } }, { daemon: { portRange: '10020-10000' } }, { daemon: { portRange: '0-10' } },
  { daemon: { portRange: '1-65536' } }, { daemon: { portRange: 'a-b' } }, { daemon: { host: '::1', port: 9999 } }, { permissions: { timeoutMs: 86400001 } },
  { logs: { maxBytes: 4095 } }, { logs: { maxBytes: 4096 } }, { tools: { memoryLimitMb: 4097 } }, { tools: { memoryLimitMb: 8 } }, { daemon: [] },
  { lmx: { port: 2 ** 60 } }, { lmx: { port: -1 } },
];

test('config-lite accepts exactly what ConfigSchema accepts, with the same defaults', () => {
  for (const c of CONFIGS) {
    const z = ConfigSchema.safeParse(c);
    const lite = checkConfigLite(c);
    assert.equal(lite.ok, z.success, JSON.stringify(c));
    if (lite.ok && z.success) assert.deepEqual(lite.config, z.data, JSON.stringify(c));
  }
});

test('state-lite accepts exactly what DaemonStateSchema accepts', () => {
  const ok = { pid: 1, port: 9999, host: '127.0.0.1', token: 'a'.repeat(32), daemonId: 'd', startedAt: 't', version: '1' };
  const cases: unknown[] = [ok, { ...ok, extra: 1 }, { ...ok, pid: 0 }, { ...ok, pid: 1.5 }, { ...ok, port: 70000 }, { ...ok, token: 'short' }, { ...ok, host: '' }, { ...ok, version: 1 }, [], null, 'x', {}];
  for (const c of cases) {
    const z = DaemonStateSchema.safeParse(c);
    const lite = checkStateLite(c);
    assert.equal(lite.ok, z.success, JSON.stringify(c));
    if (lite.ok && z.success) assert.deepEqual(lite.state, z.data);
  }
});

test('templates and paths', () => {
  const facts = { daemon: { pid: 4, orphan: null, list: [{ a: 'x' }] }, 'daemon-ports': { preferredOwnerPid: 4242 } };
  assert.equal(fillTemplate('kill {{daemon-ports.preferredOwnerPid}} && opta daemon start', facts), 'kill 4242 && opta daemon start');
  assert.equal(fillTemplate('{{daemon.orphan.port}} {{nope.x}} {{daemon.pid}}', facts), '(unknown) (unknown) 4');
  assert.equal(resolvePath(facts.daemon, '$.list[0].a'), 'x');
  assert.equal(resolvePath(facts.daemon, '$.orphan.port'), undefined);
  assert.equal(resolvePath(facts.daemon, '$.pid'), 4);
});

test('NO_PROXY matching follows curl: *, names, domain suffixes, IPs, CIDR, ports; credentials are redacted', () => {
  const table: Array<[string, string, boolean]> = [
    ['*', 'lmx-host.local', true],
    ['lmx-host.local', 'lmx-host.local', true],
    ['.local', 'lmx-host.local', true],
    ['local', 'lmx-host.local', true],
    ['host.local', 'lmx-host.local', false],
    ['example.com,lmx-host.local:1234', 'lmx-host.local', true],
    ['192.168.1.0/24', '192.168.1.20', true],
    ['192.168.1.0/24', '192.168.2.20', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['', 'lmx-host.local', false],
    ['LMX-HOST.LOCAL', 'lmx-host.local', true],
  ];
  for (const [np, host, want] of table) assert.equal(noProxyMatches(np, host) !== null, want, `${np} vs ${host}`);
  assert.equal(redactProxy('http://user:secret@proxy:3128'), 'http://****@proxy:3128');
});

test('FactStore.keepOnly forgets facts started on a guess, keeps what the needed ones used, and collects a forgotten one again', async () => {
  const runs: Record<string, number> = {};
  const fact = (id: string, deps: string[] = []): FactCollector => ({
    id,
    description: id,
    async collect(ctx) {
      runs[id] = (runs[id] ?? 0) + 1;
      for (const d of deps) await ctx.fact(d);
      return { id };
    },
  });
  const now = Date.now();
  const store = new FactStore({
    collectors: new Map([fact('a', ['b']), fact('b'), fact('c', ['d']), fact('d')].map((c) => [c.id, c])),
    paths: optaPaths('/nonexistent/opta'),
    env: {},
    deadlineAt: now + 5000,
    startedAt: now,
  });
  await Promise.all([store.get('a'), store.get('c')]);
  assert.deepEqual(store.records().map((r) => r.id).sort(), ['a', 'b', 'c', 'd']);
  store.keepOnly(['a']);
  assert.deepEqual(store.records().map((r) => r.id).sort(), ['a', 'b'], 'c and what only c used are gone; b stays, a used it');
  assert.deepEqual(await store.get('c'), { ok: true, id: 'c' });
  assert.equal(runs.c, 2, 'a forgotten fact is collected again when asked for');
  assert.equal(runs.a, 1);
});

test('parsePlain: the plain options the fast paths run without commander, and what it leaves to commander', () => {
  const opts = [
    { long: 'json', value: false },
    { long: 'verbose', short: 'v', value: false },
    { long: 'timeout', value: true },
    { long: 'lines', short: 'n', value: true },
    { long: 'only', value: true, multiple: true },
    { long: 'format', value: true, multiple: true },
    { long: 'output', value: true, multiple: true },
  ];
  const ok: Array<[string[], Record<string, unknown>]> = [
    [[], {}],
    [['--json', '-v'], { json: true, verbose: true }],
    [['--timeout', '500'], { timeout: '500' }],
    [['--timeout=500', '--timeout', '600'], { timeout: '600' }],
    [['--timeout=-5'], { timeout: '-5' }],
    [['-n', '3'], { lines: '3' }],
    [['--only', 'a,b', '--only', 'c'], { only: ['a,b', 'c'] }],
    [['--output', ''], { output: [''] }],
  ];
  for (const [args, values] of ok) assert.deepEqual(parsePlain(args, opts)?.values, values, args.join(' '));
  assert.deepEqual(parsePlain(['--format', 'junit', '--json', '--output', 'x.xml'], opts)?.order, [
    { name: 'format', value: 'junit' },
    { name: 'json', value: undefined },
    { name: 'output', value: 'x.xml' },
  ]);
  const commanders = [['--help'], ['-h'], ['-vn', '3'], ['--timeout'], ['--timeout', '-5'], ['-n', '-3'], ['--json=1'], ['extra'], ['--'], ['--no-json'], ['--Timeout', '5'], ['--unknown'], ['-x']];
  for (const args of commanders) assert.equal(parsePlain(args, opts), undefined, `${args.join(' ')} is commander's to answer`);
});
