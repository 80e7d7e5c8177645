// `opta rules test` (issue 19): the shipped rules' own cases hold, every rule carries both kinds of case, a broken
// threshold or regex in a scratch copy turns red naming the rule, JUnit validates, a pack rule without cases is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeHome, runOpta, ROOT, type TestHome } from './helpers/env.js';
import { checkJunitSuites } from './helpers/junit-check.js';
import { FACT_ID_LIST } from '../src/facts/catalog.js';
import { doctorKind } from '../src/doctor/kind.js';
import { loadKind } from '../src/rules/loader.js';
import { TEAM_RULE } from './helpers/team-rule.js';

const RULES = path.join(ROOT, 'rules');
const SUMMARY = /^(\d+) rule\(s\), (\d+) case\(s\): (\d+) passed, (\d+) failed; (\d+) rule\(s\) missing a case they need\./m;

function files(kind: string): Array<{ file: string; rule: Record<string, any> }> {
  const dir = path.join(RULES, kind);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: f, rule: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, any> }));
}

/** A scratch copy of one shipped kind's directory, with `edit` applied to one file's text. */
function scratch(h: TestHome, kind: string, file: string, edit: (text: string) => string): string {
  const dir = path.join(h.home, 'scratch-rules', kind);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(path.join(RULES, kind))) fs.copyFileSync(path.join(RULES, kind, f), path.join(dir, f));
  const target = path.join(dir, file);
  const before = fs.readFileSync(target, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, `the edit changed ${file}`);
  fs.writeFileSync(target, after);
  return dir;
}


test('opta rules test over the shipped rules: every case holds, exit 0', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const r = await runOpta(h, ['rules', 'test'], { cwd: h.home, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const m = SUMMARY.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [rules, cases, passed, failed, missing] = m.slice(1).map(Number);
  const shipped = ['doctor', 'logs', 'fixes', 'redact'].reduce((n, k) => n + files(k).length, 0);
  assert.equal(rules, shipped, 'every shipped rule file was tested');
  assert.ok(cases >= 2 * rules, `${cases} cases`);
  assert.deepEqual([passed, failed, missing], [cases, 0, 0]);
  assert.doesNotMatch(r.stdout, /^FAIL /m);
});

test('every shipped rule carries a firing and a passing case of its kind', () => {
  const lacking: string[] = [];
  for (const { file, rule } of files('doctor')) if (!rule.tests?.fires?.length || !rule.tests?.passes?.length) lacking.push(`doctor/${file}`);
  for (const { file, rule } of files('logs')) {
    const withValues = rule.examples.some((ex: unknown) => typeof ex === 'object' && ex !== null && 'values' in ex);
    if (!rule.nearMisses?.length || (/\(\?</.test(rule.regex) && !withValues)) lacking.push(`logs/${file}`);
  }
  for (const { file, rule } of files('fixes')) {
    const plans: number[][] = (rule.tests ?? []).map((c: { plan: number[] }) => c.plan);
    if (!plans.some((p) => p.length) || !plans.some((p) => p.length < rule.steps.length)) lacking.push(`fixes/${file}`);
  }
  for (const { file, rule } of files('redact')) if (!rule.examples?.length || !rule.lookalikes?.length) lacking.push(`redact/${file}`);
  assert.deepEqual(lacking, []);
  assert.equal(files('doctor').length >= 52 && files('logs').length >= 28 && files('fixes').length >= 12, true);
});

test('the healthy baseline the cases start from gives every fact a collector makes (a new fact needs its healthy value there)', () => {
  const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'doctor', 'base-facts.json'), 'utf8')) as { facts: object; collected: object };
  const given = new Set([...Object.keys(base.facts), ...Object.keys(base.collected)]);
  assert.deepEqual(FACT_ID_LIST.filter((id) => id !== 'fact-failures' && !given.has(id)), []);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('fixtures/doctor/base-facts.json'), 'the baseline ships: opta rules test reads it in an installed package');
});

