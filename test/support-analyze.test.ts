// Bundles as data: every doctor scenario survives a bundle round trip to the same findings; sections fail or time out alone; analyze refuses what it cannot read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { optaPaths } from '../src/core/paths.js';
import { test } from 'node:test';
import { runDoctorCapture, type DoctorCapture } from '../src/doctor/run.js';
import { analyzeBundle } from '../src/support/analyze.js';
import { buildBundle, renderBundleJson, renderBundleText, type Section } from '../src/support/bundle.js';
import { readBundle } from '../src/support/bundle-read.js';
import { SECTIONS } from '../src/support/bundle-sections.js';
import { EXPECTED } from './helpers/doctor-expectations.js';
import { loadScenario, type Scenario } from './helpers/doctor-scenarios.js';
import { makeHome, runOpta } from './helpers/env.js';

const pick = (ids: string[]) => SECTIONS.filter((s) => ids.includes(s.id));

/** A bundle of a fixture scenario: its home for the file-reading sections, its fact overrides for the doctor. */
async function scenarioBundle(s: Scenario, ids = ['doctor', 'daemon-logs', 'config-list', 'doctor-report'], seen: { live?: DoctorCapture } = {}) {
  return buildBundle({
    paths: s.paths,
    env: s.env,
    sections: pick(ids),
    deadlineMs: 8000,
    probes: { doctor: async () => (seen.live = await runDoctorCapture({ paths: s.paths, env: s.env, overrides: s.overrides, deadlineMs: 4000, collectAll: true })) },
  });
}

for (const [name, expected] of Object.entries(EXPECTED)) {
  test(`scenario ${name}: bundled (text and JSON) then analysed offline -> [${expected.join(', ')}]`, async () => {
    const s = loadScenario(name);
    try {
      const seen: { live?: DoctorCapture } = {};
      const b = await scenarioBundle(s, ['doctor', 'doctor-report'], seen);
      for (const [form, content] of [['text', renderBundleText(b)], ['json', renderBundleJson(b)]] as const) {
        const read = readBundle(`${name}.${form}`, content);
        assert.equal(read.form, form);
        const a = await analyzeBundle(`${name}.${form}`, read);
        assert.deepEqual(a.report.findings.map((f) => f.id).sort(), expected, `${name} (${form})`);
        // Against the unredacted run that made the bundle: redaction took nothing a finding says.
        const live: DoctorCapture['report']['findings'] = seen.live!.report.findings;
        assert.deepEqual(a.report.findings.map((f) => [f.id, f.message, f.remediation]), live.map((f) => [f.id, f.message, f.remediation]), 'same wording as the run that made the bundle');
        assert.deepEqual(a.missingFacts, []);
        assert.ok(a.comparedWithBundle.same);
      }
    } finally {
      s.cleanup();
    }
  });
}

