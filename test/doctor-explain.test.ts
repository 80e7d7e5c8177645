// `opta doctor --explain ID` and `opta support analyze BUNDLE --explain ID` (issue 19) on real processes: a rule kept quiet on a healthy stack and fired on a failing one, a log pattern's matched lines, values and near misses from a real daemon log, a real bundle, a hostile one, a trusted pack's own pipeline, and unknown ids.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { makeHome, runOpta, ROOT, type TestHome } from './helpers/env.js';

/** A raw control character in output: C0 but \n, DEL, C1 (as UTF-8), U+2028/2029 (as UTF-8). */
function rawControl(text: string): number {
  return text.search(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
}

function writeJson(file: string, v: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(v, null, 2) + '\n');
}

describe('on a real daemon and LMX simulator', () => {
  let rig: DaemonRig;
  let bundle: string;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig?.cleanup();
  });

  test('healthy stack: the comparison that kept lmx-no-model quiet, with the fact values', async () => {
    const r = await runOpta(rig.h, ['doctor', '--explain', 'lmx-no-model', '--timeout', '8000'], { cwd: rig.h.home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Rule lmx-no-model \(shipped pack, .*lmx-no-model\.json\): did not fire$/m);
    assert.match(r.stdout, /^ {4}true {2}lmx \$\.reachable was true; equal true$/m);
    assert.match(r.stdout, /^ {4}false lmx \$\.modelState was "loaded"; equal "none"$/m);
    assert.match(r.stdout, /^Check: model, severity /m);
    assert.match(r.stdout, /^Guide: the ".+" section of the troubleshooting guide$/m);
    const j = JSON.parse((await runOpta(rig.h, ['doctor', '--explain', 'lmx-no-model', '--json', '--timeout', '8000'], { cwd: rig.h.home })).stdout);
    assert.equal(j.kind, 'rule');
    assert.equal(j.fired, false);
    assert.deepEqual(
      j.tree.children.map((c: { path: string; factResult: unknown; result: boolean }) => [c.path, c.factResult, c.result]),
      [
        ['$.reachable', true, true],
        ['$.modelState', 'loaded', false],
      ],
    );
  });

  test('a log pattern: the lines a real LMX failure wrote, their values, a near miss, the rules that read its count', async () => {
    await rig.api('POST', '/v3/sessions', { id: 'explain' });
    const ws = await rig.ws('explain', 0);
    try {
      // LMX refuses: the preflight fails with ECONNREFUSED (the pattern's line). Then no model: the same key phrase,
      // another cause (a near miss of lmx-preflight-refused).
      await rig.sim.setConfig({ mode: 'refuse' });
      const t1 = await rig.api('POST', '/v3/sessions/explain/turns', { content: 'x' });
      assert.equal((await ws.turnEnd(t1.body.turnId)).event, 'turn.error');
      await rig.sim.setConfig({ mode: 'nomodel' });
      const t2 = await rig.api('POST', '/v3/sessions/explain/turns', { content: 'y' });
      assert.equal((await ws.turnEnd(t2.body.turnId)).event, 'turn.error');
    } finally {
      await ws.close();
    }
    assert.match(rig.log(), /ERROR lmx preflight failed: ECONNREFUSED 127\.0\.0\.1:\d+/);
    assert.match(rig.log(), /ERROR lmx preflight failed: no model loaded on /);
    const r = await runOpta(rig.h, ['doctor', '--explain', 'lmx-preflight-refused', '--json', '--timeout', '8000'], { cwd: rig.h.home });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.kind, 'log-pattern');
    assert.equal(j.regex, JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', 'logs', 'lmx-preflight-refused.json'), 'utf8')).regex);
    assert.equal(j.lines.matched.total, 1);
    assert.equal(j.count, 1, 'the count the doctor saw agrees with the lines shown');
    assert.equal(j.lines.matched.shown[0].values.address, `127.0.0.1:${rig.sim.port}`);
    assert.match(j.lines.matched.shown[0].text, /ERROR lmx preflight failed: ECONNREFUSED/);
    assert.equal(j.lines.shared, 'lmx preflight failed: ');
    assert.equal(j.lines.nearMisses.total, 1);
    assert.match(j.lines.nearMisses.shown[0].text, /ERROR lmx preflight failed: no model loaded on /);
    assert.ok(j.lines.run, 'the current run begins at the daemon started line');
    assert.deepEqual(j.consumers, []);
    const text = await runOpta(rig.h, ['doctor', '--explain', 'lmx-preflight-refused', '--timeout', '8000'], { cwd: rig.h.home });
    assert.match(text.stdout, /^Log pattern lmx-preflight-refused \(shipped pack, .*\): 1 line matched in the current run$/m);
    assert.match(text.stdout, /^Regex: \^lmx preflight failed: /m);
    assert.match(text.stdout, /^ {6}values: address="127\.0\.0\.1:\d+"$/m);
    assert.match(text.stdout, /^Near misses: .*\(1\):\n {2}.*no model loaded on/m);
    assert.match(text.stdout, /^Doctor rules that read its count: none \(its findings are evidence under the lmx check\)$/m);
  });

  test('failing stack (LMX down): the fact value that made lmx-connection-refused fire; the same from a real bundle', async () => {
    await rig.sim.setConfig({ mode: 'refuse' });
    const r = await runOpta(rig.h, ['doctor', '--explain', 'lmx-connection-refused', '--timeout', '8000'], { cwd: rig.h.home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Rule lmx-connection-refused \(shipped pack, .*\): fired$/m);
    assert.match(r.stdout, /^ {4}true {2}lmx \$\.error was "refused"; equal "refused"$/m);
    assert.match(r.stdout, /^Message: /m);

    bundle = path.join(rig.h.home, 'bundle.json');
    const made = await runOpta(rig.h, ['support', 'bundle', '--json', '--out', bundle], { cwd: rig.h.home });
    assert.equal(made.code, 0, made.stderr);
    const b = await runOpta(rig.h, ['support', 'analyze', bundle, '--explain', 'lmx-connection-refused'], { cwd: rig.h.home });
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /^Explained from .*bundle\.json \(the bundle's facts and log lines/m);
    assert.match(b.stdout, /: fired$/m);
    assert.match(b.stdout, /^ {4}true {2}lmx \$\.error was "refused"; equal "refused"$/m);
    const quiet = await runOpta(rig.h, ['support', 'analyze', bundle, '--explain', 'lmx-no-model', '--json'], { cwd: rig.h.home });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(JSON.parse(quiet.stdout).fired, false);
    assert.equal(JSON.parse(quiet.stdout).tree.children[0].factResult, false, "the bundle's lmx.reachable");

    // The bundle's own log lines: the refused preflight from the turn above.
    const lp = await runOpta(rig.h, ['support', 'analyze', bundle, '--explain', 'lmx-preflight-refused', '--json'], { cwd: rig.h.home });
    assert.equal(lp.code, 0, lp.stderr);
    const j = JSON.parse(lp.stdout);
    assert.deepEqual(j.sources, ["the bundle's daemon log section"]);
    assert.equal(j.lines.matched.total, 1);
    assert.equal(j.lines.matched.shown[0].values.address, `127.0.0.1:${rig.sim.port}`);
    assert.equal(j.lines.nearMisses.total, 1);

    // A fix pipeline's plan from a bundle: guards on its facts, no action planned on this machine.
    const dn = await runOpta(rig.h, ['support', 'analyze', bundle, '--explain', 'daemon-not-running'], { cwd: rig.h.home });
    assert.equal(dn.code, 0, dn.stderr);
    assert.match(dn.stdout, /: did not fire$/m);
    assert.match(dn.stdout, /^ {2}its plan on the bundle's facts \(guards only; nothing of this machine is probed\):$/m);
  });

  test('a hostile bundle: a log line with terminal escapes comes out escaped', async () => {
    const b = JSON.parse(fs.readFileSync(bundle, 'utf8'));
    const logs = b.sections.find((s: { id: string }) => s.id === 'daemon-logs');
    assert.ok(logs, 'the bundle has its log section');
    logs.text += `\n[10:00:00] ERROR lmx preflight failed: ECONNREFUSED evil\x1b]0;pwned\x07\x1b[2J:1234\n[10:00:01] ERROR lmx preflight failed: nope\x1b[31m red\u2028`;
    const evil = path.join(rig.h.home, 'evil.json');
    fs.writeFileSync(evil, JSON.stringify(b));
    const r = await runOpta(rig.h, ['support', 'analyze', evil, '--explain', 'lmx-preflight-refused'], { cwd: rig.h.home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rawControl(r.stdout), -1, `no raw control character:\n${JSON.stringify(r.stdout)}`);
    assert.match(r.stdout, /values: address="evil\\x1b\]0;pwned\\x07\\x1b\[2J:1234"/);
    assert.match(r.stdout, /nope\\x1b\[31m red\\u2028/);
    // A log section far longer than a bundle's 200 lines: its last 256 KiB are read, and the note says so.
    logs.text = `${'[10:00:00] INFO filler line\n'.repeat(40_000)}[10:00:02] ERROR lmx preflight failed: ECONNREFUSED big:1`;
    const big = path.join(rig.h.home, 'big.json');
    fs.writeFileSync(big, JSON.stringify(b));
    const g = await runOpta(rig.h, ['support', 'analyze', big, '--explain', 'lmx-preflight-refused', '--json'], { cwd: rig.h.home });
    assert.equal(g.code, 0, g.stderr);
    const gj = JSON.parse(g.stdout);
    assert.equal(gj.lines.matched.shown.at(-1).values.address, 'big:1');
    assert.ok(gj.lines.lines < 12_000, `${gj.lines.lines} lines read`);
    assert.match(gj.notes.join('\n'), /longer than 256 KiB: its last 256 KiB were read/);
    const unknown = await runOpta(rig.h, ['support', 'analyze', evil, '--explain', `no-such\x1b[2J`], { cwd: rig.h.home });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no doctor rule or log pattern "no-such\\x1b\[2J".*opta rules list/);
  });

  test("docs/writing-rules.md's worked example, explained as the page says: fired on another model, quiet on the expected one", async (t) => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'writing-rules.md'), 'utf8');
    const rule = JSON.parse(/`\.opta\/rules\/doctor\/team-expected-model\.json`:[^\n]*\n\n```json\n([\s\S]*?)```/.exec(doc)![1]);
    // In the user's pack (always trusted): the page's project pack needs a git repo and a trust, tested above.
    const file = path.join(rig.h.optaHome, 'rules', 'doctor', 'team-expected-model.json');
    writeJson(file, rule);
    t.after(() => fs.rmSync(file));
    await rig.sim.setConfig({ mode: 'ok', model: 'qwen2.5-coder-14b' });
    const fired = await runOpta(rig.h, ['doctor', '--explain', 'team-expected-model', '--timeout', '8000'], { cwd: rig.h.home });
    assert.equal(fired.code, 0, fired.stderr);
    assert.match(fired.stdout, /^Rule team-expected-model \(user pack, .*\): fired$/m);
    assert.match(fired.stdout, /^ {4}true {2}lmx \$\.model was "qwen2\.5-coder-14b"; notEqual "qwen2\.5-coder-32b"$/m);
    for (const line of /```\nRule team-expected-model[^\n]*\n([\s\S]*?)```/.exec(doc)![1].trim().split('\n')) assert.ok(fired.stdout.includes(line), `the page's line "${line}" is what opta prints`);
    await rig.sim.setConfig({ model: 'qwen2.5-coder-32b' });
    const quiet = await runOpta(rig.h, ['doctor', '--explain', 'team-expected-model', '--timeout', '8000'], { cwd: rig.h.home });
    assert.match(quiet.stdout, /: did not fire$/m);
    assert.match(quiet.stdout, /^ {4}false lmx \$\.model was "qwen2\.5-coder-32b"; notEqual "qwen2\.5-coder-32b"$/m);
  });
});

