// `opta support bundle --record --for 2s`: markers through the daemon, the bundle's recording section holds exactly the marked window (with the LMX failure provoked in it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startRig } from './helpers/daemon.js';
import { runOpta, spawnOpta, waitUntil } from './helpers/env.js';
import { childEnd } from './helpers/wait.js';

test('--record --for 2s while LMX fails: the recording section is exactly the log between the markers, with the failure', async (t) => {
  const r = await startRig();
  t.after(() => r.cleanup());
  // Lines before the recording: a session made while LMX is healthy.
  assert.equal((await r.api('POST', '/v3/sessions', { id: 'rec' })).status, 201);
  const out = path.join(r.h.home, 'recorded.json');
  const child = spawnOpta(r.h, ['support', 'bundle', '--record', '--for', '2s', '--json', '--out', out]);
  await waitUntil(() => /INFO {2}support record start [a-z0-9-]+$/m.test(r.log()), 15000, 'the start marker');
  await r.sim.setConfig({ mode: 'error500' });
  const turn = await r.api('POST', '/v3/sessions/rec/turns', { content: 'fail please' });
  assert.equal(turn.status, 202, JSON.stringify(turn.body));
  await waitUntil(() => /ERROR lmx (preflight|request) failed/.test(r.log()), 10000, 'the LMX failure in the log');
  const end = await childEnd(child.child, 60000, 'support bundle --record');
  assert.equal(end.code, 0, child.output());
  assert.match(child.output(), /recording \(support record [a-z0-9-]+\)\. Reproduce the problem now; the recording ends in 2 s/);

  const bundle = JSON.parse(fs.readFileSync(out, 'utf8'));
  const section = bundle.sections.find((s: { id: string }) => s.id === 'record-window');
  assert.ok(section, bundle.sections.map((s: { id: string }) => s.id).join(', '));
  assert.equal(section.status, 'ok', section.error);
  const log = r.log().split('\n');
  const i = log.findIndex((l) => / INFO {2}support record start /.test(l));
  const j = log.findIndex((l) => / INFO {2}support record end /.test(l));
  assert.ok(i >= 0 && j > i);
  assert.equal(section.text, log.slice(i, j + 1).join('\n'), 'exactly the marked window');
  assert.match(section.text, /ERROR lmx (preflight|request) failed/);
  assert.doesNotMatch(section.text, /daemon started on/, 'nothing from before the start marker');
  const before = bundle.sections.find((s: { id: string }) => s.id === 'record-doctor-before');
  assert.equal(before?.status, 'ok');
  assert.ok(before.data.facts.lmx, 'the doctor facts before');
  assert.ok(bundle.sections.some((s: { id: string }) => s.id === 'doctor-report'), 'and the usual doctor sections after');
});

test('--record without a terminal and without --for is refused (exit 2), before any marker', async (t) => {
  const r = await startRig();
  t.after(() => r.cleanup());
  const res = await runOpta(r.h, ['support', 'bundle', '--record', '--out', path.join(r.h.home, 'x.txt')]);
  assert.equal(res.code, 2, res.stdout + res.stderr);
  assert.match(res.stderr, /--record without a terminal needs --for/);
  assert.doesNotMatch(r.log(), /support record/);
  // README: --for is 1 s to 60 min; outside it is exit 2, before any marker (and before any wait).
  for (const d of ['61m', '3600001ms', '999ms', '0']) {
    const out = await runOpta(r.h, ['support', 'bundle', '--record', '--for', d, '--out', path.join(r.h.home, `for-${d}.txt`)], { timeoutMs: 20_000 });
    assert.equal(out.code, 2, `--for ${d}: ${out.stdout}${out.stderr}`);
    assert.match(out.stderr, /--for takes a duration from 1s to 60m/, d);
  }
  assert.doesNotMatch(r.log(), /support record/);
});
