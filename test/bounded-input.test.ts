// Input from a pipe that never ends is read only up to the command's limit (64 MiB), then refused with exit 2:
// `opta support analyze -` and `opta support redact -` (core/read-small.ts readUpTo, shared by both).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { makeHome, OPTA_BIN } from './helpers/env.js';
import { childOutput } from './helpers/wait.js';

const BOUND = 64 * 1024 * 1024;
/**
 * The test's side of the pipe: it writes (with back-pressure) up to four times the bound and then writes nothing more,
 * but never closes it. To opta that is a pipe that never ends; to the test it is bounded in memory and time: a command
 * that does not stop at its bound takes 256 MiB and then waits for more, and the wait below fails naming it, instead of
 * reading `yes` until the machine runs out of memory.
 */
const FEED = 4 * BOUND;

for (const [what, args, said] of [
  ['opta support analyze -', ['support', 'analyze', '-'], /standard input is larger than any support bundle \(more than 64 MiB\)/],
  ['opta support redact -', ['support', 'redact', '-'], /standard input is larger than 64 MiB/],
] as const) {
  test(`${what} on an endless pipe stops at its limit: exit 2, named`, async (t) => {
    const h = makeHome();
    t.after(() => h.cleanup());
    const child = spawn(process.execPath, [OPTA_BIN, ...args], { env: h.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const block = Buffer.from('line of text\n'.repeat(5041)); // ~64 KiB
    let fed = 0;
    child.stdin.on('error', () => {}); // EPIPE once opta has stopped reading: expected
    const feed = () => {
      while (fed < FEED && !child.stdin.destroyed) {
        fed += block.length;
        if (!child.stdin.write(block)) return void child.stdin.once('drain', feed);
      }
    };
    feed();
    const r = await childOutput(child, 30_000, `${what} to stop reading at 64 MiB (fed 4x the bound at most, the pipe never closed)`);
    child.stdin.destroy();
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, said);
    assert.ok(fed < FEED, `opta read all ${fed} bytes fed to it (4x its bound) before it stopped`);
  });
}
