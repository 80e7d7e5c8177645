// Hostile rule directories (--rules DIR): huge, deep, wide, many, FIFO, /dev/zero, foreign fix ids, control characters; each reported by file and JSON path, the other rules still run, in time.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildPlan } from '../src/fix/plan.js';
import { optaPaths } from '../src/core/paths.js';
import type { DoctorReport } from '../src/doctor/report-types.js';
import { makeHome, ROOT, runOpta } from './helpers/env.js';

const BASE = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', 'doctor', 'check-failed.json'), 'utf8'));
const LEAF = { fact: 'fact-failures', path: '$.failedCount', operator: 'greaterThan', value: 0 };
/** A condition that holds on any machine: the canary fires, so its line proves the other rules ran. */
const ALWAYS = { all: [{ fact: 'node-version', path: '$.version', operator: 'notEqual', value: 'no-such-version' }] };

function rule(id: string, conditions: unknown = { all: [LEAF] }, params: Record<string, unknown> = {}): unknown {
  const r = structuredClone(BASE);
  r.name = id;
  r.conditions = conditions;
  r.event.params = { ...r.event.params, id, message: `${id} fired`, ...params };
  return r;
}

/** A rule directory holding the canary and one hostile entry, built by `make`; what must be named: file and JSON path. */
interface Case {
  name: string;
  make(dir: string): void;
  file: string;
  jsonPath: string | RegExp;
  /** What the problem must say, where more than one guard could catch the entry. */
  says?: RegExp;
}

const deep = (n: number) => {
  let c: unknown = LEAF;
  for (let i = 0; i < n; i++) c = { not: c };
  return { all: [c] };
};

const CASES: Case[] = [
  { name: 'huge (400,000-leaf any)', file: 'huge.json', jsonPath: '$', make: (d) => fs.writeFileSync(path.join(d, 'huge.json'), JSON.stringify(rule('huge', { any: Array.from({ length: 400_000 }, () => LEAF) }))) },
  { name: 'wide (over the value bound, under the size bound)', file: 'wide.json', jsonPath: /^\$\.conditions\.any\[\d+\]/, make: (d) => fs.writeFileSync(path.join(d, 'wide.json'), JSON.stringify(rule('wide', { any: Array.from({ length: 2_500 }, () => LEAF) }))) },
  { name: 'deep (conditions nested 1,000 deep)', file: 'deep.json', jsonPath: /^\$\.conditions\.all\[0\](\.not)+$/, make: (d) => fs.writeFileSync(path.join(d, 'deep.json'), JSON.stringify(rule('deep', deep(1000)))) },
  { name: 'a FIFO named *.json', file: 'fifo.json', jsonPath: '$', says: /not a regular file \(a FIFO\)/, make: (d) => execFileSync('mkfifo', [path.join(d, 'fifo.json')]) },
  { name: 'a symlink to /dev/zero', file: 'zero.json', jsonPath: '$', says: /not a regular file \(a character device\)/, make: (d) => fs.symlinkSync('/dev/zero', path.join(d, 'zero.json')) },
  { name: 'a directory named *.json', file: 'dir.json', jsonPath: '$', make: (d) => fs.mkdirSync(path.join(d, 'dir.json')) },
  { name: 'a rule naming fix-reset, which does not repair it', file: 'takes-reset.json', jsonPath: '$.event.params.fix', make: (d) => fs.writeFileSync(path.join(d, 'takes-reset.json'), JSON.stringify(rule('takes-reset', ALWAYS, { fix: 'fix-reset' }))) },
  { name: 'a rule naming a pipeline that does not exist', file: 'takes-rm.json', jsonPath: '$.event.params.fix', make: (d) => fs.writeFileSync(path.join(d, 'takes-rm.json'), JSON.stringify(rule('takes-rm', ALWAYS, { fix: 'fix-rm-rf' }))) },
  {
    name: '20,000 files',
    file: '',
    jsonPath: '$',
    make: (d) => {
      const text = JSON.stringify(rule('zz-many-0'));
      for (let i = 0; i < 20_000; i++) fs.writeFileSync(path.join(d, `zz-many-${i}.json`), text.replaceAll('zz-many-0', `zz-many-${i}`));
    },
  },
];

/** No raw control character (C0 but tab and newline, DEL, C1) in what opta printed. */
function assertInert(text: string, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const control = (c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
    assert.ok(!control, `${what}: raw control character 0x${c.toString(16)} at ${i}: ${JSON.stringify(text.slice(Math.max(0, i - 40), i + 10))}`);
  }
}

