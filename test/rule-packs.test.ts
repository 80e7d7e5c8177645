// Rule packs (issue 19): a project pack in a throwaway git repo is ignored until trusted, runs once trusted, is ignored again once edited; it replaces and turns off shipped rules; a pack pipeline cannot name a path or pid; a catastrophic pack pattern is refused by file and the doctor still ends within --timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeHome, runOpta, ROOT, type TestHome } from './helpers/env.js';
import { TEAM_RULE } from './helpers/team-rule.js';

const NOTICE = /ignored the untrusted rule pack in .*\.opta .*opta rules trust/;

/** A git repo inside the throwaway HOME's sibling (not under HOME: the upward search stops there). */
function project(h: TestHome): string {
  const dir = fs.mkdtempSync(path.join(path.dirname(h.home), 'opta-proj-'));
  execFileSync('git', ['init', '-q', dir]);
  fs.mkdirSync(path.join(dir, '.opta', 'rules', 'doctor'), { recursive: true });
  return dir;
}

function writeJson(file: string, v: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(v, null, 2) + '\n');
}


function shipped(kind: string, id: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', kind, `${id}.json`), 'utf8'));
}

test('a project pack: untrusted is ignored with one notice; trusted it runs, replaces and disables; edited it is ignored again', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const dir = project(h);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const doctorDir = path.join(dir, '.opta', 'rules', 'doctor');
  writeJson(path.join(doctorDir, 'team-node-pinned.json'), TEAM_RULE);
  // Replace a shipped rule (node-version-old now fires on any Node below 1000) and turn another off.
  const old = shipped('doctor', 'node-version-old');
  old.conditions.all[0].value = 1000;
  writeJson(path.join(doctorDir, 'node-version-old.json'), old);
  writeJson(path.join(doctorDir, 'disk-low.json'), { id: 'disk-low', disabled: true, reason: 'our CI disks are small' });
  const sub = path.join(dir, 'src', 'deep');
  fs.mkdirSync(sub, { recursive: true });

  const doctor = () => runOpta(h, ['doctor', '--json', '--timeout', '3000'], { cwd: sub });
  let r = await doctor();
  const report = () => JSON.parse(r.stdout) as { findings: Array<{ id: string; message: string }>; notices: string[]; rules: { ran: Array<{ id: string }> } };
  assert.equal(r.stderr.match(new RegExp(NOTICE.source, 'g'))?.length, 1, `one notice on stderr:\n${r.stderr}`);
  assert.match(report().notices.join('\n'), NOTICE);
  assert.ok(!report().findings.some((f) => f.id === 'team-node-pinned'), 'an untrusted pack does not run');
  assert.ok(report().rules.ran.some((x) => x.id === 'disk-low'), 'an untrusted stub turns nothing off');
  assert.ok(!report().findings.some((f) => f.id === 'node-version-old'));

  const trust = await runOpta(h, ['rules', 'trust'], { cwd: sub });
  assert.equal(trust.code, 0, trust.stderr);
  assert.match(trust.stdout, /Trusted the rule pack in .*\.opta \(3 file\(s\)/);

  r = await doctor();
  assert.doesNotMatch(r.stderr, NOTICE);
  assert.deepEqual(report().notices, []);
  assert.match(report().findings.find((f) => f.id === 'team-node-pinned')?.message ?? '', /^the team pins Node v?\d+/);
  assert.ok(report().findings.some((f) => f.id === 'node-version-old'), 'the replacement (threshold 1000) fires');
  assert.ok(!report().rules.ran.some((x) => x.id === 'disk-low'), 'the stub turned disk-low off');

  const list = await runOpta(h, ['rules', 'list', '--kind', 'doctor'], { cwd: sub });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /node-version-old .*project\s+replaces shipped/);
  assert.match(list.stdout, /disk-low .*project\s+disables shipped: our CI disks are small/);
  assert.match(list.stdout, /team-node-pinned .*project\s+-/);

  // Any edit needs a new trust.
  fs.appendFileSync(path.join(doctorDir, 'team-node-pinned.json'), ' ');
  r = await doctor();
  assert.equal(r.stderr.match(new RegExp(NOTICE.source, 'g'))?.length, 1, r.stderr);
  assert.ok(!report().findings.some((f) => f.id === 'team-node-pinned'));
});

