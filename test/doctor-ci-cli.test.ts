// opta doctor as a CI gate on a live stack (real daemon + LMX simulator): --ci, --format/--output pairs, exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DoctorReportSchema } from '../src/doctor/report-schema.js';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { OPTA_BIN, runOpta } from './helpers/env.js';
import { checkJunit } from './helpers/junit-check.js';
import { checkMetrics, sampleValue } from './helpers/metrics-check.js';
import { exitCodeWithin } from './helpers/wait.js';

const RULE_COUNT = fs.readdirSync(path.join(process.cwd(), 'rules', 'doctor')).filter((f) => f.endsWith('.json')).length;

describe('opta doctor --ci and report formats on a live stack', () => {
  let rig: DaemonRig;
  let out: string;
  before(async () => {
    rig = await startRig();
    out = path.join(rig.h.home, 'reports');
    fs.mkdirSync(out);
  });
  after(async () => rig?.cleanup());
  const file = (name: string) => path.join(out, name);

  test('--ci: no colour even when FORCE_COLOR asks for it, and never waits for input (stdin left open)', async () => {
    const colourEnv = { NO_COLOR: '', FORCE_COLOR: '1', TERM: 'xterm-256color' };
    const coloured = await runOpta(rig.h, ['doctor'], { env: colourEnv });
    assert.match(coloured.stdout, /\x1b\[32m●/, 'the same environment colours a run without --ci');
    const child = spawn(process.execPath, [OPTA_BIN, 'doctor', '--ci'], { env: { ...rig.h.env, ...colourEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const code = await exitCodeWithin(child, 30000, () => `opta doctor --ci (stdin left open) to exit; got: ${stdout}`);
    child.stdin.destroy();
    assert.equal(code, 0);
    assert.doesNotMatch(stdout, /\x1b\[/);
    assert.match(stdout, /^Checking daemon\.\.\. +● running/);
  });

  test('healthy: exit 0, the text on stdout, JUnit/OpenMetrics/JSON files written next to it (33 passing testcases)', async () => {
    const r = await runOpta(rig.h, ['doctor', '--ci', '--format', 'junit', '--output', file('r.xml'), '--format', 'openmetrics', '--output', file('m.prom'), '--json', '--output', file('r.json')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Checking daemon\.\.\. +● running \(pid \d+, port \d+\)\n[\s\S]*\nAll checks passed\.\n$/);
    const j = checkJunit(fs.readFileSync(file('r.xml'), 'utf8'));
    assert.deepEqual(j.counts, { tests: RULE_COUNT, failures: 0, errors: 0, skipped: 0 });
    const m = checkMetrics(fs.readFileSync(file('m.prom'), 'utf8'));
    assert.equal(sampleValue(m, 'opta_doctor_check_status', { check: 'daemon', status: 'ok' }), 1);
    assert.equal(sampleValue(m, 'opta_doctor_exit_code'), 0);
    assert.ok(sampleValue(m, 'opta_doctor_fact_duration_seconds', { fact: 'lmx' })! > 0);
    assert.equal(DoctorReportSchema.parse(JSON.parse(fs.readFileSync(file('r.json'), 'utf8'))).status, 'healthy');
    // Other programs read these files: a new one is 0666 minus the umask (like `> file`), not 0600.
    const umask = process.umask();
    for (const f of ['r.xml', 'm.prom', 'r.json']) assert.equal(fs.statSync(file(f)).mode & 0o777, 0o666 & ~umask, f);
    assert.deepEqual(fs.readdirSync(out).sort(), ['m.prom', 'r.json', 'r.xml'], 'no temp file left behind');
  });

  test('an existing file keeps its mode, a symlink keeps pointing at its target, and the content is replaced whole', async () => {
    fs.writeFileSync(file('keep.xml'), 'old '.repeat(10000));
    fs.chmodSync(file('keep.xml'), 0o664);
    fs.writeFileSync(file('target.prom'), 'old');
    fs.symlinkSync(file('target.prom'), file('link.prom'));
    const r = await runOpta(rig.h, ['doctor', '--format', 'junit', '--output', file('keep.xml'), '--format', 'openmetrics', '--output', file('link.prom')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.statSync(file('keep.xml')).mode & 0o777, 0o664, 'kept even where the umask would strip it');
    checkJunit(fs.readFileSync(file('keep.xml'), 'utf8'));
    assert.ok(fs.lstatSync(file('link.prom')).isSymbolicLink());
    checkMetrics(fs.readFileSync(file('target.prom'), 'utf8'));
  });

  test('warning-only stack: exit 0 and no failing testcase; with --strict exit 1 and the warning fails', async () => {
    fs.chmodSync(rig.h.paths.stateFile, 0o644);
    try {
      const r = await runOpta(rig.h, ['doctor', '--ci', '--format', 'junit']);
      assert.equal(r.code, 0);
      const j = checkJunit(r.stdout);
      assert.deepEqual(j.counts, { tests: RULE_COUNT, failures: 0, errors: 0, skipped: 0 });
      assert.match(j.root.children.at(-2)!.text, /All checks passed with 1 warning/);
      const s = await runOpta(rig.h, ['doctor', '--ci', '--strict', '--format', 'junit']);
      assert.equal(s.code, 1);
      const js = checkJunit(s.stdout);
      assert.deepEqual(js.byResult.failure, ['permissions-loose-modes']);
      assert.equal(js.counts.errors, 0);
    } finally {
      fs.chmodSync(rig.h.paths.stateFile, 0o600);
    }
  });

  test('failing stack (LMX refusing): exit 1, a failure for the rule, the model rules skipped, GitHub annotations and job summary', async () => {
    await rig.sim.setConfig({ mode: 'refuse' });
    const summary = file('step-summary.md');
    try {
      const r = await runOpta(rig.h, ['doctor', '--ci', '--format', 'github', '--format', 'junit', '--output', file('fail.xml')], { env: { GITHUB_STEP_SUMMARY: summary } });
      assert.equal(r.code, 1);
      const j = checkJunit(fs.readFileSync(file('fail.xml'), 'utf8'));
      assert.deepEqual(j.byResult.failure, ['lmx-connection-refused']);
      assert.deepEqual(j.byResult.skipped, ['lmx-model-unknown', 'lmx-no-model']);
      assert.equal(j.counts.errors, 0);
      const lines = r.stdout.split('\n');
      assert.ok(lines[0].startsWith('Checking daemon...'), 'the text report first');
      const addr = `127.0.0.1%3A${rig.sim.port}`;
      const prefix = `::error title=opta doctor%3A lmx%3A lmx-connection-refused::unreachable: 127.0.0.1:${rig.sim.port} refused the connection (nothing listens there)%0Awhy: `;
      const annotation = lines.find((l) => l.startsWith(prefix));
      assert.ok(annotation, r.stdout);
      assert.ok(annotation.endsWith(`%0Anext: curl http://127.0.0.1:${rig.sim.port}/healthz`), annotation);
      assert.ok(!r.stdout.includes(addr), 'the message is data: its colon is not escaped');
      assert.equal(lines.filter(Boolean).at(-1), '::notice title=opta doctor::1 problem (1 error); opta doctor --fix cannot repair it; run the command shown.');
      const md = fs.readFileSync(summary, 'utf8');
      assert.match(md, /^## opta doctor: 1 problem \(1 error\)/);
      assert.match(md, new RegExp(`^\\| LMX \\| ❌ error \\| unreachable: 127\\.0\\.0\\.1:${rig.sim.port} refused the connection`, 'm'));
      // Appended, as GitHub expects from every step: a second run adds a second summary.
      await runOpta(rig.h, ['doctor', '--format', 'github'], { env: { GITHUB_STEP_SUMMARY: summary } });
      assert.equal(fs.readFileSync(summary, 'utf8').match(/^## opta doctor/gm)!.length, 2);
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
  });

  test('timed-out stack (LMX hanging): exit 1 by the deadline, LMX reported in JUnit and OpenMetrics', async () => {
    await rig.sim.setConfig({ mode: 'hang' });
    try {
      const r = await runOpta(rig.h, ['doctor', '--ci', '--timeout', '1200', '--format', 'junit', '--format', 'openmetrics', '--output', file('hang.prom')]);
      assert.equal(r.code, 1);
      assert.ok(r.ms < 1200 + 1500, `took ${r.ms} ms`);
      const j = checkJunit(r.stdout);
      const bad = [...j.byResult.failure, ...j.byResult.error];
      assert.ok(bad.includes('lmx-timeout') || bad.includes('check-timed-out'), JSON.stringify(j.byResult));
      const m = checkMetrics(fs.readFileSync(file('hang.prom'), 'utf8'));
      assert.equal(sampleValue(m, 'opta_doctor_check_status', { check: 'lmx', status: 'ok' }), 0);
      assert.ok(sampleValue(m, 'opta_doctor_fact_duration_seconds', { fact: 'lmx' })! >= 0.5);
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
  });

  test('what LMX answers cannot add lines or workflow commands: a model name with line breaks and control characters stays on its line, escaped', async () => {
    // An LMX host is another machine: its /readyz model name is data, and the text report goes to a CI log that
    // GitHub's runner scans for ::commands (a ::stop-commands:: there would silence every annotation after it).
    const evil = 'qwen\n::error title=injected::LMX wrote this\r\n::stop-commands::x\u001b[2J\u0007 ok';
    await rig.sim.setConfig({ model: evil });
    try {
      const r = await runOpta(rig.h, ['doctor', '--ci', '--format', 'github', '--format', 'json', '--output', file('evil.json')]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.deepEqual(lines.filter((l) => /^\s*::/.test(l)), ['::notice title=opta doctor::All checks passed.'], r.stdout);
      assert.doesNotMatch(r.stdout, /[\r\u0000-\u0008\u000b-\u001f\u007f]/, 'no control character reaches the log');
      assert.equal(lines.filter((l) => l.startsWith('Checking model...')).length, 1);
      assert.match(r.stdout, /^Checking model\.\.\. +● loaded \(qwen\\n::error title=injected::LMX wrote this\\r\\n::stop-commands::x\\x1b\[2J\\x07 ok\)$/m);
      const report = JSON.parse(fs.readFileSync(file('evil.json'), 'utf8')) as { checks: Array<{ id: string; summary: string }> };
      assert.equal(report.checks.find((c) => c.id === 'model')!.summary, 'loaded (qwen\\n::error title=injected::LMX wrote this\\r\\n::stop-commands::x\\x1b[2J\\x07 ok)');
    } finally {
      await rig.sim.setConfig({ model: 'qwen3-30b-a3b' });
    }
  });

  test('an --output that cannot be written (a full device) gives exit 2 whatever the findings were; the other outputs are still written', async () => {
    const healthy = await runOpta(rig.h, ['doctor', '--ci', '--format', 'openmetrics', '--output', '/dev/full', '--json', '--output', file('full-ok.json')]);
    assert.equal(healthy.code, 2, healthy.stderr);
    assert.match(healthy.stderr, /^opta: could not write \/dev\/full: .*ENOSPC/m);
    assert.equal(JSON.parse(fs.readFileSync(file('full-ok.json'), 'utf8')).status, 'healthy');
    await rig.sim.setConfig({ mode: 'refuse' });
    try {
      const failing = await runOpta(rig.h, ['doctor', '--ci', '--format', 'junit', '--output', '/dev/full']);
      assert.equal(failing.code, 2, 'could not run as asked wins over the findings (1)');
      assert.match(failing.stdout, /^Checking LMX\.\.\. +● unreachable/m, 'the text report still went to stdout');
    } finally {
      await rig.sim.setConfig({ mode: 'ok' });
    }
  });

  test('the commander path (opta --debug doctor ...) pairs --format/--output the same way', async () => {
    const r = await runOpta(rig.h, ['--debug', 'doctor', '--format', 'json', '--output', file('cmd.json'), '--format', 'junit']);
    assert.equal(r.code, 0, r.stderr);
    checkJunit(r.stdout);
    assert.equal(JSON.parse(fs.readFileSync(file('cmd.json'), 'utf8')).status, 'healthy');
    const bad = await runOpta(rig.h, ['--debug', 'doctor', '--format', 'junit', '--format', 'github']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /only one format can go to standard output/);
  });

  test('bad flags: exit 2 with one clear paragraph, before any check runs or any file is written', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--format', 'yaml'], /--format takes text, json, junit, github, openmetrics, not "yaml"/],
      [['--output', file('x.xml')], /--output .*x\.xml has no --format before it/],
      [['--format', 'junit', '--format', 'json'], /only one format can go to standard output/],
      [['--json', '--format', 'github'], /only one format can go to standard output/],
      [['--format', 'junit', '--output', path.join(out, 'no-such-dir', 'r.xml')], /cannot write in .*no-such-dir \(ENOENT/],
      [['--format', 'junit', '--output', out], /is a directory; give a file name inside it/],
      [['--interval', '5s'], /--interval sets the pause between --watch runs; add --watch/],
      [['--watch', '--format', 'json'], /--watch prints what changed on standard output; give --format json a file/],
      [['--watch', '--interval', '10ms'], /--interval takes a duration from 1s to 24h/],
      [['--watch', '--interval', '25h'], /--interval takes a duration from 1s to 24h/],
      [['--watch', '--interval', '86400001ms'], /--interval takes a duration from 1s to 24h/],
      [['--format'], /argument missing|requires an argument|option .*--format/i],
      [['--bogus'], /unknown option/],
    ];
    for (const [args, re] of cases) {
      const r = await runOpta(rig.h, ['doctor', '--ci', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout.includes('Checking'), false, `${args.join(' ')}: no check ran`);
    }
    assert.ok(!fs.existsSync(file('x.xml')));
  });
});
