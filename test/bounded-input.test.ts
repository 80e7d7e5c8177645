// Input from a pipe that never ends is read only up to the command's limit (64 MiB), then refused with exit 2:
// `opta support analyze -` and `opta support redact -` (core/read-small.ts readUpTo, shared by both).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeHome, OPTA_BIN, runCommand } from './helpers/env.js';

for (const [what, args, said] of [
  ['opta support analyze -', 'support analyze -', /standard input is larger than any support bundle \(more than 64 MiB\)/],
  ['opta support redact -', 'support redact -', /standard input is larger than 64 MiB/],
] as const) {
  test(`${what} on an endless pipe stops at its limit: exit 2, named`, async (t) => {
    const h = makeHome();
    t.after(() => h.cleanup());
    // `yes` never ends: without the bound the command would read (and keep) everything until the test's limit.
    const r = await runCommand('sh', ['-c', `yes 'line of text' | "${process.execPath}" "${OPTA_BIN}" ${args}`], { env: h.env, timeoutMs: 60_000 });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, said);
  });
}