test("the user's pack is trusted; a stub without a reason is refused by file and JSON path, the other rules still run", async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const user = path.join(h.optaHome, 'rules', 'doctor');
  writeJson(path.join(user, 'team-node-pinned.json'), TEAM_RULE);
  writeJson(path.join(user, 'disk-low.json'), { id: 'disk-low', disabled: true });
  const r = await runOpta(h, ['doctor', '--json', '--timeout', '3000'], { cwd: h.home });
  const rep = JSON.parse(r.stdout) as { findings: Array<{ id: string }>; ruleProblems: Array<{ file: string; jsonPath: string }>; exitCode: number };
  assert.ok(rep.findings.some((f) => f.id === 'team-node-pinned'), r.stderr);
  assert.deepEqual(rep.ruleProblems.map((p) => [path.basename(p.file), p.jsonPath]), [['disk-low.json', '$.reason']]);
  assert.equal(r.code, 2);
});

test('a pack pipeline naming a path outside the home or a pid is refused at load, by file and JSON path', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const fixes = path.join(h.optaHome, 'rules', 'fixes');
  const base = shipped('fixes', 'fix-file-modes');
  writeJson(path.join(fixes, 'team-wipe.json'), { ...base, id: 'team-wipe', steps: [{ action: 'mode.repair', title: 't', args: { file: '/etc/passwd' } }] });
  writeJson(path.join(fixes, 'team-kill.json'), { ...base, id: 'team-kill', steps: [{ action: 'mode.repair', title: 't', args: { pid: 1 } }] });
  const r = await runOpta(h, ['rules', 'list', '--kind', 'fixes'], { cwd: h.home });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /team-wipe\.json is invalid at \$\.steps\[0\]\.args\.file/);
  assert.match(r.stderr, /team-kill\.json is invalid at \$\.steps\[0\]\.args/);
  assert.doesNotMatch(r.stdout, /team-wipe|team-kill/);
  assert.match(r.stdout, /fix-file-modes/, 'the shipped pipelines still load');
});

test('a pack log pattern that backtracks catastrophically is refused by file, and the doctor ends within --timeout', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const logs = path.join(h.optaHome, 'rules', 'logs');
  const base = shipped('logs', 'tool-worker-oom');
  writeJson(path.join(logs, 'team-aaa.json'), { ...base, id: 'team-aaa', regex: '^(a+)+$', examples: ['aaaa'] });
  fs.mkdirSync(path.dirname(h.paths.logFile), { recursive: true });
  fs.writeFileSync(h.paths.logFile, `2024-01-01T00:00:00.000Z ERROR ${'a'.repeat(50_000)}!\n`);
  const started = Date.now();
  const r = await runOpta(h, ['doctor', '--json', '--timeout', '2000'], { cwd: h.home, timeoutMs: 15_000 });
  const ms = Date.now() - started;
  assert.ok(ms < 4000, `ended in ${ms} ms`);
  const rep = JSON.parse(r.stdout) as { ruleProblems: Array<{ file: string; jsonPath: string; message: string }> };
  const p = rep.ruleProblems.find((x) => x.file.endsWith('team-aaa.json'));
  assert.ok(p, r.stdout);
  assert.equal(p.jsonPath, '$.regex');
  assert.equal(r.code, 2);
});

