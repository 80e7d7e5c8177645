// Unit tables for templates, paths, NO_PROXY matching and the fact store (the zod-free readers: config-table.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolvePath } from '../src/rules/language/operators.js';
import { fillTemplate } from '../src/rules/language/template.js';
import { noProxyMatches, redactProxy } from '../src/facts/proxy-env.js';
import { FactStore } from '../src/doctor/fact-store.js';
import { CHECKS } from '../src/rules/checks.js';
import type { FactCollector } from '../src/facts/fact.js';
import { optaPaths } from '../src/core/paths.js';
import { parsePlain } from '../src/cli/plain-args.js';

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

test('a fact cut short by a deadline that is not a whole millisecond says a whole number of ms (issue 26)', async () => {
  const never: FactCollector = { id: 'never', description: 'never answers', collect: () => new Promise(() => {}) };
  const now = Date.now();
  const store = new FactStore({ collectors: new Map([[never.id, never]]), paths: optaPaths('/nonexistent-opta-home'), env: {}, deadlineAt: now + 120.39404296875, startedAt: now });
  const v = await store.get('never');
  assert.equal(v.ok, false);
  assert.match(String(v.error), /^no answer within \d+ ms$/);
  assert.ok(Number.isInteger(store.records()[0].timeoutMs));
});

test('one name per check: the printed label is the id --only takes, except LMX as the guide writes it (issue 26)', () => {
  for (const c of CHECKS) assert.equal(c.label, c.id === 'lmx' ? 'LMX' : c.id, `check ${c.id} is printed as ${c.label}`);
});
