// Every example line of every log pattern, with each trailing detail other writers add, lands in exactly one finding
// (issue 20: a pattern matches its key phrase, not the whole line; a family's catch-all takes what its members do not).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadPatterns } from '../src/logs/patterns.js';
import { exampleLine } from '../src/logs/pattern-types.js';
import { makeHome, runOpta } from './helpers/env.js';

const DETAIL = ['', ' (attempt 3)', ' [s_42]', ' after 1200 ms', ' (rss 2.1 GB)'];

test('each pattern example with trailing detail is one finding of that pattern, none unrecognised', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const { patterns } = await loadPatterns();
  const want = new Map<string, number>();
  const lines: string[] = [];
  for (const p of patterns) {
    for (const ex of p.examples.map(exampleLine)) {
      for (const d of DETAIL) {
        lines.push(`[10:00:01] ${p.levels[p.levels.length - 1].padEnd(5)} ${ex}${d}`);
        want.set(p.id, (want.get(p.id) ?? 0) + 1);
      }
    }
  }
  const file = path.join(h.home, 'wild.log');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const r = await runOpta(h, ['logs', 'analyze', '--json', file]);
  const out = JSON.parse(r.stdout) as { findings: Array<{ id: string; count: number }>; unmatched?: Record<string, number> };
  const got = new Map(out.findings.map((f) => [f.id, f.count]));
  const wrong = [...want].filter(([id, n]) => got.get(id) !== n).map(([id, n]) => `${id}: ${got.get(id) ?? 0} of ${n}`);
  assert.deepEqual(wrong, [], 'patterns whose examples with trailing detail did not all land in them');
  const total = out.findings.reduce((a, f) => a + f.count, 0);
  assert.equal(total, lines.length, 'no line in two findings, none left over');
});

test('the prefilter never drops a JSON line whose message escapes characters (\\u0020, \\/) inside a key phrase', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const file = path.join(h.home, 'escaped.jsonl');
  fs.writeFileSync(
    file,
    [
      '{"level":"error","msg":"lmx preflight failed: ECONNREFUSED lmx-host.local:1234"}',
      '{"level":"error","msg":"lmx preflight failed:\\u0020ECONNREFUSED lmx-host.local:1234"}',
      '{"level":"error","msg":"lmx preflight failed: ECONNREFUSED http:\\/\\/lmx-host.local:1234"}',
      '{"level":"warn","msg":"session dir already exists,\\u0020skipping mkdir"}',
      '{"Level":"WARN","Msg":"session dir\\u0020already exists, skipping mkdir"}',
    ].join('\n') + '\n',
  );
  const r = await runOpta(h, ['logs', 'analyze', '--json', file]);
  const out = JSON.parse(r.stdout) as { findings: Array<{ id: string; count: number }> };
  assert.deepEqual(Object.fromEntries(out.findings.map((f) => [f.id, f.count])), { 'lmx-preflight-refused': 3, 'session-dir-race': 2 });
});