test('each section stands alone: one that throws and one that hangs give a line each, the rest still appear, all within the deadline', async () => {
  const h = makeHome();
  try {
    const never = new Promise<never>(() => undefined);
    const sections: Section[] = [
      { id: 'first', title: 'first', timeoutMs: 1000, collect: async () => ({ text: 'one' }) },
      { id: 'boom', title: 'boom', timeoutMs: 1000, collect: async () => { throw new Error('disk on fire\nsecond line'); } },
      { id: 'hang', title: 'hang', timeoutMs: 400, collect: () => never },
      { id: 'capped', title: 'capped', timeoutMs: 60000, collect: () => never },
      { id: 'shared', title: 'shared', timeoutMs: 1000, collect: async (ctx) => ({ text: String((await ctx.daemon()).status) }) },
      { id: 'last', title: 'last', timeoutMs: 1000, collect: async () => ({ data: { a: 1 } }), render: (d) => JSON.stringify(d) },
    ];
    const started = Date.now();
    let inspections = 0;
    const b = await buildBundle({ paths: optaPaths(h.optaHome), env: h.env, sections, deadlineMs: 1500, probes: { daemon: async () => (inspections++, { status: 'not-running', stateClass: 'missing', statePath: '' }) } });
    const took = Date.now() - started;
    assert.ok(took < 1500, `took ${took} ms`);
    assert.deepEqual(b.sections.map((s) => [s.id, s.status]), [['first', 'ok'], ['boom', 'failed'], ['hang', 'timed-out'], ['capped', 'timed-out'], ['shared', 'ok'], ['last', 'ok']]);
    assert.equal(b.sections[1].text, '(not available: disk on fire)');
    assert.equal(b.sections[2].text, '(ran out of time: no answer within 400 ms)');
    assert.ok(b.sections[3].timeoutMs < 1500, 'a section budget is capped by the bundle deadline');
    assert.equal(inspections, 1);
    const text = renderBundleText(b);
    assert.match(text, /^# Sections: 3 of 6 complete in \d\.\d s \(deadline 1\.5 s\); ran out of time: hang, capped; not available: boom$/m);
    assert.match(text, /\n## last\n\{"a":1\}\n\n# End of Opta Support Bundle\n$/);
  } finally {
    await h.cleanup();
  }
});


test('analyze: a clear exit-2 paragraph for a random file, a cut-off bundle, another format version, a bundle without facts; a partial analysis names what is missing', async (t) => {
  const s = loadScenario('many-problems');
  t.after(() => s.cleanup());
  const b = await scenarioBundle(s);
  const text = renderBundleText(b);
  const json = renderBundleJson(b);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-analyze-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const h = makeHome();
  t.after(() => h.cleanup());
  const write = (name: string, content: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, content);
    return f;
  };
  const logsAt = text.indexOf('## opta daemon logs --lines 200');
  const jsonAt = text.indexOf('"facts"');
  const noFacts = JSON.parse(json);
  const dr = noFacts.sections.find((x: { id: string }) => x.id === 'doctor-report');
  Object.assign(dr, { status: 'timed-out', text: '(ran out of time: no answer within 9000 ms)', error: 'ran out of time: no answer within 9000 ms' });
  delete dr.data;
  const cases: Array<[string, string, RegExp]> = [
    ['random.txt', 'hello, this is a shopping list\nmilk\n', /is not an opta support bundle: it neither begins with "# Opta Support Bundle" nor is a JSON bundle/],
    ['random.json', '{"name": "package"}', /is not an opta support bundle/],
    ['cut-in-logs.txt', text.slice(0, logsAt + 60), /is cut off: it ends inside its "opta daemon logs --lines 200" section, before the doctor report/],
    ['cut-in-json.txt', text.slice(0, jsonAt + 100), /is cut off inside its doctor report/],
    ['cut.json', json.slice(0, json.length / 2), /is a JSON support bundle cut off before its end/],
    ['newer.txt', text.replace('# opta 1.1.0, bundle format 1;', '# opta 9.0.0, bundle format 2;'), /made by opta 9\.0\.0 in bundle format 2; this opta reads bundle format 1 and older/],
    ['newer.json', json.replace('"formatVersion": 1', '"formatVersion": 3'), /in bundle format 3; this opta reads bundle format 1/],
    ['version-a-string.json', json.replace('"formatVersion": 1', '"formatVersion": "1"'), /version-a-string\.json is a JSON support bundle without a number in "formatVersion" \("1"\): it was changed after opta wrote it/],
    ['no-version.json', json.replace('"formatVersion": 1,', ''), /no-version\.json is a JSON support bundle without a number in "formatVersion" \(none\)/],
    ['no-facts.json', JSON.stringify(noFacts), /holds no doctor facts: when it was made, its doctor report section ran out of time/],
    ['no-facts.txt', renderBundleText(noFacts), /holds no doctor facts: its doctor report section says "\(ran out of time/],
  ];
  for (const [name, content, message] of cases) {
    const r = await runOpta(h, ['support', 'analyze', write(name, content)]);
    assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  // What is no bundle by its size or kind is refused before it is read whole: /dev/zero never ends (it once took
  // gigabytes of memory), a huge file is not read at all, a directory is named as one.
  const huge = path.join(dir, 'huge.txt');
  fs.writeFileSync(huge, text);
  fs.truncateSync(huge, 600 * 1024 * 1024);
  const refused: Array<[string, RegExp]> = [
    ['/dev/zero', /\/dev\/zero is not a regular file \(a character device\), so it was not read/],
    [huge, /huge\.txt is larger than any support bundle \(600 MiB; more than 64 MiB\)/],
    [dir, /is a directory, not a bundle: name the bundle file in it/],
  ];
  for (const [file, message] of refused) {
    const r = await runOpta(h, ['support', 'analyze', file], { timeoutMs: 20000 });
    assert.equal(r.code, 2, `${file}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, file);
    assert.doesNotMatch(r.stderr, /\n\s+at |ERR_STRING_TOO_LONG/, 'no stack trace, no node internals');
  }
  // An emailed bundle (CRLF line ends) or one piped in (-) reads as the original does.
  const crlf = await runOpta(h, ['support', 'analyze', write('crlf.txt', text.replace(/\n/g, '\r\n'))]);
  const piped = await runOpta(h, ['support', 'analyze', '-'], { input: text });
  const plain = await runOpta(h, ['support', 'analyze', write('plain.txt', text)]);
  for (const [name, r] of [['crlf', crlf], ['piped', piped]] as const) {
    assert.equal(r.code, plain.code, `${name}: ${r.stderr}`);
    assert.equal(r.stdout.split('\n').slice(1).join('\n'), plain.stdout.split('\n').slice(1).join('\n'), name);
  }
  const missing = await runOpta(h, ['support', 'analyze', path.join(dir, 'nope.txt')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the bundle .*nope\.txt: ENOENT/);

  // The end line lost, the facts whole: analysed, with a note.
  const endless = await runOpta(h, ['support', 'analyze', write('endless.txt', text.replace('# End of Opta Support Bundle\n', ''))]);
  assert.equal(endless.code, 1, endless.stderr);
  assert.match(endless.stdout, /Note: the bundle has no "# End of Opta Support Bundle" line: it was cut off after its doctor report\./);
  // A bundle without the lmx fact (older opta, or edited): its checks are "not checked", and the note says why.
  const partial = JSON.parse(json);
  delete partial.sections.find((x: { id: string }) => x.id === 'doctor-report').data.facts.lmx;
  const p = await runOpta(h, ['support', 'analyze', write('partial.json', JSON.stringify(partial))]);
  assert.equal(p.code, 1, p.stderr);
  assert.match(p.stdout, /Checking LMX\.\.\. +● not checked: lmx failed \(not in the bundle\)/);
  assert.match(p.stdout, /Facts missing from the bundle: lmx \(lmx, model/);
  assert.match(p.stdout, /Compared with the report opta 1\.1\.0 made then: no longer reported: lmx-connection-refused\./);
  const pj = JSON.parse((await runOpta(h, ['support', 'analyze', path.join(dir, 'partial.json'), '--json'])).stdout) as { missingFacts: Array<{ fact: string }> };
  assert.deepEqual(pj.missingFacts.map((m) => m.fact), ['lmx']);
});

test("today's log patterns run over the bundle's log lines: a pattern the bundle's opta lacked fires, and its doctor rule with it", async () => {
  const s = loadScenario('log-tool-worker-oom');
  try {
    const b = await scenarioBundle(s);
    const json = JSON.parse(renderBundleJson(b)) as { sections: Array<{ id: string; data?: { facts: Record<string, { patterns: Record<string, unknown> }> } }> };
    const dr = json.sections.find((x) => x.id === 'doctor-report')!;
    // An opta from before the OOM pattern existed: its analysis of the same log knew nothing of it.
    assert.ok(dr.data!.facts['daemon-log-analysis'].patterns['tool-worker-oom'], 'the bundle found the OOM lines');
    delete dr.data!.facts['daemon-log-analysis'].patterns['tool-worker-oom'];
    const old = readBundle('old.json', JSON.stringify(json));
    const a = await analyzeBundle('old.json', old);
    assert.deepEqual(a.report.findings.map((f) => f.id), ['logs-tool-worker-oom']);
    assert.match(a.report.findings[0].message, /a tool worker ran out of memory/);
    assert.ok(a.notes.some((n) => /log patterns the bundle's opta did not have matched its last log lines: tool-worker-oom/.test(n)), JSON.stringify(a.notes));
    // The same bundle as made: nothing added, no note.
    const same = await analyzeBundle('same.json', readBundle('same.json', renderBundleJson(b)));
    assert.deepEqual(same.report.findings.map((f) => f.id), ['logs-tool-worker-oom']);
    assert.ok(!same.notes.some((n) => /log patterns/.test(n)));
  } finally {
    s.cleanup();
  }
});

test('analyze: an edited JSON bundle (values of the wrong type) is analysed as far as it is readable, with notes; never an internal error', async (t) => {
  const s = loadScenario('many-problems');
  t.after(() => s.cleanup());
  const json = renderBundleJson(await scenarioBundle(s));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-edited-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const h = makeHome();
  t.after(() => h.cleanup());
  type Edit = (b: { sections: Array<Record<string, unknown>> }) => void;
  const data = (b: Parameters<Edit>[0]) => (b.sections.find((x) => x.id === 'doctor-report')!.data as { report: { findings: unknown[] }; facts: Record<string, unknown> });
  const logs = (b: Parameters<Edit>[0]) => b.sections.find((x) => x.id === 'daemon-logs')!;
  const cases: Array<[string, Edit, number, RegExp[]]> = [
    ['fact-a-string', (b) => (data(b).facts.lmx = 'garbage'), 1, [/Checking LMX\.\.\. +● not checked: lmx failed \(not in the bundle\)/, /Note: facts that are not objects \(was the bundle edited\?\) were treated as missing: lmx\./]],
    ['fact-null', (b) => (data(b).facts.lmx = null), 1, [/Checking LMX\.\.\. +● not checked/, /treated as missing: lmx\./]],
    ['findings-not-findings', (b) => data(b).report.findings.push(null, 5, 'x'), 1, [/Note: 3 of the bundle's own findings are not findings \(was the bundle edited\?\): compared without them\./]],
    ['section-null', (b) => b.sections.unshift(null as never), 1, [/Note: 1 section of the bundle is not a section \(was the bundle edited\?\): skipped\./]],
    ['log-text-a-number', (b) => (logs(b).text = 12), 1, [/Note: 1 section of the bundle is not a section/]],
    ['log-analysis-odd', (b) => (data(b).facts['daemon-log-analysis'] = { ok: true, patterns: 'x', evidence: 5 }), 1, [/Checking daemon\.\.\./]],
  ];
  for (const [name, edit, code, expected] of cases) {
    const b = JSON.parse(json);
    edit(b);
    const f = path.join(dir, `${name}.json`);
    fs.writeFileSync(f, JSON.stringify(b));
    const r = await runOpta(h, ['support', 'analyze', f]);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${name}: ${r.stderr}`);
    assert.equal(r.code, code, `${name}: ${r.stdout}${r.stderr}`);
    for (const re of expected) assert.match(r.stdout, re, name);
  }
});

test('analyze: a text bundle that went through an editor or a mail program (UTF-16 with a BOM, trailing blanks, old-Mac CR line ends) reads like the original; one whose JSON was re-wrapped says so', async (t) => {
  const s = loadScenario('many-problems');
  t.after(() => s.cleanup());
  const text = renderBundleText(await scenarioBundle(s));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-mailed-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const h = makeHome();
  t.after(() => h.cleanup());
  const write = (name: string, content: string | Buffer) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, content);
    return f;
  };
  const plain = await runOpta(h, ['support', 'analyze', write('plain.txt', text)]);
  assert.equal(plain.code, 1, plain.stderr);
  const utf16be = Buffer.from('\ufeff' + text, 'utf16le').swap16();
  const same: Array<[string, string | Buffer]> = [
    ['utf16le.txt', Buffer.from('\ufeff' + text, 'utf16le')],
    ['utf16be.txt', utf16be],
    ['trailing-blanks.txt', text.replace(/\n/g, ' \t\n')],
    ['crlf-trailing-blanks.txt', text.replace(/\n/g, '  \r\n')],
    ['cr-only.txt', text.replace(/\n/g, '\r')],
  ];
  for (const [name, content] of same) {
    const r = await runOpta(h, ['support', 'analyze', write(name, content)]);
    assert.equal(r.code, plain.code, `${name}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.split('\n').slice(1).join('\n'), plain.stdout.split('\n').slice(1).join('\n'), name);
  }
  const at = text.indexOf('"facts"');
  const wrapped = await runOpta(h, ['support', 'analyze', write('wrapped.txt', text.slice(0, at + 3) + '\n' + text.slice(at + 3))]);
  assert.equal(wrapped.code, 2);
  assert.match(wrapped.stderr, /wrapped\.txt: its doctor report is not valid JSON \(.*\): the file was changed after opta wrote it \(an editor or a mail program re-wrapping lines\?\)\. Ask for the file itself, as an attachment/);
  assert.doesNotMatch(wrapped.stderr, /longer --timeout/);
});

test('analyze with no usable temporary directory (TMPDIR gone): the bundle is still analysed from its captured facts, and a note says today\'s log patterns did not run', async (t) => {
  const s = loadScenario('many-problems');
  t.after(() => s.cleanup());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-notmp-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bundle.txt');
  fs.writeFileSync(file, renderBundleText(await scenarioBundle(s)));
  const h = makeHome();
  t.after(() => h.cleanup());
  const plain = await runOpta(h, ['support', 'analyze', file]);
  const noTmp = await runOpta(h, ['support', 'analyze', file], { env: { TMPDIR: path.join(dir, 'no-such-dir') } });
  assert.doesNotMatch(noTmp.stderr, /internal error/, noTmp.stderr);
  assert.equal(noTmp.code, plain.code, noTmp.stderr);
  assert.match(noTmp.stdout, /Note: today's log patterns did not run over the bundle's log lines: no temporary file could be made \(ENOENT[^)]*\); set TMPDIR to a writable directory\./);
  assert.equal(noTmp.stdout.split('\nNote:')[0].trimEnd(), plain.stdout.split('\nNote:')[0].trimEnd(), 'the same report from the captured facts');
});
