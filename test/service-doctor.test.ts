// The doctor and the service: findings from the manager's captured answers, the --fix that rewrites a stale unit, and nothing at all when no service is installed (issue 25).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeHome, runOpta, ROOT, type TestHome } from './helpers/env.js';

function fakeSystemctl(h: TestHome, show: string): NodeJS.ProcessEnv {
  const bin = path.join(h.home, 'fakebin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'systemctl'),
    `#!/bin/sh\necho "$*" >> '${path.join(h.home, 'systemctl.log')}'\ncase "$*" in *" show "*) cat '${path.join(ROOT, 'fixtures', 'service', 'systemd', show)}';; esac\nexit 0\n`,
    { mode: 0o755 },
  );
  return { ...h.env, PATH: `${bin}:${h.env.PATH}` };
}

const unitFile = (h: TestHome) => path.join(h.home, '.config', 'systemd', 'user', 'opta-daemon.service');

async function findings(h: TestHome, env: NodeJS.ProcessEnv): Promise<{ ids: string[]; report: any }> {
  const r = await runOpta(h, ['doctor', '--json'], { env });
  const report = JSON.parse(r.stdout);
  return { ids: report.findings.map((f: { id: string }) => f.id).filter((id: string) => id.startsWith('service-')), report };
}

test('no service installed: the manager is never asked and no service line is printed', async () => {
  const h = makeHome();
  try {
    const env = fakeSystemctl(h, 'running.txt');
    const { ids, report } = await findings(h, env);
    assert.ok(report.facts.some((f: { id: string; ok: boolean }) => f.id === 'service' && f.ok), 'the service fact was collected');
    assert.deepEqual(ids, []);
    assert.equal(fs.existsSync(path.join(h.home, 'systemctl.log')), false, 'systemctl was run although no unit file exists');
    const text = await runOpta(h, ['doctor'], { env });
    assert.doesNotMatch(text.stdout, /service/i);
  } finally {
    await h.cleanup();
  }
});

test('a crash-looping unit (failed, NRestarts = StartLimitBurst) and a changed unit file are findings with their next step', async () => {
  const h = makeHome();
  try {
    let env = fakeSystemctl(h, 'crashloop-failed-exit-code.full.txt');
    assert.equal((await runOpta(h, ['daemon', 'install'], { env })).code, 0);
    const loop = await findings(h, env);
    assert.deepEqual(loop.ids, ['service-crash-looping']);
    const f = loop.report.findings.find((x: { id: string }) => x.id === 'service-crash-looping');
    assert.match(f.message, /keeps failing under systemd \(opta-daemon\.service\): failed, 5 restarts, last exit code 3/);
    assert.equal(f.remediation, 'opta daemon logs --lines 200');
    fs.rmSync(path.join(h.home, 'fakebin'), { recursive: true });
    env = fakeSystemctl(h, 'need-daemon-reload.txt');
    const reload = await findings(h, env);
    assert.deepEqual(reload.ids, ['service-needs-reload']);
    fs.rmSync(path.join(h.home, 'fakebin'), { recursive: true });
    env = fakeSystemctl(h, 'running.txt');
    assert.deepEqual((await findings(h, env)).ids, []);
    const text = await runOpta(h, ['doctor'], { env });
    assert.doesNotMatch(text.stdout, /Checking service/, 'a healthy service adds no line');
  } finally {
    await h.cleanup();
  }
});

test('a unit whose node no longer exists is a finding, and doctor --fix rewrites it for the node and opta of now', async () => {
  const h = makeHome();
  try {
    const env = fakeSystemctl(h, 'running.txt');
    assert.equal((await runOpta(h, ['daemon', 'install'], { env })).code, 0);
    const good = fs.readFileSync(unitFile(h), 'utf8');
    fs.writeFileSync(unitFile(h), good.replace(`ExecStart=${process.execPath} `, 'ExecStart=/opt/old-node/bin/node '));
    const stale = await findings(h, env);
    assert.deepEqual(stale.ids, ['service-command-stale']);
    assert.match(stale.report.findings.find((x: { id: string }) => x.id === 'service-command-stale').message, /\(node-missing\): node \/opt\/old-node\/bin\/node/);
    fs.writeFileSync(path.join(h.home, 'systemctl.log'), '');
    const fix = await runOpta(h, ['doctor', '--fix', '--only', 'service-command-stale', '--yes'], { env });
    assert.equal(fs.readFileSync(unitFile(h), 'utf8'), good, fix.stdout + fix.stderr);
    assert.match(fs.readFileSync(path.join(h.home, 'systemctl.log'), 'utf8'), /--user daemon-reload/);
    assert.deepEqual((await findings(h, env)).ids, []);
  } finally {
    await h.cleanup();
  }
});

test('a unit for another home is not this home\'s supervisor: no finding, and stop/start do not go through it', async () => {
  const h = makeHome();
  try {
    const env = fakeSystemctl(h, 'running.txt');
    assert.equal((await runOpta(h, ['daemon', 'install'], { env })).code, 0);
    fs.writeFileSync(unitFile(h), fs.readFileSync(unitFile(h), 'utf8').replace(`OPTA_HOME=${h.optaHome}`, 'OPTA_HOME=/elsewhere/opta'));
    fs.writeFileSync(path.join(h.home, 'systemctl.log'), '');
    const r = await findings(h, env);
    assert.deepEqual(r.ids, []);
    assert.doesNotMatch(fs.readFileSync(path.join(h.home, 'systemctl.log'), 'utf8'), /show/, 'the manager is not asked about another home\'s unit');
    const st = await runOpta(h, ['daemon', 'status'], { env });
    assert.match(st.stdout, /^Supervisor: none for this home \(.* runs the daemon of \/elsewhere\/opta\)\.$/m);
  } finally {
    await h.cleanup();
  }
});
