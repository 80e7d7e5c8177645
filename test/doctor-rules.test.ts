// Structure of the doctor's rules: every rule file valid, documented, fired by a scenario; schemas up to date; rules CLI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { schemaTexts, SCHEMAS_DIR } from '../src/build/artifacts.js';
import { KINDS } from '../src/cli/rule-kinds.js';
import { DEFAULT_RULES_DIR, earlyFacts, loadRules } from '../src/doctor/load-rules.js';
import { templateFacts } from '../src/doctor/rule-types.js';
import { validatePath, validateRuleText } from '../src/doctor/validate-rules.js';
import { FACT_ID_LIST } from '../src/facts/catalog.js';
import { COLLECTORS } from '../src/facts/registry.js';
import { EXPECTED } from './helpers/doctor-expectations.js';
import { makeHome, ROOT, runOpta } from './helpers/env.js';

const GUIDE = fs.readFileSync(path.join(ROOT, 'docs', 'opta-troubleshooting.txt'), 'utf8');
const GUIDE_LINES = new Set(GUIDE.split('\n').map((l) => l.trim()));
const files = fs.readdirSync(DEFAULT_RULES_DIR).filter((f) => f.endsWith('.json')).sort();

test('the built-in rules validate, and every file is named by its id and points at the schema', () => {
  const r = validatePath(DEFAULT_RULES_DIR, FACT_ID_LIST);
  assert.deepEqual(r.problems, []);
  assert.equal(r.rules.length, files.length);
  assert.ok(files.length >= 30);
  for (const f of files) {
    const raw = JSON.parse(fs.readFileSync(path.join(DEFAULT_RULES_DIR, f), 'utf8'));
    assert.equal(raw.$schema, '../../schemas/rule.schema.json', f);
    assert.equal(`${raw.event.params.id}.json`, f);
  }
});

for (const f of files) {
  const id = f.replace(/\.json$/, '');
  test(`rule ${id}: documented (why, next command, guide section) and fired by a fixture scenario`, () => {
    const p = JSON.parse(fs.readFileSync(path.join(DEFAULT_RULES_DIR, f), 'utf8')).event.params;
    assert.ok(p.why.length >= 30, 'why it matters, in a sentence');
    assert.ok(p.remediation.trim().length > 0, 'the next command');
    assert.doesNotMatch(p.remediation, /^(see|check|try) /i, 'a command, not advice');
    assert.ok(GUIDE_LINES.has(p.guide), `guide section "${p.guide}" is a heading of docs/opta-troubleshooting.txt`);
    for (const fact of [...templateFacts(p.message), ...templateFacts(p.remediation)]) assert.ok(FACT_ID_LIST.includes(fact), fact);
    const scenarios = Object.entries(EXPECTED).filter(([, ids]) => ids.includes(id)).map(([s]) => s);
    assert.ok(scenarios.length > 0, `no fixtures/doctor scenario fires ${id}`);
  });
}

test('schemas/*.schema.json are what `npm run schemas` generates', async () => {
  for (const [name, text] of Object.entries(await schemaTexts())) {
    assert.equal(fs.readFileSync(path.join(SCHEMAS_DIR, name), 'utf8'), text, `${name} is stale: run npm run schemas`);
  }
});

test('a broken rule file is reported with its path and the JSON path of each problem', () => {
  const good = fs.readFileSync(path.join(DEFAULT_RULES_DIR, 'disk-low.json'), 'utf8');
  const cases: Array<[string, (r: any) => void, string, RegExp]> = [
    ['bad severity', (r) => (r.event.params.severity = 'fatal'), '$.event.params.severity', /error|warn|info/],
    ['unknown fact', (r) => (r.conditions.all[0].fact = 'no-such-fact'), '$.conditions.all[0].fact', /unknown fact "no-such-fact"/],
    ['no why', (r) => delete r.event.params.why, '$.event.params.why', /./],
    ['bad operator', (r) => (r.conditions.all[0].operator = 'like'), '$.conditions.all[0]', /./],
    ['bad placeholder', (r) => (r.event.params.message = 'x {{nope.a}}'), '$.event.params.message', /unknown fact "nope"/],
    ['fix id', (r) => (r.event.params.fix = 'restart'), '$.event.params.fix', /fix-/],
    ['complex path', (r) => (r.conditions.all[0].path = '$..freeBytes'), '$.conditions.all[0]', /./],
  ];
  for (const [what, mutate, jsonPath, message] of cases) {
    const r = JSON.parse(good);
    mutate(r);
    const v = validateRuleText('/x/disk-low.json', JSON.stringify(r), FACT_ID_LIST);
    assert.ok(v.problems.length > 0, what);
    assert.ok(v.problems.some((p) => p.jsonPath.startsWith(jsonPath) && message.test(p.message) && p.file === '/x/disk-low.json'), `${what}: ${JSON.stringify(v.problems)}`);
  }
  const notJson = validateRuleText('/x/a.json', '{"name": ', FACT_ID_LIST);
  assert.equal(notJson.problems[0].jsonPath, '$');
  const misnamed = validateRuleText('/x/other.json', good, FACT_ID_LIST);
  assert.equal(misnamed.problems[0].jsonPath, '$.event.params.id');
});