test("a doctor run's rules come without their cases (the build's lean copies); opta rules test's with them", async () => {
  const plain = await loadKind<Record<string, unknown>>(doctorKind);
  assert.equal(plain.validatedNow, 0, 'the build validated the shipped rules');
  assert.equal(plain.items.length, files('doctor').length);
  assert.deepEqual(plain.items.filter((i) => 'tests' in i.rule).map((i) => i.file), []);
  const withCases = await loadKind<Record<string, unknown>>(doctorKind, undefined, { cases: true });
  assert.equal(withCases.items.filter((i) => 'tests' in i.rule).length, files('doctor').length);
  // A second plain load in the same process gets whole rules of its own (the lean copy was handed out once).
  const again = await loadKind<Record<string, unknown>>(doctorKind);
  assert.notEqual(again.items[0].rule, plain.items[0].rule);
  assert.deepEqual(again.items.map((i) => i.rule.name), plain.items.map((i) => i.rule.name));
});

test('a broken disk-low threshold in a scratch copy turns red: exit 1, naming the rule, its file and what differed', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  // "less than 1 GiB" becomes "less than 1 MiB": the 200 MiB case no longer fires.
  const dir = scratch(h, 'doctor', 'disk-low.json', (s) => s.replace('"value": 1073741824', '"value": 1048576'));
  const r = await runOpta(h, ['rules', 'test', dir], { cwd: h.home, timeoutMs: 60_000 });
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^FAIL doctor disk-low \(.*scratch-rules\/doctor\/disk-low\.json\): fires "200 MiB free.*": did not fire \(passed\)$/m);
  assert.equal(r.stdout.match(/^FAIL /gm)?.length, 1, r.stdout);
  assert.match(r.stdout, SUMMARY);
  assert.match(r.stdout, / 1 failed; 0 rule\(s\) missing/);

  // "less than 1 GiB" becomes "at most 1 GiB": the near miss at exactly 1 GiB now fires.
  const dir2 = scratch(h, 'doctor', 'disk-low.json', (s) => s.replace(/"operator": "lessThan",(\s*)"value": 1073741824/, '"operator": "lessThanInclusive",$1"value": 1073741824'));
  const r2 = await runOpta(h, ['rules', 'test', dir2], { cwd: h.home, timeoutMs: 60_000 });
  assert.equal(r2.code, 1, `${r2.stdout}\n${r2.stderr}`);
  assert.match(r2.stdout, /^FAIL doctor disk-low \(.*disk-low\.json\): passes "exactly 1 GiB free: the low band ends below it": fired: "only 1024 MiB free on the file system of \/"$/m);
});

test('a log pattern whose regex captures the wrong value turns red through the real matcher: exit 1, naming the pattern', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  // Still matches every example (so the file stays valid), but ms captures one digit.
  const dir = scratch(h, 'logs', 'tool-call-timeout.json', (s) => s.replace('(?<ms>\\\\d+)', '(?<ms>\\\\d)\\\\d*'));
  const r = await runOpta(h, ['rules', 'test', dir], { cwd: h.home, timeoutMs: 60_000 });
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^FAIL logs tool-call-timeout \(.*tool-call-timeout\.json\): example "example 1: tool read_file timed out after 30000 ms.*": captured ms="3", expected ms="30000"$/m);
  assert.doesNotMatch(r.stdout, /^FAIL logs (?!tool-call-timeout)/m);
});

test('--format junit: valid Ant JUnit, one testsuite per kind; a failing case is a <failure> naming the rule', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const ok = await runOpta(h, ['rules', 'test', '--format', 'junit'], { cwd: h.home, timeoutMs: 120_000 });
  assert.equal(ok.code, 0, ok.stderr);
  const suites = checkJunitSuites(ok.stdout);
  assert.deepEqual(suites.map((s) => s.name), ['opta rules test doctor', 'opta rules test logs', 'opta rules test fixes', 'opta rules test redact']);
  assert.ok(suites.every((s) => s.counts.tests > 0 && s.counts.failures === 0));
  assert.ok(suites[0].byResult.pass.some((n) => n.startsWith('doctor.disk-low fires: ')));

  const dir = scratch(h, 'doctor', 'disk-low.json', (s) => s.replace('"value": 1073741824', '"value": 1048576'));
  const bad = await runOpta(h, ['rules', 'test', '--format', 'junit', dir], { cwd: h.home, timeoutMs: 60_000 });
  assert.equal(bad.code, 1);
  const [suite] = checkJunitSuites(bad.stdout);
  assert.equal(suite.counts.failures, 1);
  assert.match(suite.byResult.failure[0], /^doctor\.disk-low fires: 200 MiB free/);
});

