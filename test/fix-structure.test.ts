// Structure of the fix pipelines and actions: every fix id a rule names exists, every pipeline repairs a rule with a scenario, the schema closes every door.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ACTIONS } from '../src/actions/registry.js';
import { optaPaths } from '../src/core/paths.js';
import { kindById } from '../src/cli/rule-kinds.js';
import { loadKind } from '../src/rules/loader.js';
import { DEFAULT_RULES_DIR } from '../src/doctor/load-rules.js';
import { validateKindText } from '../src/rules/validate.js';
import type { Condition } from '../src/rules/language/condition.js';
import { evaluateGuard } from '../src/fix/guard.js';
import { fixPlanJson } from '../src/fix/runner.js';
import type { PipelineFile } from '../src/fix/pipeline-schema.js';
import { FixReportSchema } from '../src/fix/report-schema.js';
import { schemaTexts } from '../src/build/artifacts.js';
import { EXPECTED } from './helpers/doctor-expectations.js';
import { daemonConfig, freePortBlock, makeHome, ROOT, runOpta } from './helpers/env.js';
import { snapshot } from './helpers/history.js';

const kind = kindById('fixes')!;
const FIXES = kind.dir;
const pipelines = fs.readdirSync(FIXES).filter((f) => f.endsWith('.json')).sort().map((f) => ({ file: f, p: JSON.parse(fs.readFileSync(path.join(FIXES, f), 'utf8')) as PipelineFile }));
const rules = fs.readdirSync(DEFAULT_RULES_DIR).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(DEFAULT_RULES_DIR, f), 'utf8')).event.params as { id: string; fix: string | null });
const firedSomewhere = new Set(Object.values(EXPECTED).flat());

test('the built-in pipelines validate, each named by its id and pointing at schemas/fix-pipeline.schema.json; the build\'s manifest covers them', async () => {
  const v = await kind.validator();
  assert.ok(pipelines.length >= 9);
  for (const { file, p } of pipelines) {
    assert.equal(p.$schema, '../../schemas/fix-pipeline.schema.json', file);
    assert.equal(`${p.id}.json`, file);
    assert.deepEqual(validateKindText(kind, v, path.join(FIXES, file), fs.readFileSync(path.join(FIXES, file), 'utf8')).problems, [], file);
  }
  const loaded = await loadKind(kind);
  assert.deepEqual([loaded.problems, loaded.validatedNow, loaded.items.length], [[], 0, pipelines.length]);
});

test('every fix id a doctor rule carries names a pipeline that lists the rule in its repairs', () => {
  const named = rules.filter((r) => r.fix !== null);
  assert.ok(named.length >= 8);
  for (const r of named) {
    const p = pipelines.find((x) => x.p.id === r.fix);
    assert.ok(p, `rule ${r.id} names ${r.fix}, which has no rules/fixes/${r.fix}.json`);
    assert.ok(p.p.repairs.includes(r.id), `${r.fix} does not list ${r.id} in its repairs`);
  }
  for (const id of ['fix-start-daemon', 'fix-stale-state', 'fix-corrupt-state', 'fix-restart-daemon', 'fix-reregister-daemon', 'fix-missing-dirs', 'fix-file-modes', 'fix-cancel-stuck-turn']) {
    assert.ok(named.some((r) => r.fix === id), `the issue's ${id} is named by a rule`);
  }
});

for (const { p } of pipelines) {
  test(`pipeline ${p.id}: repairs a rule that a fixture scenario fires, and is reachable from the doctor`, () => {
    const withScenario = p.repairs.filter((id) => firedSomewhere.has(id));
    assert.ok(withScenario.length > 0, `none of ${p.repairs.join(', ')} is fired by a fixtures/doctor scenario`);
    const reachable = p.id === 'fix-reset' || rules.some((r) => r.fix === p.id && firedSomewhere.has(r.id));
    assert.ok(reachable, `no rule fired by a scenario names ${p.id}`);
    for (const s of p.steps) assert.ok(ACTIONS.some((a) => a.id === s.action), s.action);
  });
}

