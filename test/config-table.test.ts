// The zod schemas and the zod-free checkers are built from one table each (config-table.ts, state-shape.ts): they agree; the port order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSchema } from '../src/core/config.js';
import { checkConfigLite, DEFAULT_CONFIG } from '../src/core/config-lite.js';
import { CONFIG_KEYS, SECRET_CONFIG_KEYS } from '../src/core/config-table.js';
import { portsInOrder } from '../src/core/port-order.js';
import { DaemonStateSchema, StoppedStateSchema } from '../src/core/state.js';
import { checkStateLite } from '../src/core/state-shape.js';

const CONFIGS: unknown[] = [
  {}, null, [], 'x', { lmx: {} }, { lmx: null }, { lmx: { host: '' } }, { lmx: { host: 'h', port: 1 } }, { lmx: { port: 0 } }, { lmx: { port: 65536 } },
  { lmx: { port: 1.5 } }, { lmx: { port: '1234' } }, { lmx: { apiKey: 'k' } }, { lmx: { apiKey: '' } }, { lmx: { timeoutMs: 99 } }, { lmx: { timeoutMs: 600000 } },
  { lmx: { hots: 'x' } }, { extra: {} }, { daemon: { portRange: '10000-10020' } }, { daemon: { portRange: '10020-10000' } }, { daemon: { portRange: '0-10' } },
  { daemon: { portRange: '1-65536' } }, { daemon: { portRange: 'a-b' } }, { daemon: { host: '::1', port: 9999 } }, { permissions: { timeoutMs: 86400001 } },
  { logs: { maxBytes: 4095 } }, { logs: { maxBytes: 4096 } }, { tools: { memoryLimitMb: 4097 } }, { tools: { memoryLimitMb: 8 } }, { daemon: [] },
  { lmx: { port: 2 ** 60 } }, { lmx: { port: -1 } }, { logs: { maxBytes: 2 ** 60 } }, { logs: { maxBytes: 2 ** 40 } }, { daemon: { portRange: 10000 } },
  { daemon: { portRange: '5-5' } }, { permissions: { timeoutMs: 100 } }, { permissions: { timeoutMs: 99 } }, { tools: { maxReadBytes: 0 } },
  { tools: { maxReadBytes: 1024 ** 3 + 1 } }, { tools: { timeoutMs: 9 } }, { tools: { timeoutMs: 600001 } }, { lmx: { timeoutMs: 600001 } }, { lmx: { host: 5 } },
  { daemon: { host: '' } }, { daemon: { port: 65535, portRange: '1-2' } }, { lmx: { apiKey: 'k', bogus: 1 }, tools: {} },
  // Every key at its bounds and one past them, from the table itself.
  ...CONFIG_KEYS.flatMap((k) => {
    const [s, n] = k.key.split('.');
    const at = (v: unknown) => ({ [s]: { [n]: v } });
    if (k.type !== 'number') return [at(k.default ?? 'v'), at(''), at(1)];
    return [at(k.min), at((k.min ?? 0) - 1), ...(k.max === undefined ? [] : [at(k.max), at(k.max + 1)]), at(String(k.default))];
  }),
];

/** The keys inspectConfig names for a zod result (an unknown key by its own full path). */
function zodKeys(issues: Array<{ code: string; path: PropertyKey[]; keys?: string[] }>): string[] {
  return issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys!.map((k) => [...i.path, k].join('.')) : [i.path.length ? i.path.join('.') : '(root)']));
}

test('the fast config checker accepts exactly what ConfigSchema accepts, with the same defaults, and names a key zod names', () => {
  assert.deepEqual(ConfigSchema.parse({}), DEFAULT_CONFIG);
  for (const c of CONFIGS) {
    const z = ConfigSchema.safeParse(c);
    const lite = checkConfigLite(c);
    assert.equal(lite.ok, z.success, JSON.stringify(c));
    if (lite.ok && z.success) assert.deepEqual(lite.config, z.data, JSON.stringify(c));
    if (!lite.ok && !z.success) {
      const key = lite.error.slice(0, lite.error.indexOf(': '));
      assert.ok(zodKeys(z.error.issues as never).includes(key), `${JSON.stringify(c)}: lite says ${lite.error}, zod ${JSON.stringify(z.error.issues)}`);
    }
  }
});

test('the table: lmx.apiKey is the one secret and has no default; every other key has one', () => {
  assert.deepEqual(SECRET_CONFIG_KEYS, ['lmx.apiKey']);
  assert.deepEqual(CONFIG_KEYS.filter((k) => k.default === undefined).map((k) => k.key), ['lmx.apiKey']);
});

test('the fast state checker accepts exactly what the zod schemas accept (running and stopped records) and names the same field first', () => {
  const ok = { pid: 1, port: 9999, host: '127.0.0.1', token: 'a'.repeat(32), daemonId: 'd', startedAt: 't', version: '1' };
  const cases: unknown[] = [
    ok, { ...ok, extra: 1 }, { ...ok, pid: 0 }, { ...ok, pid: 1.5 }, { ...ok, pid: -3 }, { ...ok, pid: '1' }, { ...ok, port: 70000 }, { ...ok, port: 0 }, { ...ok, port: 65535 },
    { ...ok, token: 'short' }, { ...ok, token: 'a'.repeat(31) }, { ...ok, host: '' }, { ...ok, version: 1 }, { ...ok, daemonId: '' }, { ...ok, startedAt: null },
    { ...ok, pid: 0, token: '' }, [], null, 'x', {},
  ];
  const stopped = { status: 'stopped', pid: 1, port: 9999, host: 'h', daemonId: 'd', startedAt: 't', version: '1', stoppedAt: 't2', how: 'clean' };
  const stoppedCases: unknown[] = [
    stopped, { ...stopped, how: 'killed' }, { ...stopped, how: 'crashed' }, { ...stopped, status: 'running' }, { ...stopped, stoppedAt: '' }, { ...stopped, stoppedAt: undefined },
    { ...stopped, token: 'a'.repeat(64) }, { ...stopped, pid: -1 }, { ...stopped, port: 0, how: 1 }, [], null, {},
  ];
  const table: Array<[unknown, 'running' | 'stopped']> = [...cases.map((c) => [c, 'running'] as [unknown, 'running']), ...stoppedCases.map((c) => [c, 'stopped'] as [unknown, 'stopped'])];
  for (const [c, variant] of table) {
    const z = (variant === 'running' ? DaemonStateSchema : StoppedStateSchema).safeParse(c);
    const lite = checkStateLite(c, variant);
    assert.equal(lite.ok, z.success, `${variant} ${JSON.stringify(c)}`);
    if (lite.ok && z.success) assert.deepEqual(lite.value, z.data);
    if (!lite.ok && !z.success) assert.equal(lite.error.slice(0, lite.error.indexOf(': ')), zodKeys(z.error.issues as never)[0], JSON.stringify(c));
  }
});

test('the daemon ports in the order they are tried: daemon.port, then the range without it', () => {
  assert.deepEqual(portsInOrder({ port: 9999, portRange: '10000-10003' }), [9999, 10000, 10001, 10002, 10003]);
  assert.deepEqual(portsInOrder({ port: 10001, portRange: '10000-10002' }), [10001, 10000, 10002]);
  assert.deepEqual(portsInOrder({ port: 5, portRange: '5-5' }), [5]);
});
