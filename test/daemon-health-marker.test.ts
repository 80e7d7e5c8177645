// Two small Daemon API promises: /v3/health carries a digest of the settings, never lmx.apiKey or the token; POST
// /v3/log/marker writes exactly one `support record <marker> <id>` line and refuses anything else with 400 BAD_MARKER.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRig } from './helpers/daemon.js';
import { fetchWithin, waitUntil } from './helpers/wait.js';

const KEY = 'lmx-key-Hq8Zt3Wn5Rk2';

test('GET /v3/health: configDigest is a digest, and no answer holds lmx.apiKey or the token; /v3/identity needs no token and shows none', async (t) => {
  const rig = await startRig({ config: { lmx: { apiKey: KEY } } });
  t.after(() => rig.cleanup());
  const health = await rig.api('GET', '/v3/health');
  assert.equal(health.status, 200);
  assert.match(String(health.body.configDigest), /^[0-9a-f]{16}$/);
  const text = JSON.stringify(health.body);
  assert.ok(!text.includes(KEY), `health holds no lmx.apiKey: ${text}`);
  assert.ok(!text.includes(rig.token), 'health holds no token');
  const id = await fetchWithin(`${rig.base}/v3/identity`);
  assert.equal(id.status, 200);
  const idText = await id.text();
  assert.ok(!idText.includes(rig.token) && !idText.includes(KEY), idText);
});

test('POST /v3/log/marker: one INFO line for start/end with an id of 8-40 of a-z, 0-9, -; anything else is 400 BAD_MARKER and writes nothing', async (t) => {
  const rig = await startRig();
  t.after(() => rig.cleanup());
  const bad: unknown[] = [
    { marker: 'start', id: 'abcdefgh\n[10:00:00] ERROR forged line' },
    { marker: 'start', id: 'forged\r\n' + 'x'.repeat(10) },
    { marker: 'middle', id: 'abcdefgh' },
    { marker: 'start', id: 'forged' },
    { marker: 'start', id: 'FORGEDUPPER' },
    { marker: 'start', id: 'forged-' + 'x'.repeat(40) },
    { marker: 'end' },
  ];
  for (const body of bad) {
    const r = await rig.api('POST', '/v3/log/marker', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body?.error?.code, 'BAD_MARKER', JSON.stringify(r.body));
  }
  const ok = await rig.api('POST', '/v3/log/marker', { marker: 'start', id: 'rec-20261207-a1' });
  assert.equal(ok.status, 200);
  await waitUntil(() => /INFO {2}support record start rec-20261207-a1$/m.test(rig.log()), 10_000, 'the marker line in daemon.log');
  const log = rig.log();
  assert.doesNotMatch(log, /forged|FORGED|record middle/i, log);
  assert.equal(log.match(/support record /g)?.length, 1, log);
});