for (const c of CASES) {
  test(`hostile rule directory, ${c.name}: doctor and rules validate name the file and JSON path, the other rules run, in time`, async () => {
    const h = makeHome();
    try {
      const dir = path.join(h.home, 'rules');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'a-canary.json'), JSON.stringify(rule('a-canary', ALWAYS, { check: 'node' })));
      c.make(dir);
      const where = c.file ? path.join(dir, c.file) : dir;
      // The unbounded loader took 40 s (huge), hung for ever (FIFO) or grew to 9 GB (/dev/zero): a bound this loose
      // still fails them, and the run's own --timeout is what it keeps.
      const r = await runOpta(h, ['doctor', '--rules', dir, '--timeout', '1000'], { timeoutMs: 30_000 });
      assert.equal(r.code, 2, `exit 2: a rule file could not be used\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /a-canary fired/, 'the other rules still ran');
      const line = r.stderr.split('\n').find((l) => l.startsWith(`opta: rule file ${where} is invalid at `));
      assert.ok(line, `the file is named: ${r.stderr.slice(0, 2000)}`);
      const at = line.slice(`opta: rule file ${where} is invalid at `.length).split(':')[0];
      if (typeof c.jsonPath === 'string') assert.equal(at, c.jsonPath);
      else assert.match(at, c.jsonPath);
      if (c.says) assert.match(line, c.says);
      assert.doesNotMatch(r.stderr, /internal error|Maximum call stack/);
      assert.ok(r.ms < 15_000, `doctor --timeout 1000 took ${r.ms} ms`);

      const v = await runOpta(h, ['rules', 'validate', dir], { timeoutMs: 30_000 });
      assert.equal(v.code, 2, v.stderr);
      assert.ok(v.stderr.includes(`${where}: `), `rules validate names the file: ${v.stderr.slice(0, 2000)}`);
      assert.doesNotMatch(v.stderr, /internal error|Maximum call stack/);
      assert.ok(v.ms < 15_000, `rules validate took ${v.ms} ms`);
    } finally {
      await h.cleanup();
    }
  });
}

test('control characters in a --rules file print escaped: the message, why, next line and problems, byte by byte', async () => {
  const h = makeHome();
  try {
    const dir = path.join(h.home, 'rules');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'esc.json'),
      JSON.stringify(rule('esc', ALWAYS, { check: 'node', message: 'red \u001b[31mRED\u001b[0m bell \u0007 csi \u009b', why: 'link \u001b]8;;http://evil.example/\u0007here\u001b]8;;\u0007 and more text', remediation: 'clear \u001b[2J' })),
    );
    fs.writeFileSync(path.join(dir, 'bad\u001b[2J.json'), '{');
    for (const args of [['doctor', '--rules', dir], ['rules', 'validate', dir], ['rules', 'list', '--rules', dir]]) {
      const r = await runOpta(h, args);
      assertInert(r.stdout, `${args.join(' ')} stdout`);
      assertInert(r.stderr, `${args.join(' ')} stderr`);
      assert.match(r.stdout + r.stderr, /bad\\x1b\[2J\.json/, 'the file name shows, escaped');
      if (args[0] === 'doctor') {
        assert.match(r.stdout, /red \\x1b\[31mRED\\x1b\[0m bell \\x07 csi \\x9b/);
        assert.match(r.stdout, /clear \\x1b\[2J/);
        assert.match(r.stdout, /link \\x1b\]8;;http/);
      }
    }
  } finally {
    await h.cleanup();
  }
});

test('the fix planner runs a pipeline only for a rule it lists in its repairs (fix-reset named by any other rule is a problem)', async () => {
  const h = makeHome();
  try {
    const { loadPipelines } = await import('../src/fix/plan.js');
    const pipelines = await loadPipelines();
    const finding = { id: 'not-a-reset-rule', check: 'daemon', severity: 'error', message: 'm', why: 'w', remediation: 'opta daemon start', guide: 'x', fix: 'fix-reset', ruleFile: '/elsewhere/not-a-reset-rule.json', evidence: [] };
    const report = { findings: [finding] } as unknown as DoctorReport;
    const { plan } = await buildPlan(report, {}, pipelines, optaPaths(h.optaHome), h.env);
    assert.deepEqual(plan.pipelines.map((p) => p.id), [], 'fix-reset is not planned');
    assert.deepEqual(plan.needsPerson.map((n) => n.id), ['not-a-reset-rule']);
    assert.ok(plan.problems.some((p) => p.jsonPath === '$.event.params.fix' && /does not repair "not-a-reset-rule"/.test(p.message)), JSON.stringify(plan.problems));
  } finally {
    await h.cleanup();
  }
});