test('suppressions: a held finding leaves the exit code, shows in --verbose, JSON, JUnit <skipped> and GitHub; expired is a warning; no reason is refused', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  // A user rule that always fires as an error: exit 1 unless suppressed.
  writeJson(path.join(h.optaHome, 'rules', 'doctor', 'team-node-pinned.json'), { ...TEAM_RULE, event: { ...TEAM_RULE.event, params: { ...TEAM_RULE.event.params, severity: 'error' } } });
  const sup = path.join(h.optaHome, 'suppressions.json');
  // Only the node check: the throwaway home's stopped daemon would fail the run whatever the suppression does.
  const run = (...args: string[]) => runOpta(h, ['doctor', '--only', 'node', '--timeout', '3000', ...args], { cwd: h.home });
  const fired = await run('--json');
  assert.ok(JSON.parse(fired.stdout).findings.some((f: { id: string }) => f.id === 'team-node-pinned'));
  const before = JSON.parse(fired.stdout).exitCode as number;
  assert.equal(before, 1);

  writeJson(sup, { suppressions: [{ rule: 'team-node-pinned', reason: 'upgrading in Q3', until: '2999-12-31' }] });
  const json = await run('--json');
  const rep = JSON.parse(json.stdout);
  assert.ok(!rep.findings.some((f: { id: string }) => f.id === 'team-node-pinned'));
  assert.equal(rep.suppressed[0].id, 'team-node-pinned');
  assert.equal(rep.suppressed[0].suppression.reason, 'upgrading in Q3');
  assert.equal(json.code, 0, 'the only finding is held back: exit 0');
  assert.notEqual(rep.counts.errors, JSON.parse(fired.stdout).counts.errors);
  const junit = await run('--format', 'junit');
  assert.match(junit.stdout, /<testcase classname="node" name="team-node-pinned"[^>]*>\s*<skipped message="suppressed until 2999-12-31: upgrading in Q3/);
  const gh = await run('--format', 'github');
  assert.match(gh.stdout, /::notice title=opta doctor%3A suppressed%3A team-node-pinned::/);
  const verbose = await run('--verbose');
  assert.match(verbose.stdout, /suppressed: team-node-pinned until 2999-12-31: upgrading in Q3/);

  writeJson(sup, { suppressions: [{ rule: 'team-node-pinned', reason: 'upgrading in Q3', until: '2001-01-31' }] });
  const expired = await run('--json');
  assert.equal(expired.code, 1);
  assert.match(expired.stderr, /suppression of team-node-pinned in .*suppressions\.json expired on 2001-01-31/);
  assert.ok(JSON.parse(expired.stdout).findings.some((f: { id: string }) => f.id === 'team-node-pinned'));

  writeJson(sup, { suppressions: [{ rule: 'team-node-pinned', until: '2999-12-31' }] });
  const noReason = await run('--json');
  assert.equal(noReason.code, 2);
  assert.match(noReason.stderr, /suppressions\.json is invalid at \$\.suppressions\[0\]\.reason: a suppression must say why/);
});

test('doctor --explain: the fact values that made a rule fire, and the comparison that kept another quiet', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  // No daemon in the throwaway home: daemon-not-running fires; LMX is unreachable, so lmx-no-model stays quiet.
  const fired = await runOpta(h, ['doctor', '--explain', 'daemon-not-running', '--timeout', '3000'], { cwd: h.home });
  assert.equal(fired.code, 0, fired.stderr);
  assert.match(fired.stdout, /^Rule daemon-not-running \(shipped pack, .*\): fired$/m);
  assert.match(fired.stdout, /^ {4}true {2}daemon \$\.status was "not-running"; equal "not-running"$/m);
  assert.match(fired.stdout, /^Repaired by: fix-start-daemon/m);
  assert.match(fired.stdout, /daemon\.start: start the daemon/);
  assert.match(fired.stdout, /^Guide: the "Daemon Exits Immediately" section/m);
  const quiet = await runOpta(h, ['doctor', '--explain', 'lmx-no-model', '--timeout', '3000'], { cwd: h.home });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stdout, /: did not fire$/m);
  assert.match(quiet.stdout, /^ {4}false lmx \$\.reachable was false; equal true$/m);
  const unknown = await runOpta(h, ['doctor', '--explain', 'no-such-rule'], { cwd: h.home });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no doctor rule or log pattern "no-such-rule"/);
});
