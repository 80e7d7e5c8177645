// A real daemon's own log, end to end: LMX down then back, a tool worker out of memory, a permission timeout -> opta logs analyze and opta doctor.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DoctorReportSchema } from '../src/doctor/report-schema.js';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { bigTextFile, runOpta, waitUntil } from './helpers/env.js';
import { guideHealthyReport } from '../fixtures/guide-report.js';

const pad = (label: string) => `Checking ${label}...`.padEnd(26);
const INDENT = ' '.repeat(28);
const counts = (json: string) => Object.fromEntries((JSON.parse(json).findings as Array<{ id: string; count: number }>).map((f) => [f.id, f.count]));

describe("a real daemon's log", () => {
  let rig: DaemonRig;
  let dir: string;
  before(async () => {
    rig = await startRig({ config: { permissions: { timeoutMs: 1000 }, tools: { memoryLimitMb: 16, maxReadBytes: 64 * 1024 * 1024 } } });
    dir = path.join(rig.h.home, 'work');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'alpha\n');
  });
  after(async () => rig?.cleanup());

  const guideHealthy = () => guideHealthyReport(rig, `127.0.0.1:${rig.sim.port}`);

  async function turn(session: string, content: string, end: 'turn.error' | 'turn.done' = 'turn.done', answer?: (ws: Awaited<ReturnType<DaemonRig['ws']>>, requestId: string) => void) {
    const ws = await rig.ws(session, 0);
    try {
      const r = await rig.api('POST', `/v3/sessions/${session}/turns`, { content });
      if (answer) {
        const req = await ws.turnEvent(r.body.turnId, 'permission.request');
        answer(ws, req.payload.requestId);
      }
      return await ws.turnEvent(r.body.turnId, end, 30000);
    } finally {
      await ws.close();
    }
  }

  test('an LMX outage: the log line under the failing LMX check; once LMX is back, exactly the guide\'s healthy output', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'outage' });
    await rig.sim.setConfig({ mode: 'refuse' });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await turn('outage', `hello ${i}`, 'turn.error')).payload.code, 'LMX_UNREACHABLE');
      const down = await runOpta(rig.h, ['doctor']);
      assert.equal(down.code, 1);
      const lines = down.stdout.split('\n');
      const i = lines.findIndex((l) => l.startsWith(pad('LMX')));
      assert.match(lines[i + 1], /^ {28}why: /);
      assert.match(lines[i + 2], /^ {28}next: /);
      const last = /\[(\d\d:\d\d:\d\d)\] ERROR lmx preflight failed/g;
      const times = [...rig.log().matchAll(last)].map((m) => m[1]);
      assert.equal(
        lines[i + 3],
        `${INDENT}log:  lmx preflight failed 3 times since the daemon started, last at ${times.at(-1)}: ECONNREFUSED 127.0.0.1:${rig.sim.port} (nothing listens there)`,
      );
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
    // The stack recovered: the live check has the last word, the history stays out of the way.
    const up = await runOpta(rig.h, ['doctor']);
    assert.equal(up.stderr, '');
    assert.equal(up.code, 0);
    assert.equal(up.stdout, guideHealthy());
    const verbose = await runOpta(rig.h, ['doctor', '--verbose']);
    assert.match(verbose.stdout, new RegExp(`^${pad('LMX').replace(/\./g, '\\.')}● reachable.*\\n {28}log: {2}lmx preflight failed 3 times since the daemon started`, 'm'));
    const json = DoctorReportSchema.parse(JSON.parse((await runOpta(rig.h, ['doctor', '--json'])).stdout));
    assert.equal(json.status, 'healthy');
    assert.equal(json.checks.find((c) => c.id === 'lmx')!.log.length, 1);
    assert.match(json.checks.find((c) => c.id === 'lmx')!.log[0], /^lmx preflight failed 3 times since the daemon started/);
  });

  test('a tool worker out of memory and a permission nobody answered: opta logs analyze counts what the daemon wrote', async () => {
    const big = bigTextFile(path.join(rig.h.home, 'big.txt'));
    await rig.api('POST', '/v3/sessions', { id: 'tools', workspace: rig.h.home });
    await rig.sim.setConfig({ toolCalls: [{ name: 'read_file', arguments: { path: big } }] });
    await turn('tools', 'read it', 'turn.done', (ws, requestId) => ws.send({ type: 'permission.resolve', requestId, decision: 'allow' }));
    // A request nobody answers: the client goes away, the daemon denies it after permissions.timeoutMs (1 s).
    await rig.sim.setConfig({ toolCalls: [{ name: 'list_dir', arguments: { path: dir } }] });
    const ws = await rig.ws('tools', 0);
    const r = await rig.api('POST', '/v3/sessions/tools/turns', { content: 'list it' });
    await ws.turnEvent(r.body.turnId, 'permission.request');
    await ws.close();
    await waitUntil(() => /WARN {2}permission request \S+ timed out \(1s\), auto-denying/.test(rig.log()), 10000, 'the auto-deny line');
    await rig.sim.setConfig({ toolCalls: [] });

    const a = await runOpta(rig.h, ['logs', 'analyze', '--json']);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(counts(a.stdout), { 'daemon-started': 1, 'lmx-preflight-refused': 3, 'tool-worker-oom': 1, 'permission-auto-denied': 1 });
    const report = JSON.parse(a.stdout);
    assert.equal(report.other.ERROR + report.other.WARN, 0, 'every WARN and ERROR line the daemon wrote is known');
    const oom = report.findings.find((f: { id: string }) => f.id === 'tool-worker-oom');
    assert.equal(oom.remediation, 'opta config set tools.memoryLimitMb 32 && opta daemon restart');
    assert.equal((await runOpta(rig.h, ['logs', 'analyze', '--strict'])).code, 1);

    // The doctor: two findings of the logs check (warnings), with the configured limit and the command that raises it.
    const d = await runOpta(rig.h, ['doctor']);
    assert.equal(d.code, 0, d.stdout);
    const lines = d.stdout.split('\n');
    const i = lines.findIndex((l) => l.startsWith(pad('logs')));
    assert.ok(i > 0, d.stdout);
    const block = lines.slice(i, i + 6).join('\n');
    assert.match(block, /● a tool worker ran out of memory 1 time since the daemon started, last at \d\d:\d\d:\d\d \(tools\.memoryLimitMb is 16\)/);
    assert.match(block, /next: opta config set tools\.memoryLimitMb 32 && opta daemon restart/);
    assert.match(block, /● permission requests were auto-denied 1 time since the daemon started: nobody answered within 1s/);
    assert.match(lines.filter(Boolean).at(-1)!, /^All checks passed with 2 warnings;/);
    assert.doesNotMatch(d.stdout, /log: /, 'no live check fails, so no evidence lines');
  });

  test('after a restart, the previous run is history: the doctor is healthy again, --since-start sees only the new run', async () => {
    const r = await runOpta(rig.h, ['daemon', 'restart']);
    assert.equal(r.code, 0, r.stderr);
    rig.refresh();
    const d = await runOpta(rig.h, ['doctor']);
    assert.equal(d.code, 0);
    assert.equal(d.stdout, guideHealthy());
    const since = await runOpta(rig.h, ['logs', 'analyze', '--json', '--since-start']);
    assert.deepEqual(counts(since.stdout), { 'daemon-started': 1 });
    const all = await runOpta(rig.h, ['logs', 'analyze', '--json']);
    assert.deepEqual(counts(all.stdout), { 'daemon-started': 2, 'daemon-stopping': 1, 'lmx-preflight-refused': 3, 'tool-worker-oom': 1, 'permission-auto-denied': 1 });
  });
});
