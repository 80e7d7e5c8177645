// The numbers the README promises are the ones the code uses: defaults, how many set-aside state files and crash
// reports are kept. The behaviour tests use the code's constants; these tie each constant to the README's words.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../src/core/config-lite.js';
import { MAX_CRASH_BYTES, MAX_CRASH_LOG_BYTES, MAX_CRASH_FACTS_BYTES, MAX_CRASH_REPORTS } from '../src/core/crash-reports.js';
import { ASIDE_KEPT } from '../src/core/state-lite.js';
import { ROOT } from './helpers/env.js';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');

/** Every number the README states with `re` (its first group), at least one; they must all agree. */
function stated(re: RegExp, what: string): number {
  const all = [...README.matchAll(new RegExp(re.source, 'g'))].map((m) => Number(m[1]));
  assert.ok(all.length > 0, `the README states ${what} (${re})`);
  assert.equal(new Set(all).size, 1, `the README states ${what} once or the same everywhere: ${all.join(', ')}`);
  return all[0];
}

test('config defaults the README names: permissions.timeoutMs, tools.memoryLimitMb, tools.timeoutMs, tools.maxReadBytes, daemon ports', () => {
  assert.equal(DEFAULT_CONFIG.permissions.timeoutMs, stated(/`permissions\.timeoutMs` \((\d+) minutes by default\)/, 'the permission timeout') * 60_000);
  assert.equal(DEFAULT_CONFIG.tools.memoryLimitMb, stated(/`tools\.memoryLimitMb` \((\d+) MB by default\)/, 'the tool heap'));
  assert.equal(DEFAULT_CONFIG.tools.timeoutMs, stated(/`tools\.timeoutMs` \((\d+) s by default\)/, 'the tool timeout') * 1000);
  assert.equal(DEFAULT_CONFIG.tools.maxReadBytes, stated(/\((\d+) MiB by default\); a cut output/, 'tools.maxReadBytes') * 1024 * 1024);
  assert.equal(DEFAULT_CONFIG.tools.maxReadBytes, stated(/\[truncated: read the first (\d+) of \d+ bytes \(tools\.maxReadBytes\)\]/, 'the truncation line'));
  assert.equal(DEFAULT_CONFIG.daemon.port, stated(/returns once it serves \(port (\d+), else/, 'the daemon port'));
  assert.match(README, new RegExp(`returns once it serves \\(port \\d+, else ${DEFAULT_CONFIG.daemon.portRange}\\)`), 'the fallback range');
});

test('set-aside state files: the newest N of each label are kept, N as the README says', () => {
  assert.equal(ASIDE_KEPT, stated(/the newest (\d+) of each/, 'how many set-aside state files are kept'));
});

test('crash reports: at most N reports and M KiB kept, the log part at most K KiB, as the README says', () => {
  assert.equal(MAX_CRASH_REPORTS, stated(/At most (\d+) reports and \d+ KiB are kept/, 'how many crash reports are kept'));
  assert.equal(MAX_CRASH_BYTES, stated(/At most \d+ reports and (\d+) KiB are kept/, 'the crash report budget') * 1024);
  assert.equal(MAX_CRASH_FACTS_BYTES, stated(/the doctor's facts at that moment as JSON \(at most (\d+) KiB/, "a report's facts part") * 1024);
  assert.equal(MAX_CRASH_LOG_BYTES, stated(/`daemon\.log` from its start line \(at most (\d+) KiB/, "a report's log part") * 1024);
});
