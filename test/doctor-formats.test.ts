// The CI renderers over fixture scenarios: JUnit (xsd + strict parser) counts, GitHub escaping, OpenMetrics parsed strictly.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_RULES_DIR } from '../src/doctor/load-rules.js';
import type { DoctorReport } from '../src/doctor/report-types.js';
import { runDoctor } from '../src/doctor/run.js';
import { describeChanges, describeState } from '../src/render/doctor-changes.js';
import { escapeData, escapeProperty, renderGithub, renderGithubCommands, renderGithubSummary } from '../src/render/github.js';
import { renderJunit } from '../src/render/junit.js';
import { CHECK_STATUSES, renderOpenMetrics } from '../src/render/openmetrics.js';
import { pairDestinations, type OutputToken } from '../src/cli/doctor-outputs.js';
import { parseInterval } from '../src/cli/doctor-command.js';
import { EXPECTED } from './helpers/doctor-expectations.js';
import { loadScenario } from './helpers/doctor-scenarios.js';
import { checkJunit, parseXml } from './helpers/junit-check.js';
import { checkMetrics, parseMetrics, sampleValue } from './helpers/metrics-check.js';

const ALL_RULES = fs.readdirSync(DEFAULT_RULES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

async function scenarioReport(name: string, opts: { strict?: boolean; rulesDir?: string } = {}): Promise<DoctorReport> {
  const s = loadScenario(name);
  try {
    return await runDoctor({ paths: s.paths, env: s.env, overrides: s.overrides, deadlineMs: 4000, strict: opts.strict, rulesDir: opts.rulesDir });
  } finally {
    s.cleanup();
  }
}

const LMX_RULES = ['lmx-bad-answer', 'lmx-connection-refused', 'lmx-host-not-found', 'lmx-network-error', 'lmx-timeout', 'network-local-privacy'];
const MODEL_RULES = ['lmx-model-unknown', 'lmx-no-model'];

/**
 * Scenario -> the testcases that must fail, error and be skipped (every other rule passes). Failures are the error
 * findings (warnings too with --strict); errors are rules whose facts ran out of time, plus the doctor check's own
 * finding; skipped are the rules of a check whose dependency has a problem.
 */
const JUNIT_TABLE: Array<{ scenario: string; strict?: boolean; failure: string[]; error: string[]; skipped: string[] }> = [
  { scenario: 'healthy', failure: [], error: [], skipped: [] },
  { scenario: 'loose-modes', failure: [], error: [], skipped: [] },
  { scenario: 'loose-modes', strict: true, failure: ['permissions-loose-modes'], error: [], skipped: [] },
  { scenario: 'lmx-refused', failure: ['lmx-connection-refused'], error: [], skipped: MODEL_RULES },
  { scenario: 'many-problems', failure: ['daemon-stale-state', 'lmx-connection-refused'], error: [], skipped: MODEL_RULES },
  { scenario: 'many-problems', strict: true, failure: ['daemon-stale-state', 'lmx-connection-refused', 'permissions-loose-modes'], error: [], skipped: MODEL_RULES },
  { scenario: 'check-timed-out', failure: [], error: ['check-timed-out', ...LMX_RULES, ...MODEL_RULES], skipped: [] },
  {
    scenario: 'daemon-not-running-ports-unknown',
    failure: ['daemon-not-running'],
    // daemon-fallback-port and ports-preferred-foreign pass: their daemon condition decided before ports were needed.
    error: ['check-timed-out', 'daemon-port-foreign', 'daemon-port-held', 'daemon-ports-exhausted'],
    skipped: [],
  },
  { scenario: 'check-failed', failure: [], error: ['check-failed', 'disk-full', 'disk-low'], skipped: [] },
];

describe('JUnit', () => {
  for (const row of JUNIT_TABLE) {
    test(`${row.scenario}${row.strict ? ' --strict' : ''}: ${row.failure.length} failures, ${row.error.length} errors, ${row.skipped.length} skipped of ${ALL_RULES.length}`, async () => {
      const report = await scenarioReport(row.scenario, { strict: row.strict });
      const j = checkJunit(renderJunit(report, { hostname: 'ci-runner-1' }));
      const sorted = (l: string[]) => [...l].sort();
      assert.deepEqual(j.byResult.failure, sorted(row.failure));
      assert.deepEqual(j.byResult.error, sorted(row.error));
      assert.deepEqual(j.byResult.skipped, sorted(row.skipped));
      assert.equal(j.counts.tests, ALL_RULES.length);
      const named = [...j.byResult.pass, ...j.byResult.failure, ...j.byResult.error, ...j.byResult.skipped].sort();
      assert.deepEqual(named, ALL_RULES, 'one testcase per rule');
      assert.equal(j.root.attrs.hostname, 'ci-runner-1');
      // Every fired error finding is a failure or (doctor check) an error: the JUnit verdict follows the exit code.
      assert.equal(j.counts.failures + j.counts.errors > 0, report.exitCode !== 0);
      const cases = j.root.children.filter((c) => c.name === 'testcase');
      for (const tc of cases) {
        const rule = JSON.parse(fs.readFileSync(path.join(DEFAULT_RULES_DIR, `${tc.attrs.name}.json`), 'utf8'));
        assert.equal(tc.attrs.classname, rule.event.params.check, 'the check is the classname');
      }
      for (const f of report.findings.filter((x) => row.failure.includes(x.id))) {
        const el = cases.find((c) => c.attrs.name === f.id)!.children[0];
        assert.equal(el.attrs.message, f.message);
        assert.equal(el.attrs.type, f.severity);
        assert.ok(el.text.startsWith(`${f.message}\nwhy:  ${f.why}\nnext: ${f.remediation}\nevidence:\n  `), el.text);
      }
      if (row.error.includes('check-timed-out')) {
        const unknown = cases.find((c) => c.attrs.name === row.error.find((id) => id !== 'check-timed-out'))!.children[0];
        assert.match(unknown.attrs.message, /^not checked: [\w-]+ gave no answer within \d+ ms$/);
      }
      // The text report rides along for people reading the CI job.
      assert.ok(j.root.children.at(-2)!.text.includes('Checking daemon...'));
    });
  }

  test('characters XML cannot carry, markup, quotes and line breaks survive (or become visible \\xNN)', async () => {
    const report = await scenarioReport('lmx-refused');
    const nasty = 'a & b < c > d "q" \'s\' ]]> tab\there\r\nnext line \u0001\u001b[31m\uFFFF ok 😀';
    report.findings[0].message = nasty;
    report.findings[0].remediation = 'curl "http://x/?a=1&b=2" <in >out';
    const xml = renderJunit(report, { hostname: 'h' });
    const j = checkJunit(xml);
    const failure = j.root.children.find((c) => c.attrs.name === 'lmx-connection-refused')!.children[0];
    const visible = 'a & b < c > d "q" \'s\' ]]> tab\there\r\nnext line \\x01\\x1b[31m\\xffff ok 😀';
    assert.equal(failure.attrs.message, visible);
    assert.ok(failure.text.startsWith(`${visible}\nwhy:`));
    assert.ok(failure.text.includes('next: curl "http://x/?a=1&b=2" <in >out'));
  });

  test('an invalid rule file is an error testcase named by its file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-rules-'));
    try {
      for (const f of fs.readdirSync(DEFAULT_RULES_DIR)) fs.copyFileSync(path.join(DEFAULT_RULES_DIR, f), path.join(dir, f));
      fs.writeFileSync(path.join(dir, 'zz-broken.json'), '{"name": "zz-broken"');
      const report = await scenarioReport('healthy', { rulesDir: dir });
      assert.equal(report.exitCode, 2);
      const j = checkJunit(renderJunit(report));
      assert.deepEqual(j.byResult.error, [path.join(dir, 'zz-broken.json')]);
      assert.equal(j.counts.tests, ALL_RULES.length + 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the strict parser rejects what a JUnit consumer would (so it can stand in for xmllint)', () => {
    const ok = '<?xml version="1.0" encoding="UTF-8"?>\n<a x="1">t</a>\n';
    assert.equal(parseXml(ok).text, 't');
    for (const bad of ['<a>&</a>', '<a x="<">t</a>', '<a><b></a></b>', '<a x="1" x="2"/>', '<a>\u0001</a>', '<a/><b/>']) {
      assert.throws(() => parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n${bad}\n`), Error, bad);
    }
  });
});

/** GitHub's own reading of a workflow command: ::name k=v,k=v::data, then %XX decoding. */
function parseCommand(line: string): { command: string; props: Record<string, string>; data: string } {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  assert.ok(m, `not a workflow command: ${line}`);
  const unData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const unProp = (s: string) => unData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));
  const props: Record<string, string> = {};
  for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    props[kv.slice(0, i)] = unProp(kv.slice(i + 1));
  }
  return { command: m[1], props, data: unData(m[3]) };
}

describe('GitHub workflow commands', () => {
  test('escaping: data escapes %, \\r, \\n; properties also : and ,', () => {
    const data: Array<[string, string]> = [
      ['100%', '100%25'],
      ['a\rb', 'a%0Db'],
      ['a\nb', 'a%0Ab'],
      ['a\r\nb', 'a%0D%0Ab'],
      ['%0A is not a newline', '%250A is not a newline'],
      ['a: b, c', 'a: b, c'],
    ];
    for (const [input, want] of data) assert.equal(escapeData(input), want, JSON.stringify(input));
    const props: Array<[string, string]> = [
      ['a: b, c', 'a%3A b%2C c'],
      ['50%:\n', '50%25%3A%0A'],
      ['%3A', '%253A'],
    ];
    for (const [input, want] of props) assert.equal(escapeProperty(input), want, JSON.stringify(input));
  });

  test('escaping: every %, CR and LF in a value, not only the first (and every : and , in a property)', () => {
    assert.equal(escapeData('a%b%c\rd\re\nf\ng\r\nh\r\n'), 'a%25b%25c%0Dd%0De%0Af%0Ag%0D%0Ah%0D%0A');
    assert.equal(escapeProperty('a:b:c,d,e%f%g\rh\ri\nj\nk'), 'a%3Ab%3Ac%2Cd%2Ce%25f%25g%0Dh%0Di%0Aj%0Ak');
  });

  test('findings become one-line commands that GitHub decodes back to the exact text; the summary is a notice', async () => {
    const report = await scenarioReport('many-problems');
    report.findings[0].message = 'disk 100% full: /a,/b\r\nsecond line %0A';
    report.findings[0].check = 'odd:check,name';
    const out = renderGithubCommands(report);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, report.findings.length + 1, 'one line per finding plus the notice: no raw line break escaped');
    const cmds = lines.map(parseCommand);
    report.findings.forEach((f, i) => {
      assert.equal(cmds[i].command, { error: 'error', warn: 'warning', info: 'notice' }[f.severity]);
      assert.equal(cmds[i].data, `${f.message}\nwhy: ${f.why}\nnext: ${f.remediation}`);
      assert.ok(cmds[i].props.title.endsWith(`: ${f.id}`));
    });
    assert.equal(cmds[0].props.title, 'opta doctor: odd:check,name: daemon-stale-state');
    assert.deepEqual(cmds.map((c) => c.command), ['error', 'error', 'warning', 'notice']);
    assert.equal(cmds.at(-1)!.data, '3 problems (2 errors, 1 warning); opta doctor --fix can repair 2 of them: daemon-stale-state, permissions-loose-modes.');
    assert.ok(renderGithub(report).startsWith('Checking daemon...'), 'the text report comes first, for the job log');
  });

  test('the job summary: a table row per check that a | or a line break cannot break, commands fenced', async () => {
    const report = await scenarioReport('lmx-refused');
    report.checks[0].summary = 'a | b\nc';
    report.findings[0].remediation = 'echo ```';
    const md = renderGithubSummary(report);
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| check') && !l.startsWith('| ---'));
    assert.equal(rows.length, report.checks.length);
    assert.ok(rows[0].endsWith('| a \\| b<br>c |'), rows[0]);
    assert.ok(md.includes('````sh\necho ```\n````'), md);
    assert.match(md, /^## opta doctor: 1 problem \(1 error\)/);
  });
});

const FAMILIES = [
  'opta_doctor_check_status',
  'opta_doctor_deadline_reached',
  'opta_doctor_exit_code',
  'opta_doctor_fact_duration_seconds',
  'opta_doctor_fact_ok',
  'opta_doctor_fact_timed_out',
  'opta_doctor_findings',
  'opta_doctor_info',
  'opta_doctor_last_run_timestamp_seconds',
  'opta_doctor_rule_file_problems',
  'opta_doctor_rule_firing',
  'opta_doctor_rule_unknown',
  'opta_doctor_run_duration_seconds',
];

describe('OpenMetrics (node_exporter textfile)', () => {
  for (const scenario of ['healthy', 'many-problems', 'check-timed-out']) {
    test(`${scenario}: parses (promtool, strict parser), stable names, one status per check, a series per rule`, async () => {
      const report = await scenarioReport(scenario);
      const m = checkMetrics(renderOpenMetrics(report));
      assert.deepEqual([...m.keys()].sort(), FAMILIES);
      for (const f of m.values()) assert.equal(f.type, 'gauge');
      for (const c of report.checks) {
        const statuses = CHECK_STATUSES.filter((s) => sampleValue(m, 'opta_doctor_check_status', { check: c.id, status: s }) === 1);
        assert.deepEqual(statuses, [c.status], c.id);
      }
      const firing = m.get('opta_doctor_rule_firing')!.samples;
      assert.deepEqual(firing.map((s) => s.labels.rule).sort(), ALL_RULES);
      assert.deepEqual(firing.filter((s) => s.value === 1).map((s) => s.labels.rule).sort(), EXPECTED[scenario]);
      assert.equal(sampleValue(m, 'opta_doctor_exit_code'), report.exitCode);
      assert.equal(sampleValue(m, 'opta_doctor_findings', { severity: 'error' }), report.counts.errors);
      assert.equal(sampleValue(m, 'opta_doctor_last_run_timestamp_seconds'), Date.parse(report.startedAt) / 1000);
      const unknown = m.get('opta_doctor_rule_unknown')!.samples.filter((s) => s.value === 1).map((s) => s.labels.rule);
      assert.deepEqual(unknown.sort(), scenario === 'check-timed-out' ? [...LMX_RULES, ...MODEL_RULES].sort() : []);
      if (scenario === 'check-timed-out') assert.equal(sampleValue(m, 'opta_doctor_fact_timed_out', { fact: 'lmx' }), 1);
    });
  }

  test('values are in the units their names say: seconds for _seconds (durations given in ms), Unix seconds for the timestamp', async () => {
    const report = await scenarioReport('healthy');
    report.durationMs = 1500;
    report.startedAt = '2026-11-25T10:00:01.250Z';
    report.facts = report.facts.map((f, i) => ({ ...f, ms: i === 0 ? 250 : 4000 }));
    const m = checkMetrics(renderOpenMetrics(report));
    assert.equal(sampleValue(m, 'opta_doctor_run_duration_seconds'), 1.5);
    assert.equal(sampleValue(m, 'opta_doctor_last_run_timestamp_seconds'), Date.UTC(2026, 10, 25, 10, 0, 1, 250) / 1000);
    assert.equal(sampleValue(m, 'opta_doctor_fact_duration_seconds', { fact: report.facts[0].id }), 0.25);
    assert.equal(sampleValue(m, 'opta_doctor_fact_duration_seconds', { fact: report.facts[1].id }), 4);
  });

  test('label values escape backslash, quote and newline', async () => {
    const report = await scenarioReport('healthy');
    report.home = 'C:\\Users\\"me"\nx';
    const text = renderOpenMetrics(report);
    assert.ok(text.includes('home="C:\\\\Users\\\\\\"me\\"\\nx"'), text.split('\n')[2]);
    assert.equal(checkMetrics(text).get('opta_doctor_info')!.samples[0].labels.home, report.home);
  });

  test('the strict parser rejects split families, duplicates, timestamps and a missing # EOF', () => {
    const head = '# HELP a x\n# TYPE a gauge\n';
    assert.equal(parseMetrics(`${head}a 1\n# EOF\n`).get('a')!.samples[0].value, 1);
    for (const bad of [`${head}a 1\n`, `${head}a 1\na 2\n# EOF\n`, `${head}a 1 1700000000\n# EOF\n`, `${head}a 1\n# HELP b y\n# TYPE b gauge\nb 1\na{x="1"} 1\n# EOF\n`, `a 1\n# EOF\n`, `${head}a{x="\\t"} 1\n# EOF\n`]) {
      assert.throws(() => parseMetrics(bad), Error, JSON.stringify(bad));
    }
  });
});

describe('--format/--output pairing', () => {
  const f = (value: string): OutputToken => ({ kind: 'format', value });
  const o = (value: string): OutputToken => ({ kind: 'output', value });
  test('each --output belongs to the --format before it; text goes to stdout unless a format claims it', () => {
    assert.deepEqual(pairDestinations([]), [{ format: 'text' }]);
    assert.deepEqual(pairDestinations([{ kind: 'json' }]), [{ format: 'json' }]);
    assert.deepEqual(pairDestinations([{ kind: 'json' }, o('r.json')]), [{ format: 'text' }, { format: 'json', file: 'r.json' }]);
    assert.deepEqual(pairDestinations([f('junit'), o('r.xml'), f('openmetrics'), o('m.prom')]), [{ format: 'text' }, { format: 'junit', file: 'r.xml' }, { format: 'openmetrics', file: 'm.prom' }]);
    assert.deepEqual(pairDestinations([f('junit'), o('r.xml'), f('github')]), [{ format: 'junit', file: 'r.xml' }, { format: 'github' }]);
    assert.deepEqual(pairDestinations([f('json'), o('-'), f('junit'), o('r.xml')]), [{ format: 'json' }, { format: 'junit', file: 'r.xml' }]);
  });
  test('usage errors: unknown format, --output first or twice, two formats on stdout, one file twice', () => {
    const cases: Array<[OutputToken[], RegExp]> = [
      [[f('yaml')], /--format takes text, json, junit, github, openmetrics, not "yaml"/],
      [[o('r.xml'), f('junit')], /--output r\.xml has no --format before it/],
      [[f('junit'), o('a.xml'), o('b.xml')], /--output b\.xml has no --format before it/],
      [[f('junit'), f('github')], /only one format can go to standard output, and junit and github would/],
      [[{ kind: 'json' }, f('text')], /only one format/],
      [[f('junit'), o('x'), f('json'), o('./x')], /--output \.\/x is given twice/],
    ];
    for (const [tokens, re] of cases) assert.throws(() => pairDestinations(tokens), (e: Error & { exitCode?: number }) => re.test(e.message) && e.exitCode === 2, JSON.stringify(tokens));
  });
  test('one file under two names (a symlink, a linked directory) is one file twice: refused, so no report silently overwrites another', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-pairs-'));
    try {
      fs.writeFileSync(path.join(dir, 'r.xml'), '');
      fs.symlinkSync('r.xml', path.join(dir, 'alias.xml'));
      fs.mkdirSync(path.join(dir, 'reports'));
      fs.symlinkSync('reports', path.join(dir, 'out'));
      const cases: OutputToken[][] = [
        [f('junit'), o(path.join(dir, 'r.xml')), f('json'), o(path.join(dir, 'alias.xml'))],
        [f('junit'), o(path.join(dir, 'reports', 'new.xml')), f('json'), o(path.join(dir, 'out', 'new.xml'))],
      ];
      for (const tokens of cases) assert.throws(() => pairDestinations(tokens), /is given twice/, JSON.stringify(tokens));
      // A dangling name is compared as given.
      assert.equal(pairDestinations([f('junit'), o(path.join(dir, 'a.xml')), f('json'), o(path.join(dir, 'b.xml'))]).length, 3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('--interval takes 1s to 24h', () => {
    assert.deepEqual(['30s', '1500ms', '5m', '1h', '2', '1.5s'].map(parseInterval), [30000, 1500, 300000, 3600000, 2000, 1500]);
    for (const bad of ['999ms', '25h', 'soon', '', '-1s', '1d']) assert.throws(() => parseInterval(bad), /--interval takes a duration/, bad);
  });
});

describe('--watch change lines', () => {
  test('the first run lists what is wrong; later runs only what changed (going bad, changing, recovering)', async () => {
    const healthy = await scenarioReport('healthy');
    const stale = await scenarioReport('stale-state');
    const notRunning = await scenarioReport('daemon-not-running');
    assert.deepEqual(describeState(healthy), ['All checks passed.']);
    assert.deepEqual(describeChanges(healthy, await scenarioReport('healthy')), [], 'nothing changed: nothing printed');
    const bad = describeChanges(healthy, stale);
    assert.equal(bad.length, 2);
    assert.match(bad[0], /^daemon: ok -> error: stale: .* names pid \d+, which is not running.*; next: opta daemon start$/);
    assert.equal(bad[1], '1 problem (1 error); opta doctor --fix can repair it: daemon-stale-state.');
    assert.match(describeChanges(stale, notRunning)[0], /^daemon: error -> error: not running/);
    const back = describeChanges(stale, healthy);
    assert.deepEqual(back, [`daemon: error -> recovered: ${healthy.checks[0].summary}`, 'All checks passed.']);
    assert.match(describeState(stale)[0], /^daemon: error: stale: /);
  });
});
