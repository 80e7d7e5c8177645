// A turn whose model keeps asking for tools ends with TOO_MANY_TOOL_ROUNDS after the number of rounds the README states.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startRig } from './helpers/daemon.js';
import { ROOT } from './helpers/env.js';
import { fetchWithin } from './helpers/wait.js';

/** The number the README promises, read from its words so the test and the documentation cannot drift apart. */
function documentedRounds(): number {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const m = /A model that keeps calling tools gets (\d+) rounds .*?`TOO_MANY_TOOL_ROUNDS`/.exec(readme);
  assert.ok(m, 'README states how many tool rounds a turn gets before TOO_MANY_TOOL_ROUNDS');
  return Number(m[1]);
}

test('a model that never stops calling tools: turn.error TOO_MANY_TOOL_ROUNDS after exactly the documented rounds', async (t) => {
  const rounds = documentedRounds();
  // An unknown tool fails at once (no permission to wait for), so every round is one completion and one tool result.
  const rig = await startRig({ sim: { toolCalls: [{ name: 'no_such_tool', arguments: {} }], toolLoop: true } });
  t.after(() => rig.cleanup());
  assert.equal((await rig.api('POST', '/v3/sessions', { id: 'loop' })).status, 201);
  const ws = await rig.ws('loop', 0);
  await fetchWithin(`http://127.0.0.1:${rig.sim.controlPort}/requests/reset`, { method: 'POST' });
  const r = await rig.api('POST', '/v3/sessions/loop/turns', { content: 'go on forever' });
  assert.equal(r.status, 202);
  // The end of the turn, or the first round past the limit: a daemon that never stops fails here at once, not at a timeout.
  const id = r.body.turnId;
  const starts = () => ws.events.filter((e) => e.event === 'tool.start' && e.payload.turnId === id).length;
  const end = await ws.waitFor((e) => ((e.event === 'turn.done' || e.event === 'turn.error') && e.payload.turnId === id) || starts() > rounds, 60_000, `the end of ${id}`);
  assert.ok(starts() <= rounds, `${starts()} tool rounds, more than the ${rounds} documented: ${ws.names()}`);
  assert.equal(end.event, 'turn.error', JSON.stringify(end.payload));
  assert.equal(end.payload.code, 'TOO_MANY_TOOL_ROUNDS');
  assert.match(end.payload.message, new RegExp(`\\b${rounds} rounds\\b`));

  const seen = (await (await fetchWithin(`http://127.0.0.1:${rig.sim.controlPort}/requests`)).json()) as Array<{ path: string }>;
  const completions = seen.filter((x) => x.path.startsWith('/v1/chat/completions')).length;
  assert.equal(completions, rounds, `completions asked of LMX: ${JSON.stringify(seen.map((x) => x.path))}`);
  const ofTurn = ws.events.filter((e) => e.payload.turnId === id);
  assert.equal(ofTurn.filter((e) => e.event === 'tool.start').length, rounds, ws.names());
  assert.equal(ofTurn.filter((e) => e.event === 'tool.end').length, rounds, ws.names());
  assert.equal(ofTurn.filter((e) => e.event === 'turn.done').length, 0, ws.names());

  // The daemon is free for the next turn of the session: a model that answers gets turn.done.
  await rig.sim.setConfig({ toolLoop: false, toolCalls: [] });
  const next = await rig.api('POST', '/v3/sessions/loop/turns', { content: 'hello' });
  assert.equal(next.status, 202);
  assert.equal((await ws.turnEnd(next.body.turnId, 30_000)).event, 'turn.done');
});