test('a pack rule without cases is reported (PATH, --rules and the active user pack); bad input exits 2 naming the file and JSON path', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const pack = path.join(h.optaHome, 'rules', 'doctor');
  fs.mkdirSync(pack, { recursive: true });
  // Its firing case holds; a second one, with a terminal escape in its name, expects another message: shown escaped, never obeyed.
  const rule = {
    ...TEAM_RULE,
    tests: {
      fires: [
        { name: 'any node', facts: {}, message: 'the team pins Node 20.11.1' },
        { name: 'node 22 \u001b[31mred', facts: { 'node-version': { version: '22.1.0', major: 22 } }, message: 'the team pins Node 22' },
      ],
    },
  };
  fs.writeFileSync(path.join(pack, 'team-node-pinned.json'), JSON.stringify(rule, null, 2));
  for (const args of [['rules', 'test', pack], ['rules', 'test', '--rules', pack], ['rules', 'test']]) {
    const r = await runOpta(h, args, { cwd: h.home, timeoutMs: 120_000 });
    assert.equal(r.code, 1, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^FAIL doctor team-node-pinned \(.*team-node-pinned\.json\): lacks a passing case \(tests\.passes\)$/m, args.join(' '));
    assert.doesNotMatch(r.stdout, /\u001b/);
    assert.match(r.stdout, /^FAIL doctor team-node-pinned .*: fires "node 22 \\x1b\[31mred": fired with message "the team pins Node 22\.1\.0", expected "the team pins Node 22"$/m);
    assert.doesNotMatch(r.stdout, /fires "any node"/, 'its first firing case holds');
  }

  // Every case it has holds, but it lacks a passing one: still red (a rule nobody showed staying quiet is untested).
  fs.writeFileSync(path.join(pack, 'team-node-pinned.json'), JSON.stringify({ ...rule, tests: { fires: [rule.tests.fires[0]] } }, null, 2));
  const untested = await runOpta(h, ['rules', 'test', pack], { cwd: h.home, timeoutMs: 60_000 });
  assert.equal(untested.code, 1, `${untested.stdout}\n${untested.stderr}`);
  assert.match(untested.stdout, / 1 passed, 0 failed; 1 rule\(s\) missing a case they need\./);

  const missing = await runOpta(h, ['rules', 'test', path.join(h.home, 'nowhere')], { cwd: h.home });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no rule file or directory at .*nowhere/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');

  fs.writeFileSync(path.join(pack, 'team-node-pinned.json'), JSON.stringify({ ...rule, tests: { fires: [{ name: 'no message', facts: {} }] } }));
  const invalid = await runOpta(h, ['rules', 'test', pack], { cwd: h.home });
  assert.equal(invalid.code, 2, invalid.stdout);
  assert.match(invalid.stderr, /team-node-pinned\.json is invalid at \$\.tests\.fires\[0\]\.message/);
});

test("docs/writing-rules.md's worked example passes its own cases, and the doc's failing line is what a broken one prints", async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'writing-rules.md'), 'utf8');
  const json = /`\.opta\/rules\/doctor\/team-expected-model\.json`[^\n]*\n\n```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
  assert.ok(json, 'the worked example is in the doc');
  const dir = path.join(h.home, 'proj', '.opta', 'rules', 'doctor');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'team-expected-model.json'), json);
  const r = await runOpta(h, ['rules', 'test', dir], { cwd: h.home, timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.ok(doc.includes(r.stdout.trim()), `the doc shows the output:\n${r.stdout}`);
  // The rule expecting the 14b instead: its cases turn red as the doc shows.
  fs.writeFileSync(path.join(dir, 'team-expected-model.json'), json.replace('"operator": "notEqual", "value": "qwen2.5-coder-32b"', '"operator": "notEqual", "value": "qwen2.5-coder-14b"'));
  const bad = await runOpta(h, ['rules', 'test', dir], { cwd: h.home, timeoutMs: 60_000 });
  assert.equal(bad.code, 1);
  const line = bad.stdout.split('\n').find((l) => l.includes('passes "LMX serves the expected model"'));
  assert.ok(line, bad.stdout);
  assert.ok(doc.includes(line.replace(/\(.*?team-expected-model\.json\)/, '(.opta/rules/doctor/team-expected-model.json)')), line);
});
