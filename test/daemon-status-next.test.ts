// `opta daemon status` says the next command for each status exactly as before; the command comes from the doctor rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeStatus } from '../src/daemon/lifecycle/describe-status.js';
import { optaPaths } from '../src/core/paths.js';
import type { DaemonInspection } from '../src/daemon/lifecycle/inspect.js';

const NEXT: Record<Exclude<DaemonInspection['status'], 'running'>, string> = {
  'not-running': 'Start it: opta daemon start',
  stale: 'The daemon crashed. Start it again (the stale state file is set aside as state.json.stale-<time>): opta daemon start',
  foreign: 'state.json names a process that is not this Opta daemon; it will not be signalled. Start a daemon (the state file is replaced): opta daemon start',
  unresponsive: 'Restart it: opta daemon restart (then inspect: opta daemon logs --lines 200)',
  'corrupt-state': 'Set the corrupt file aside and start: opta daemon start (or, as the guide says: rm <state file> && opta daemon start)',
};

const paths = optaPaths('/nonexistent/opta-status-home');
const state = { pid: 4242, port: 10001, host: '127.0.0.1', token: 't'.repeat(32), daemonId: 'd', startedAt: 't', version: '1.1.0' };

test('daemon status: the next line of every status, its command read from rules/doctor', () => {
  for (const [status, next] of Object.entries(NEXT)) {
    const i: DaemonInspection = { status: status as DaemonInspection['status'], stateClass: 'valid', statePath: paths.stateFile, pid: 4242, state, problem: 'no answer' };
    const lines = describeStatus(i, paths, false).split('\n');
    assert.equal(lines.at(-1), `  next:     ${next}`, status);
  }
  const running = describeStatus({ status: 'running', stateClass: 'valid', statePath: paths.stateFile, pid: 4242, state, health: {} }, paths, false);
  assert.doesNotMatch(running, /next:/);
});