describe('without a daemon', () => {
  let h: TestHome;
  before(() => {
    h = makeHome();
  });
  after(async () => {
    await h.cleanup();
  });

  test("log lines in the daemon's format (written here): bounded matches, the run's start, the rule that reads the count and fired", async () => {
    // Three LMX failures mid-turn fire logs-turns-lmx-errors; provoking a mid-stream failure needs a timed mode switch,
    // so these lines are written in the format the daemon writes (the test above provokes real ones).
    const before = ['[09:00:00] INFO daemon started on 127.0.0.1:1', '[09:00:01] ERROR lmx request failed: TIMEOUT old-run:1 (no answer within 1 ms)'];
    const run = ['[10:00:00] INFO daemon started on 127.0.0.1:2'];
    for (let i = 0; i < 12; i++) run.push(`[10:00:${String(i + 1).padStart(2, '0')}] ERROR lmx request failed: TIMEOUT 127.0.0.1:${1000 + i} (no answer within 10000 ms)`);
    run.push('[10:01:00] WARN lmx request failed: warn level, not the pattern\'s');
    fs.mkdirSync(path.join(h.optaHome, 'daemon'), { recursive: true });
    fs.writeFileSync(path.join(h.optaHome, 'daemon', 'daemon.log'), [...before, ...run].join('\n') + '\n');
    const r = await runOpta(h, ['doctor', '--explain', 'lmx-request-failed', '--json', '--timeout', '5000'], { cwd: h.home });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.lines.matched.total, 12, 'the line before the run start does not count');
    assert.equal(j.count, 12);
    assert.equal(j.lines.matched.shown.length, 10, 'the last 10 shown');
    assert.equal(j.lines.matched.shown[9].values.cause, 'TIMEOUT 127.0.0.1:1011 (no answer within 10000 ms)');
    assert.equal(j.lines.run.line, 3);
    assert.equal(j.lines.nearMisses.total, 0, 'a WARN line is not of its level: no near miss');
    assert.deepEqual(
      j.consumers.map((c: { rule: string; fired: boolean }) => [c.rule, c.fired]),
      [['logs-turns-lmx-errors', true]],
    );
    assert.equal(j.consumers[0].tree.children[0].factResult, 12);
    const text = await runOpta(h, ['doctor', '--explain', 'lmx-request-failed', '--timeout', '5000'], { cwd: h.home });
    assert.match(text.stdout, /^Matched \(12, the last 10 shown\):$/m);
    assert.match(text.stdout, /^ {2}logs-turns-lmx-errors \(shipped pack\): fired\n {4}true {2}all:\n {6}true {2}daemon-log-analysis \$\.patterns\.lmx-request-failed\.count was 12; greaterThanInclusive 3$/m);
  });

  test('an unknown id exits 2 with the rules list hint, for doctor and for support analyze', async () => {
    const r = await runOpta(h, ['doctor', '--explain', 'no-such-rule'], { cwd: h.home });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no doctor rule or log pattern "no-such-rule".*opta rules list/);
    assert.equal(r.stdout, '');
  });

  test('an id that is both a doctor rule and a log pattern: the rule, and logs/ID for the pattern', async () => {
    const r = await runOpta(h, ['doctor', '--explain', 'daemon-ports-exhausted', '--timeout', '5000'], { cwd: h.home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Rule daemon-ports-exhausted /m);
    assert.match(r.stdout, /^Also a log pattern of that id: --explain logs\/daemon-ports-exhausted$/m);
    const p = await runOpta(h, ['doctor', '--explain', 'logs/daemon-ports-exhausted', '--timeout', '5000'], { cwd: h.home });
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^Log pattern daemon-ports-exhausted /m);
  });

  test("a trusted project pack's rule and its own fix pipeline: explain shows the pack pipeline's plan", async (t) => {
    const dir = fs.mkdtempSync(path.join(path.dirname(h.home), 'opta-proj-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    execFileSync('git', ['init', '-q', dir]);
    writeJson(path.join(dir, '.opta', 'rules', 'doctor', 'team-sessions-dir.json'), {
      $schema: '../../schemas/rule.schema.json',
      name: 'team-sessions-dir',
      conditions: { all: [{ fact: 'node-version', path: '$.major', operator: 'greaterThanInclusive', value: 1 }] },
      event: {
        type: 'finding',
        params: { id: 'team-sessions-dir', check: 'permissions', severity: 'warn', message: 'the team wants the home made', why: 'team policy', remediation: 'opta doctor --fix', guide: 'opta doctor', fix: 'fix-team-dirs' },
      },
    });
    writeJson(path.join(dir, '.opta', 'rules', 'fixes', 'fix-team-dirs.json'), {
      $schema: '../../schemas/fix-pipeline.schema.json',
      id: 'fix-team-dirs',
      title: "Make the team's directories",
      guide: 'opta doctor',
      repairs: ['team-sessions-dir'],
      // Its guard reads a fact no doctor rule needs (state-file): the explanation collects it, as --fix does.
      steps: [{ action: 'dir.create', title: 'create the directories the team expects', when: { fact: 'state-file', path: '$.class', operator: 'equal', value: 'missing' } }],
    });
    const trust = await runOpta(h, ['rules', 'trust'], { cwd: dir });
    assert.equal(trust.code, 0, trust.stderr);
    const r = await runOpta(h, ['doctor', '--explain', 'team-sessions-dir', '--timeout', '5000'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Rule team-sessions-dir \(project pack, .*team-sessions-dir\.json\): fired$/m);
    assert.match(r.stdout, /^Repaired by: fix-team-dirs \(Make the team's directories; .*\.opta\/rules\/fixes\/fix-team-dirs\.json\)$/m);
    assert.match(r.stdout, /^ {2}1\. dir\.create: create the directories the team expects: /m);
    const j = JSON.parse((await runOpta(h, ['doctor', '--explain', 'team-sessions-dir', '--json', '--timeout', '5000'], { cwd: dir })).stdout);
    assert.equal(j.fix.plan.steps[0].guard.held, true);
    assert.ok(j.fix.plan.steps[0].plan.summary.length > 0);
  });
});
