// Both sides of every threshold the README promises: a value just past it fires the rule, the boundary itself does not.
// (Scenarios test only the side where a rule fires; a threshold moved in either direction must turn this red.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoctor } from '../src/doctor/run.js';
import { loadScenario } from './helpers/doctor-scenarios.js';

const GiB = 1024 ** 3;

/** Sets `path` (dot-separated) inside a copy of the healthy scenario's fact. */
function patch(facts: Record<string, Record<string, unknown>>, fact: string, values: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const copy = structuredClone(facts);
  for (const [p, v] of Object.entries(values)) {
    const parts = p.split('.');
    let cur = (copy[fact] ??= {}) as Record<string, unknown>;
    for (const k of parts.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
    cur[parts.at(-1)!] = v;
  }
  return copy;
}

const stuck = (ageMs: number) => ({
  oldestUnattendedAgeMs: ageMs,
  unattendedCount: 1,
  count: 1,
  oldestUnattended: { requestId: 'perm_001', sessionId: 's1', turnId: 't1', tool: 'read_file', ageMs, ageS: Math.round(ageMs / 1000), clientConnected: false },
});

/** The ws-drop family in the current run: `n` drops, all of the kind `id` (the dominant one). */
const wsDrops = (id: string, n: number) => ({
  [`families.ws-drop`]: { count: n, dominant: id, dominantCount: n, dominantMessage: `${id} ${n} times` },
  [`patterns.${id}`]: { count: n, severity: 'warn', check: null, first: '08:01:00', last: '08:02:00', message: `${id} ${n} times`, remediation: 'opta daemon logs' },
});

/** `n` turns that failed mid-stream because of LMX in the current run. */
const lmxErrors = (n: number) => ({ 'patterns.lmx-request-failed': { count: n, severity: 'error', check: 'lmx', first: '08:01:00', last: '08:02:00', message: `an LMX completion failed mid-turn ${n} times`, remediation: 'opta doctor --only lmx,model' } });

/** [rule, what the README promises, fact, values that must fire it, values that must not]. */
const CASES: Array<[string, string, string, Record<string, unknown>[], Record<string, unknown>[]]> = [
  ['disk-low', 'less than 1 GiB free is a warning', 'disk-space', [{ freeBytes: GiB - 1, freeMiB: 1023 }, { freeBytes: 0.5 * GiB, freeMiB: 512 }], [{ freeBytes: GiB, freeMiB: 1024 }, { freeBytes: 2 * GiB, freeMiB: 2048 }]],
  ['disk-full', 'less than 256 KiB free on the home\'s file system is an error', 'disk-space', [{ freeBytes: 262143, freeKiB: 255 }, { freeBytes: 0, freeKiB: 0 }], [{ freeBytes: 262144, freeKiB: 256 }, { freeBytes: GiB, freeKiB: 1048576 }]],
  ['disk-low', 'less than 1 GiB (but at least 256 KiB) free is a warning: below 256 KiB it is disk-full instead', 'disk-space', [{ freeBytes: 262144, freeMiB: 0 }], [{ freeBytes: 262143, freeMiB: 0 }]],
  ['node-version-old', 'Node.js 20 or newer', 'node-version', [{ major: 19, version: '19.9.0' }, { major: 18, version: '18.20.0' }], [{ major: 20, version: '20.0.0' }, { major: 22, version: '22.1.0' }]],
  ['permissions-request-stuck', 'a permission request pending for more than 30 s with no client connected', 'pending-permissions', [stuck(30001), stuck(45000)], [stuck(30000), stuck(5000)]],
  ['logs-large', 'a daemon.log larger than logs.maxBytes', 'daemon-log', [{ sizeBytes: 10485761, maxBytes: 10485760, exists: true }], [{ sizeBytes: 10485760, maxBytes: 10485760, exists: true }, { sizeBytes: 100, maxBytes: 10485760, exists: true }]],
  ['logs-ws-drops-heartbeat', '3 or more abnormal WebSocket drops in the current run, most by heartbeat timeout', 'daemon-log-analysis', [wsDrops('ws-drop-heartbeat', 3), wsDrops('ws-drop-heartbeat', 10)], [wsDrops('ws-drop-heartbeat', 2), wsDrops('ws-drop-client-gone', 3)]],
  ['logs-ws-drops', '3 or more abnormal WebSocket drops in the current run, most of another kind', 'daemon-log-analysis', [wsDrops('ws-drop-client-gone', 3), wsDrops('ws-drop-other', 4)], [wsDrops('ws-drop-client-gone', 2), wsDrops('ws-drop-heartbeat', 3)]],
  ['logs-turns-lmx-errors', '3 or more turns failed mid-stream because of LMX in the current run', 'daemon-log-analysis', [lmxErrors(3), lmxErrors(7)], [lmxErrors(2), lmxErrors(0)]],
];

for (const [rule, promise, fact, fire, quiet] of CASES) {
  test(`threshold of ${rule} (${promise}): fires past it, silent at and before it`, async () => {
    const s = loadScenario('healthy');
    try {
      const fired = async (values: Record<string, unknown>) => {
        const report = await runDoctor({ paths: s.paths, env: s.env, overrides: patch(s.overrides, fact, values), deadlineMs: 4000, only: [rule] });
        assert.deepEqual(report.ruleProblems, []);
        return report.findings.some((f) => f.id === rule);
      };
      for (const v of fire) assert.equal(await fired(v), true, `${rule} must fire for ${JSON.stringify(v)}`);
      for (const v of quiet) assert.equal(await fired(v), false, `${rule} must not fire for ${JSON.stringify(v)}`);
    } finally {
      s.cleanup();
    }
  });
}

test('config-changed-since-start: fires when config.json is newer than the running daemon, not when it is as old or older, nor without a daemon', async () => {
  const s = loadScenario('healthy');
  try {
    const started = Date.parse('2026-11-25T08:00:00.000Z');
    const fired = async (modifiedMs: number | null, status = 'running', digests: { file: string | null; daemon: string | null } = { file: 'b2', daemon: 'a1' }, valid = true) => {
      let facts = patch(s.overrides, 'daemon', { status, startedAt: '2026-11-25T08:00:00.000Z', startedAtMs: status === 'running' ? started : null, configDigest: digests.daemon });
      facts = patch(facts, 'config', { valid, modifiedMs, modifiedAt: modifiedMs === null ? null : new Date(modifiedMs).toISOString(), lmx: { host: 'lmx-host.local', port: 1234 }, digest: digests.file });
      const report = await runDoctor({ paths: s.paths, env: s.env, overrides: facts, deadlineMs: 4000, only: ['config-changed-since-start'] });
      assert.deepEqual(report.ruleProblems, []);
      return report.findings.some((f) => f.id === 'config-changed-since-start');
    };
    assert.equal(await fired(started + 1), true, 'a millisecond after the start');
    assert.equal(await fired(started + 3600_000), true);
    assert.equal(await fired(started), false, 'written as the daemon started');
    assert.equal(await fired(started - 60_000), false, 'written before');
    assert.equal(await fired(null), false, 'no config.json');
    assert.equal(await fired(started + 3600_000, 'not-running'), false, 'no daemon to restart');
    // By content, not change time (issue 26): the same settings as the daemon read (config set, then unset) are no change.
    assert.equal(await fired(started + 3600_000, 'running', { file: 'a1', daemon: 'a1' }), false, 'the settings the daemon read');
    assert.equal(await fired(started + 3600_000, 'running', { file: 'b2', daemon: null }), true, 'a daemon too old to say what it read: the change time decides');
    // An invalid config.json cannot be compared: the change time decides (--fix resets the value, then restarts).
    assert.equal(await fired(started + 3600_000, 'running', { file: null, daemon: 'a1' }, false), true, 'config.json invalid');
  } finally {
    s.cleanup();
  }
});