test('the loader trusts files the build validated and validates a changed one with zod', async () => {
  const builtIn = await loadRules();
  assert.equal(builtIn.validatedNow, 0, 'the manifest covers every built-in rule');
  // What a plain doctor run starts before reading the rules is what these rules' cheap conditions and messages need.
  const cheap = new Set(COLLECTORS.filter((c) => (c.priority ?? 10) >= 10).map((c) => c.id));
  assert.deepEqual([...earlyFacts()].sort(), [...new Set(builtIn.rules.flatMap((r) => [...r.facts, ...r.templateFacts]))].filter((f) => cheap.has(f)).sort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-rules-'));
  try {
    for (const f of files) fs.copyFileSync(path.join(DEFAULT_RULES_DIR, f), path.join(dir, f));
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'disk-low.json'), 'utf8'));
    r.event.params.message = 'changed: {{disk-space.freeMiB}} MiB';
    fs.writeFileSync(path.join(dir, 'disk-low.json'), JSON.stringify(r));
    fs.writeFileSync(path.join(dir, 'broken.json'), '{"name": "broken"}');
    const loaded = await loadRules(dir);
    assert.equal(loaded.validatedNow, 2);
    assert.equal(loaded.rules.length, files.length);
    assert.ok(loaded.rules.find((x) => x.rule.name === 'disk-low')!.rule.event.params.message.startsWith('changed'));
    assert.ok(loaded.problems.length > 0 && loaded.problems.every((p) => p.file === path.join(dir, 'broken.json')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('opta rules list/validate: exit 0 when valid, 2 with path and JSON path of each problem', async () => {
  const h = makeHome();
  try {
    const list = await runOpta(h, ['rules', 'list', '--json']);
    assert.equal(list.code, 0);
    const rows = (JSON.parse(list.stdout) as Array<{ kind: string; id: string; severity: string; check: string; fix: string | null }>).filter((r) => r.kind === 'doctor');
    assert.equal(rows.length, files.length);
    assert.deepEqual(rows.find((r) => r.id === 'daemon-stale-state'), { ...rows.find((r) => r.id === 'daemon-stale-state'), severity: 'error', check: 'daemon', fix: 'fix-stale-state' });
    const text = await runOpta(h, ['rules', 'list']);
    assert.match(text.stdout, /^daemon-stale-state\s+error\s+daemon\s+fix-stale-state\s+shipped\s+-$/m);
    const ok = await runOpta(h, ['rules', 'validate']);
    assert.equal(ok.code, 0);
    const total = KINDS.filter((k) => fs.existsSync(k.dir)).reduce((n, k) => n + fs.readdirSync(k.dir).filter((f) => f.endsWith('.json')).length, 0);
    assert.match(ok.stdout, new RegExp(`^doctor: ${files.length} file\\(s\\) valid$`, 'm'));
    assert.match(ok.stdout, new RegExp(`^${total} rule file\\(s\\) valid\\.$`, 'm'));
    const bad = path.join(h.home, 'bad-rule.json');
    fs.writeFileSync(bad, JSON.stringify({ name: 'bad-rule', conditions: { all: [{ fact: 'disk-space', path: '$.freeBytes', operator: 'lessThan', value: 1 }] }, event: { type: 'finding', params: { id: 'bad-rule', check: 'disk', severity: 'fatal', message: 'm', why: 'w', remediation: 'r', guide: 'opta doctor', fix: null } } }));
    const v = await runOpta(h, ['rules', 'validate', bad]);
    assert.equal(v.code, 2);
    assert.match(v.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\$\\.event\\.params\\.severity: `));
    assert.doesNotMatch(v.stderr, /\n\s+at /, 'no stack trace');
    const missing = await runOpta(h, ['rules', 'validate', path.join(h.home, 'nope')]);
    assert.equal(missing.code, 2);
  } finally {
    await h.cleanup();
  }
});

test('a rule file that cannot be read is a problem naming it (loader and opta rules validate alike); the other files still load', async () => {
  const h = makeHome();
  try {
    const dir = path.join(h.home, 'rules');
    fs.mkdirSync(dir);
    for (const f of files.slice(0, 3)) fs.copyFileSync(path.join(DEFAULT_RULES_DIR, f), path.join(dir, f));
    // A directory where a rule file should be: not a regular file, whoever runs the test, root included.
    fs.mkdirSync(path.join(dir, 'unreadable.json'));
    const loaded = await loadRules(dir);
    assert.equal(loaded.rules.length, 3, 'the readable files load');
    assert.equal(loaded.problems.length, 1);
    assert.equal(loaded.problems[0].file, path.join(dir, 'unreadable.json'));
    assert.equal(loaded.problems[0].jsonPath, '$');
    assert.match(loaded.problems[0].message, /^is not a regular file \(a directory\)/);
    const v = await runOpta(h, ['rules', 'validate', dir]);
    assert.equal(v.code, 2);
    assert.ok(v.stderr.includes(`${path.join(dir, 'unreadable.json')}: $: is not a regular file (a directory)`), v.stderr);
    assert.doesNotMatch(v.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    await h.cleanup();
  }
});