test('the schema and cross-checks refuse free paths, sessions/, unknown actions, silent dangerous steps and impossible undos, with the JSON path of each', async () => {
  const v = await kind.validator();
  const good = JSON.parse(fs.readFileSync(path.join(FIXES, 'fix-stale-state.json'), 'utf8'));
  const cases: Array<[string, (p: any) => void, string, RegExp]> = [
    ['sessions/ by name', (p) => (p.steps[0].args.file = 'sessionsDir'), '$.steps[0].args.file', /stateFile/],
    ['a path under sessions/', (p) => (p.steps[0].args.file = '../sessions/s1/events.jsonl'), '$.steps[0].args.file', /./],
    ['a free path argument', (p) => (p.steps[0].args.path = '/home/me/.config/opta/sessions'), '$.steps[0].args', /path/],
    ['shell text', (p) => (p.steps[1].command = 'rm -rf ~/.config/opta/sessions'), '$.steps[1]', /command/],
    ['an unknown action', (p) => (p.steps[1].action = 'shell.run'), '$.steps[1].action', /daemon\.start/],
    ['a dangerous step made silent', (p) => (p.steps[1] = { action: 'daemon.stop', title: 'stop', confirm: false }), '$.steps[1].confirm', /not safe to run without asking/],
    ['an undo the action lacks', (p) => (p.steps[1].undo = true), '$.steps[1].undo', /daemon\.start has no undo/],
    ['a guard on an unknown fact', (p) => (p.steps[0].when.fact = 'mood'), '$.steps[0].when', /unknown fact "mood"/],
    ['a missing argument', (p) => delete p.steps[0].args.label, '$.steps[0].args.label', /needs "label"/],
    ['an argument the action does not take', (p) => (p.steps[1].args = { file: 'stateFile' }), '$.steps[1].args.file', /takes no "file"/],
    ['a file the action does not take', (p) => (p.steps[0].args.file = 'configFile'), '$.steps[0].args.file', /takes file stateFile, not "configFile"/],
    ['an unknown rule repaired', (p) => (p.repairs = ['no-such-rule']), '$.repairs[0]', /no doctor rule "no-such-rule"/],
    ['an id without fix-', (p) => (p.id = 'stale-state'), '$.id', /fix-/],
    ['no steps', (p) => (p.steps = []), '$.steps', /./],
  ];
  for (const [what, mutate, jsonPath, message] of cases) {
    const p = structuredClone(good);
    mutate(p);
    const r = validateKindText(kind, v, '/x/fix-stale-state.json', JSON.stringify(p));
    assert.ok(r.problems.some((x) => x.jsonPath.startsWith(jsonPath) && message.test(x.message)), `${what}: ${JSON.stringify(r.problems)}`);
  }
  assert.equal(validateKindText(kind, v, '/x/fix-other.json', JSON.stringify(good)).problems[0].jsonPath, '$.id');
  // The schema alone (what editors and the exported JSON Schema check) has no way to name sessions/.
  for (const file of ['sessionsDir', 'sessions', '../sessions/s1/events.jsonl']) {
    const p = structuredClone(good);
    p.steps[0].args.file = file;
    assert.equal(v.schema.safeParse(p).success, false, file);
  }
  const schema = JSON.parse((await schemaTexts())['fix-pipeline.schema.json']);
  const args = schema.properties.steps.items.properties.args;
  assert.deepEqual(args.properties.file.enum, ['stateFile', 'logFile', 'configFile'], 'no name for sessions/ in the exported schema');
  assert.equal(args.additionalProperties, false);
});

test('the action vocabulary: one file per action; safe ones run without asking, the rest ask; undo where it makes sense', () => {
  const byId = Object.fromEntries(ACTIONS.map((a) => [a.id, a]));
  assert.deepEqual(ACTIONS.filter((a) => a.safe).map((a) => a.id).sort(), ['daemon.start', 'dir.create', 'mode.repair', 'service.reload', 'service.rewrite', 'state.set-aside']);
  assert.deepEqual(ACTIONS.filter((a) => a.undo).map((a) => a.id).sort(), ['config.reset', 'dir.create', 'mode.repair', 'state.set-aside']);
  for (const a of ACTIONS) {
    assert.match(a.id, /^[a-z]+\.[a-z-]+$/);
    assert.ok(a.description.length > 20, a.id);
    assert.ok(fs.existsSync(path.join(ROOT, 'src', 'actions', `${a.id.replace('.', '-')}.ts`)), `src/actions/${a.id.replace('.', '-')}.ts`);
  }
  for (const id of ['daemon.stop', 'daemon.restart', 'process.terminate', 'turn.cancel', 'config.reset', 'state.remove', 'log.remove']) assert.equal(byId[id].safe, false, id);
});

