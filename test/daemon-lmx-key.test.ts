// The daemon sends lmx.apiKey as a bearer token on every LMX request: the preflight (readyz, models) and the completion alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRig } from './helpers/daemon.js';
import { fetchWithin } from './helpers/wait.js';

const KEY = 'lmx-key-Zr7Qp2Vw9Xy4';

test('every request a turn makes to LMX carries Authorization: Bearer <lmx.apiKey>', async (t) => {
  const rig = await startRig({ config: { lmx: { apiKey: KEY } } });
  t.after(() => rig.cleanup());
  await fetchWithin(`http://127.0.0.1:${rig.sim.controlPort}/requests/reset`, { method: 'POST' });
  assert.equal((await rig.api('POST', '/v3/sessions', { id: 'key' })).status, 201);
  const ws = await rig.ws('key', 0);
  const r = await rig.api('POST', '/v3/sessions/key/turns', { content: 'hello' });
  assert.equal(r.status, 202);
  await ws.turnEvent(r.body.turnId, 'turn.done');
  const seen = (await (await fetchWithin(`http://127.0.0.1:${rig.sim.controlPort}/requests`)).json()) as Array<{ method: string; path: string; authorization?: string }>;
  assert.ok(seen.some((x) => x.path.startsWith('/readyz')), JSON.stringify(seen));
  assert.ok(seen.some((x) => x.path.startsWith('/v1/chat/completions')), JSON.stringify(seen));
  for (const x of seen) assert.equal(x.authorization, `Bearer ${KEY}`, `${x.method} ${x.path}`);
});
