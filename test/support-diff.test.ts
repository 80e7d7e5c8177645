// `opta support diff A B`: a healthy bundle against one made with LMX down names the new findings and the changed facts, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startRig } from './helpers/daemon.js';
import { runOpta } from './helpers/env.js';

test('support diff: healthy vs LMX down names the new findings and the changed facts, and nothing else; same bundle twice: no differences', async (t) => {
  const r = await startRig();
  t.after(() => r.cleanup());
  const a = path.join(r.h.home, 'a.json');
  const b = path.join(r.h.home, 'b.txt');
  const ba = await runOpta(r.h, ['support', 'bundle', '--json', '--out', a], { timeoutMs: 60000 });
  assert.equal(ba.code, 0, ba.stdout + ba.stderr);
  await r.sim.stop();
  const bb = await runOpta(r.h, ['support', 'bundle', '--out', b], { timeoutMs: 60000 });
  assert.equal(bb.code, 0, bb.stdout + bb.stderr);

  const d = await runOpta(r.h, ['support', 'diff', a, b, '--json']);
  assert.equal(d.code, 1, d.stdout + d.stderr);
  const j = JSON.parse(d.stdout);
  assert.deepEqual(j.findings.appeared.map((f: { id: string }) => f.id), ['lmx-connection-refused']);
  assert.deepEqual(j.findings.wentAway, []);
  assert.ok(j.facts.length > 0, 'facts changed');
  const changedFacts = [...new Set(j.facts.map((c: { fact: string }) => c.fact))];
  // The path to LMX changed too: its samples no longer answer (issue 22); its times are not compared.
  assert.deepEqual(changedFacts, ['lmx', 'lmx-path'], JSON.stringify(j.facts, null, 2));
  assert.deepEqual(j.logPatterns, [], 'no log pattern moved: no request reached LMX');
  assert.deepEqual(j.notes, []);

  const text = await runOpta(r.h, ['support', 'diff', a, b]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^Findings that appeared in B:\n {2}\+ lmx-connection-refused: /m);
  assert.match(text.stdout, /^Facts that changed \(A -> B\):\n {2}lmx\./m);
  assert.doesNotMatch(text.stdout, /went away|Log patterns/);

  const same = await runOpta(r.h, ['support', 'diff', a, a]);
  assert.equal(same.code, 0, same.stdout);
  assert.match(same.stdout, /No differences in findings, facts or log pattern counts\./);

  fs.writeFileSync(path.join(r.h.home, 'junk.txt'), 'not a bundle\n');
  const bad = await runOpta(r.h, ['support', 'diff', a, path.join(r.h.home, 'junk.txt')]);
  assert.equal(bad.code, 2);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});
