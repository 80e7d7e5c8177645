// Both sides of the sessions-filling-disk thresholds the README promises: the disk check warns when the free space would
// last less than a week at the rate the running daemon appends to sessions/, a rate measured only once it is up 10 minutes.
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { optaPaths } from '../src/core/paths.js';
import type { FactValue } from '../src/facts/fact.js';
import { sessionsSize } from '../src/facts/sessions-size.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const WEEK_H = 7 * 24;

/** The fact for a daemon up `uptimeMs` that appended `appended` bytes, with `free` bytes free. */
async function fact(uptimeMs: number, appended: number, free: number): Promise<FactValue> {
  const facts: Record<string, FactValue> = {
    daemon: { status: 'running', uptimeMs, counts: { sessions: 3, sessionBytes: 4096, sessionBytesAppended: appended } },
    'disk-space': { freeBytes: free },
  };
  return sessionsSize.collect({
    paths: optaPaths(path.join(os.tmpdir(), 'opta-no-such-home')),
    env: {},
    timeoutMs: 1000,
    signal: new AbortController().signal,
    fact: async (id) => facts[id] ?? {},
  });
}

test('README: sessions-filling-disk when the free space lasts less than a week at the daemon\'s rate; not at a week or more', async () => {
  // 1 MiB an hour for 10 hours of uptime: a week of it is WEEK_H MiB.
  const MiB = 1024 * 1024;
  const atRate = (hoursLeft: number) => fact(10 * HOUR, 10 * MiB, Math.round(hoursLeft * MiB));
  assert.equal((await atRate(WEEK_H - 1)).fillsWithinWeek, true, '167 hours left');
  assert.equal((await atRate(WEEK_H - 0.01)).fillsWithinWeek, true, 'just under a week left');
  assert.equal((await atRate(WEEK_H)).fillsWithinWeek, false, 'a week left exactly');
  assert.equal((await atRate(30 * 24)).fillsWithinWeek, false, 'a month left');
  const f = await atRate(48);
  assert.deepEqual([f.bytesPerHour, f.daysOfFreeSpace, f.MiBPerDay], [MiB, 2, 24]);
});

test('README: the rate is measured only once the daemon has been up 10 minutes', async () => {
  const burst = 100 * 1024 * 1024; // a burst that would fill 1 MiB of free space at once
  const early = await fact(10 * MIN - 1, burst, 1024 * 1024);
  assert.deepEqual([early.bytesPerHour, early.fillsWithinWeek], [null, false], 'up just under 10 minutes: no rate yet');
  const ready = await fact(10 * MIN, burst, 1024 * 1024);
  assert.equal(ready.bytesPerHour, burst * 6);
  assert.equal(ready.fillsWithinWeek, true, 'up 10 minutes: the rate counts');
});