test('guards: json-rules-engine conditions on the doctor\'s facts; an unknown or failed fact never lets a step run', () => {
  const facts = { daemon: { ok: true, status: 'stale', pid: 7, list: ['a'] }, 'daemon-ports': { ok: false, error: 'timed out', timedOut: true } };
  const cases: Array<[Condition, boolean]> = [
    [{ fact: 'daemon', path: '$.status', operator: 'in', value: ['stale', 'foreign'] }, true],
    [{ fact: 'daemon', path: '$.status', operator: 'equal', value: 'running' }, false],
    [{ fact: 'daemon', path: '$.pid', operator: 'greaterThan', value: 6 }, true],
    [{ fact: 'daemon', path: '$.list', operator: 'contains', value: 'a' }, true],
    [{ fact: 'daemon', path: '$.missing', operator: 'notEqual', value: 1 }, false],
    [{ fact: 'daemon-ports', path: '$.thisDaemonCount', operator: 'lessThan', value: 1 }, false],
    [{ fact: 'nope', path: '$.x', operator: 'notIn', value: [1] }, false],
    [{ all: [{ fact: 'daemon', path: '$.pid', operator: 'equal', value: 7 }, { fact: 'daemon', path: '$.status', operator: 'equal', value: 'stale' }] }, true],
    [{ any: [{ fact: 'daemon', path: '$.pid', operator: 'equal', value: 8 }, { fact: 'daemon', path: '$.status', operator: 'equal', value: 'stale' }] }, true],
    [{ not: { fact: 'daemon', path: '$.status', operator: 'equal', value: 'stale' } }, false],
    [{ fact: 'daemon', path: '$.pid', operator: 'equal', value: { fact: 'daemon', path: '$.pid' } }, true],
  ];
  for (const [c, held] of cases) assert.equal(evaluateGuard(c, facts).held, held, JSON.stringify(c));
  assert.equal(evaluateGuard(cases[1][0], facts).detail, 'daemon.status is "stale" (runs when equal "running")');
});

test('fixPlanJson (for the support bundle): the plan as JSON from live facts, and nothing under the home changes', async (t) => {
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port, 2, { lmx: { host: '127.0.0.1', port: port + 2 } }) });
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { mode: 0o700 });
  fs.writeFileSync(h.paths.stateFile, '{"pid": ', { mode: 0o644 });
  const before = snapshot(h.home);
  const report = FixReportSchema.parse(await fixPlanJson(optaPaths(h.optaHome), h.env, { deadlineMs: 4000 }));
  assert.equal(report.mode, 'dry-run');
  assert.deepEqual(report.plan.pipelines.map((p) => p.id), ['fix-missing-dirs', 'fix-file-modes', 'fix-corrupt-state']);
  assert.deepEqual(report.plan.pipelines[0].steps[0].plan.files, [{ path: '~/.config/opta/sessions', change: 'created (0700)' }]);
  assert.ok(report.plan.needsPerson.some((n) => n.id === 'lmx-connection-refused' && n.next === `curl http://127.0.0.1:${port + 2}/healthz`));
  assert.deepEqual(snapshot(h.home), before);
});

test('opta rules list --kind fixes / validate: pipelines are listed with what they repair; a broken one exits 2 with its path and JSON path', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const list = await runOpta(h, ['rules', 'list', '--kind', 'fixes', '--json']);
  assert.equal(list.code, 0);
  const rows = JSON.parse(list.stdout) as Array<{ id: string; repairs: string[]; steps: string[] }>;
  assert.deepEqual(rows.find((r) => r.id === 'fix-stale-state'), { ...rows.find((r) => r.id === 'fix-stale-state')!, repairs: ['daemon-stale-state', 'daemon-foreign'], steps: ['state.set-aside', 'daemon.start'] });
  const dir = path.join(h.home, 'fixes');
  fs.mkdirSync(dir);
  const bad = JSON.parse(fs.readFileSync(path.join(FIXES, 'fix-reset.json'), 'utf8'));
  bad.steps[2].args.file = 'sessionsDir';
  fs.writeFileSync(path.join(dir, 'fix-reset.json'), JSON.stringify(bad));
  const v = await runOpta(h, ['rules', 'validate', dir]);
  assert.equal(v.code, 2);
  assert.ok(v.stderr.includes(`${path.join(dir, 'fix-reset.json')}: $.steps[2].args.file: `), v.stderr);
  assert.doesNotMatch(v.stderr, /\n\s+at /);
});
