// Structure of the log patterns: every file valid and documented; every WARN/ERROR line the daemon can write has exactly one pattern; broken files are reported with their JSON path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { kindById } from '../src/cli/rule-kinds.js';
import { loadKind } from '../src/rules/loader.js';
import { validateKindPath, validateKindText } from '../src/rules/validate.js';
import { logPatternValidator } from '../src/logs/rule-kind.js';
import type { LogPattern } from '../src/logs/pattern-schema.js';
import { regexInfo } from '../src/logs/regex-info.js';
import { claims } from '../src/logs/family.js';
import { exampleLine, type Level } from '../src/logs/pattern-types.js';
import { EXPECTED } from './helpers/doctor-expectations.js';
import { ROOT } from './helpers/env.js';

const kind = kindById('logs')!;
const DIR = path.join(ROOT, 'rules', 'logs');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const patterns: LogPattern[] = files.map((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')));
const GUIDE_LINES = new Set(fs.readFileSync(path.join(ROOT, 'docs', 'opta-troubleshooting.txt'), 'utf8').split('\n').map((l) => l.trim()));

/** The patterns a message of a level hits (a line never counts for a pattern of another level). */
function hits(level: string, message: string): string[] {
  return claims(patterns, level as Level, message);
}

test('the built-in patterns validate; each file is named by its id and points at the schema', () => {
  const r = validateKindPath(kind, logPatternValidator, DIR);
  assert.deepEqual(r.problems, []);
  assert.equal(r.rules.length, files.length);
  for (const [i, f] of files.entries()) {
    assert.equal(`${patterns[i].id}.json`, f);
    assert.equal(patterns[i].$schema, '../../schemas/log-pattern.schema.json', f);
  }
  assert.equal(patterns.filter((p) => p.runStart).map((p) => p.id).join(), 'daemon-started', 'one pattern marks the start of a run');
});

for (const p of patterns) {
  test(`pattern ${p.id}: documented, its examples hit it and no other pattern, its prefilter admits them`, () => {
    assert.ok(p.why.length >= 30, 'why it matters, in a sentence');
    assert.doesNotMatch(p.remediation, /^(see|check|try) /i, 'a command, not advice');
    assert.ok(GUIDE_LINES.has(p.guide), `guide section "${p.guide}" is a line of docs/opta-troubleshooting.txt`);
    const info = regexInfo(p.regex);
    assert.ok(info.understood && (info.prefixes || info.literals), 'a literal prefilter (so it costs nothing on other lines)');
    for (const ex of p.examples.map(exampleLine)) {
      for (const level of p.levels) assert.deepEqual(hits(level, ex), [p.id], `"${ex}" at ${level}`);
      if (info.prefixes) assert.ok(info.prefixes.some((x) => ex.startsWith(x)), `prefix of "${ex}"`);
      if (info.literals) assert.ok(info.literals.some((x) => ex.includes(x)), `literal of "${ex}"`);
    }
  });
}

test('every pattern the doctor cannot show under a live check (warn or error, check null) is a finding of a logs doctor rule fired by a scenario', () => {
  const doctorDir = path.join(ROOT, 'rules', 'doctor');
  const rules = fs.readdirSync(doctorDir).map((f) => JSON.parse(fs.readFileSync(path.join(doctorDir, f), 'utf8')));
  for (const p of patterns.filter((x) => x.check === null && x.severity !== 'info')) {
    const r = rules.find((x) => JSON.stringify(x.conditions).includes(`"$.patterns.${p.id}.count"`));
    assert.ok(r, `no doctor rule reads daemon-log-analysis $.patterns.${p.id}.count`);
    assert.equal(r.event.params.check, 'logs');
    assert.ok(Object.values(EXPECTED).some((ids) => ids.includes(r.name)), `no fixtures/doctor scenario fires ${r.name}`);
  }
});

/**
 * Values for the expressions the daemon interpolates into its log lines. Every value must give a line that hits
 * exactly one pattern; an expression not listed gets generic values (see generic()). A call whose message is not a
 * literal or template must be listed, or this test fails and asks for it.
 */
const SAMPLES: Record<string, string[]> = {
  'pre.detail': [
    'ECONNREFUSED 127.0.0.1:1234',
    'ENOTFOUND lmx-host.local:1234',
    'EAI_AGAIN lmx-host.local:1234',
    'TIMEOUT 127.0.0.1:1234 (no answer within 600 ms)',
    'bad response from 127.0.0.1:1234 (readyz answered HTTP 500)',
    'no model loaded on 127.0.0.1:1234 (readyz says not ready)',
    'EHOSTUNREACH 10.0.0.9:1234',
    'cancelled 127.0.0.1:1234',
  ],
  'r.detail': ['TIMEOUT 127.0.0.1:1234 (no answer within 600 ms)', 'bad response from 127.0.0.1:1234 (chat answered HTTP 500)', 'ECONNRESET 127.0.0.1:1234'],
  why: ['heap out of memory', 'Cannot find module /x/tool-worker.js'],
  skipped: ['1', '12'],
  'config.daemon.port': ['9999'],
  'bound.port': ['10000'],
  'shortDuration(this.timeoutMs)': ['5m', '1s', '1m 30s'],
  "message.split('\\n')[0]": ['cannot start the daemon: port 9999 and every fallback port (10000-10020) is in use:'],
  message: ['cannot start the daemon: cannot write ~/.config/opta/daemon/state.json: the disk is full (ENOSPC)', 'cannot start the daemon: EACCES: permission denied, open \'/x/space.reserve\''],
  'err.message': ['cannot append to /h/.config/opta/sessions/s1/events.jsonl: the disk is full (ENOSPC)', 'cannot append to /h/.config/opta/sessions/s1/events.jsonl: EIO: i/o error, write'],
  'err.code': ['DISK_FULL', 'STORAGE_ERROR'],
  event: ['turn.token', 'permission.request'],
  'session.skippedLines': ['1', '12'],
  tool: ['read_file', 'list_dir'],
  'opts.timeoutMs': ['30000', '10'],
  code: ['1', '134', 'DISK_FULL'],
  after: ['0.4', '61.2'],
  closeCode: ['1006', '1011', '4000'],
  'r.code': ['LMX_UNREACHABLE', 'LMX_TIMEOUT', 'LMX_BAD_RESPONSE'],
  'r.kind': ['heartbeat timeout: no pong within 30000 ms', 'client gone without a close frame', 'slow reader', 'error', 'error: ECONNRESET'],
};
/** Free text (an error's cause, a detail) for expressions that read like one; an id-like token otherwise. */
const generic = (expr: string) => (/cause|err|message|detail|why|reason/i.test(expr) ? ['x', 'EIO: i/o error, read'] : ['demo', 'perm_001']);

interface LogCall {
  where: string;
  level: 'WARN' | 'ERROR';
  /** Literal parts and interpolated expressions, in order. */
  parts: Array<{ text: string } | { expr: string }>;
}

/** Finds the daemon logger's warn/error(...) and write('WARN'|'ERROR', ...) calls and parses their first argument. */
function logCalls(): LogCall[] {
  const out: LogCall[] = [];
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  for (const file of walk(path.join(ROOT, 'src'))) {
    if (file.endsWith(path.join('daemon', 'logger.ts'))) continue;
    const src = fs.readFileSync(file, 'utf8');
    // logger.warn(...), this.logger.error(...), daemonLogger?.warn(...), log.error(...), logger.write('ERROR', ...)
    const call = /\b(?:[A-Za-z_$]*[lL]ogger|log)\s*\??\.\s*(?:(warn|error)\s*\(|write\(\s*['"](WARN|ERROR)['"]\s*,)\s*/g;
    for (const m of src.matchAll(call)) {
      const where = `${path.relative(ROOT, file)}:${src.slice(0, m.index).split('\n').length}`;
      const level = (m[1] ? m[1].toUpperCase() : m[2]) as LogCall['level'];
      out.push({ where, level, parts: parseArg(src, m.index! + m[0].length, where) });
    }
  }
  return out;
}

function parseArg(src: string, i: number, where: string): LogCall['parts'] {
  const q = src[i];
  if (q === "'" || q === '"') {
    let j = i + 1;
    while (src[j] !== q) j += src[j] === '\\' ? 2 : 1;
    return [{ text: JSON.parse(`"${src.slice(i + 1, j).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) }];
  }
  if (q === '`') {
    const parts: LogCall['parts'] = [];
    let j = i + 1;
    let text = '';
    while (src[j] !== '`') {
      if (src[j] === '\\') {
        text += src[j + 1];
        j += 2;
      } else if (src.startsWith('${', j)) {
        let depth = 1;
        let k = j + 2;
        while (depth) {
          if (src[k] === '{') depth++;
          else if (src[k] === '}') depth--;
          k++;
        }
        if (text) parts.push({ text });
        text = '';
        parts.push({ expr: src.slice(j + 2, k - 1).trim() });
        j = k;
      } else text += src[j++];
    }
    if (text) parts.push({ text });
    return parts;
  }
  // Any other expression: up to the call's closing parenthesis.
  let depth = 0;
  let j = i;
  while (depth > 0 || src[j] !== ')') {
    if ('([{'.includes(src[j])) depth++;
    else if (')]}'.includes(src[j])) depth--;
    j++;
  }
  const expr = src.slice(i, j).trim();
  assert.ok(expr in SAMPLES, `${where}: logger call with the message \`${expr}\`: add sample values for it to SAMPLES in test/logs-patterns.test.ts`);
  return [{ expr }];
}

function instances(parts: LogCall['parts']): string[] {
  return parts.reduce<string[]>((acc, p) => acc.flatMap((a) => ('text' in p ? [a + p.text] : (SAMPLES[p.expr] ?? generic(p.expr)).map((v) => a + v))), ['']);
}

test("every WARN and ERROR line the daemon can write hits exactly one pattern (of that level)", () => {
  const calls = logCalls();
  assert.ok(calls.length >= 15, `found ${calls.length} calls`);
  assert.ok(calls.some((c) => c.where.startsWith(path.join('src', 'daemon', 'server', 'tools.ts')) && c.level === 'ERROR'), 'the scan finds the tool worker lines');
  // Every miss at once, so one run names all the lines a change left without a pattern.
  const misses: string[] = [];
  for (const c of calls) {
    for (const message of instances(c.parts)) {
      const ids = hits(c.level, message);
      if (ids.length !== 1) misses.push(`${c.where}: ${c.level} "${message}" hits ${ids.length ? ids.join(', ') : 'no pattern'}`);
    }
  }
  assert.deepEqual(misses, [], 'add or tighten a pattern in rules/logs for each');
});

test('a broken pattern file is reported with its file and JSON path; the other files still load', async () => {
  const good = fs.readFileSync(path.join(DIR, 'tool-worker-oom.json'), 'utf8');
  const cases: Array<[string, (p: any) => void, string, RegExp]> = [
    ['bad regex', (p) => (p.regex = '^tool worker (crashed'), '$.regex', /not a valid regular expression/],
    ['matches the empty string', (p) => ((p.regex = '^(?:tool worker crashed)?'), (p.examples = ['tool worker crashed'])), '$.regex', /can match the empty string/],
    ['matches the empty string via a star', (p) => ((p.regex = 'x*'), (p.examples = ['x'])), '$.regex', /can match the empty string/],
    ['unknown check', (p) => (p.check = 'lmxx'), '$.check', /unknown check "lmxx"/],
    ['the logs check is not a live check', (p) => (p.check = 'logs'), '$.check', /unknown check/],
    ['unknown fix', (p) => (p.fix = 'fix-nothing-like-it'), '$.fix', /unknown fix pipeline/],
    ['fix id shape', (p) => (p.fix = 'restart'), '$.fix', /fix-/],
    ['unknown placeholder', (p) => (p.message = 'oom {{nope}}'), '$.message', /\{\{nope\}\} names no group/],
    ['stray braces', (p) => (p.remediation = 'opta {{ count }'), '$.remediation', /not a placeholder/],
    ['example that does not match', (p) => (p.examples = ['tool worker crashed: exit code 1']), '$.examples[0]', /does not match/],
    ['bad level', (p) => (p.levels = ['FATAL']), '$.levels[0]', /./],
    ['no examples', (p) => (p.examples = []), '$.examples', /./],
    ['unknown field', (p) => (p.flags = 'i'), '$', /flags/],
    ['run start that is also a start-up line', (p) => ((p.runStart = true), (p.startup = true), (p.levels = ['INFO'])), '$.startup', /run-start/],
  ];
  for (const [what, mutate, jsonPath, message] of cases) {
    const p = JSON.parse(good);
    mutate(p);
    const r = validateKindText(kind, logPatternValidator, '/x/tool-worker-oom.json', JSON.stringify(p));
    assert.ok(r.problems.some((x) => x.jsonPath === jsonPath && message.test(x.message) && x.file === '/x/tool-worker-oom.json'), `${what}: ${JSON.stringify(r.problems)}`);
  }
  const misnamed = validateKindText(kind, logPatternValidator, '/x/other.json', good);
  assert.equal(misnamed.problems[0].jsonPath, '$.id');
  // Through the loader (what opta logs analyze and the doctor use): the broken file is a problem, the rest load.
  const dir = fs.mkdtempSync(path.join(ROOT, 'dist', 'patterns-'));
  try {
    for (const f of files) fs.copyFileSync(path.join(DIR, f), path.join(dir, f));
    const broken = JSON.parse(good);
    broken.regex = '(';
    fs.writeFileSync(path.join(dir, 'tool-worker-oom.json'), JSON.stringify(broken));
    const r = await loadKind(kind, dir);
    assert.equal(r.items.length, files.length - 1);
    assert.deepEqual(r.problems.map((p) => [path.basename(p.file), p.jsonPath]), [['tool-worker-oom.json', '$.regex']]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('regex prefilters: prefixes when anchored, required literals otherwise, none when unknown; the shortest match', () => {
  const table: Array<[string, string[] | null, string[] | null, number]> = [
    ['^daemon started on (?<a>\\S+)$', ['daemon started on '], ['daemon started on '], 19],
    ['^(?:request|turn \\S+) failed: (?!x)(?<c>.+)$', ['request', 'turn '], [' failed: '], 16],
    ['^lmx preflight failed: (?<code>ENOTFOUND|EAI_AGAIN) ', ['lmx preflight failed: ENOTFOUND ', 'lmx preflight failed: EAI_AGAIN '], ['lmx preflight failed: ENOTFOUND ', 'lmx preflight failed: EAI_AGAIN '], 32],
    ['abc\\d+def', null, ['abc'], 7],
    ['\\bfoo|bar', null, ['foo', 'bar'], 3],
    ['^a+b', ['a'], ['a'], 2],
    ['^x?yz', ['xyz', 'yz'], ['yz'], 2],
    ['port \\d{2,5} in use', null, [' in use'], 14],
    ['a*', null, null, 0],
    ['(?:)', null, null, 0],
    ['(?=foo)', null, null, 0],
    ['^$', null, null, 0],
    ['x{,2}', null, ['x{,2}'], 5],
    // In JavaScript "[^]" is any character and "[]" nothing: the "]" after them closes the class, it is not in it.
    ['^a[^]|b]', null, ['a', 'b]'], 2],
    ['foo[]|bar]', null, ['foo', 'bar]'], 4],
  ];
  for (const [re, prefixes, literals, min] of table) {
    const info = regexInfo(re);
    assert.deepEqual([info.prefixes, info.literals, info.minLength], [prefixes, literals, min], re);
  }
  const unknown = regexInfo('^(a)\\1');
  assert.deepEqual([unknown.understood, unknown.prefixes, unknown.literals, unknown.minLength], [false, null, null, 1]);
});

test('families are checked over the directory: exactly one catch-all, which matches every member example; members exclusive', () => {
  const dir = fs.mkdtempSync(path.join(ROOT, 'dist', 'families-'));
  const write = (id: string, change: (p: any) => void) => {
    const p = JSON.parse(fs.readFileSync(path.join(DIR, `${id}.json`), 'utf8'));
    change(p);
    fs.writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(p));
  };
  const problems = () => validateKindPath(kind, logPatternValidator, dir).problems.map((p) => `${path.basename(p.file)} ${p.jsonPath} ${p.message}`);
  try {
    for (const f of files) fs.copyFileSync(path.join(DIR, f), path.join(dir, f));
    assert.deepEqual(problems(), []);
    write('lmx-preflight-other', (p) => delete p.catchAll);
    assert.ok(problems().some((m) => /family "lmx-preflight" has no catch-all/.test(m)), problems().join('\n'));
    write('lmx-preflight-other', () => undefined);
    write('lmx-preflight-refused', (p) => (p.catchAll = true));
    assert.ok(problems().some((m) => /lmx-preflight-refused\.json \$\.catchAll family "lmx-preflight" has more than one catch-all/.test(m)), problems().join('\n'));
    write('lmx-preflight-refused', (p) => ((p.regex = '^(?:lmx preflight failed: |lmx preflight: )(?:Error: )?(?:connect )?ECONNREFUSED (?<address>\\S+)'), p.examples.push('lmx preflight: ECONNREFUSED x:1')));
    assert.ok(problems().some((m) => /lmx-preflight-refused\.json \$\.examples\[\d+\] is not matched by the family catch-all lmx-preflight-other/.test(m)), problems().join('\n'));
    write('lmx-preflight-refused', () => undefined);
    write('lmx-preflight-timeout', (p) => (p.regex = '^lmx preflight failed: (?:TIMEOUT|ECONNREFUSED) (?<address>\\S+)(?: \\(no answer within (?<ms>\\d+) ms\\))?'));
    assert.ok(problems().some((m) => /is also matched by lmx-preflight-timeout of the same family/.test(m)), problems().join('\n'));
    // A catch-all outside a family is a problem of the file itself.
    assert.ok(validateKindText(kind, logPatternValidator, '/x/tool-worker-oom.json', JSON.stringify({ ...patterns.find((p) => p.id === 'tool-worker-oom'), family: undefined, catchAll: true })).problems.some((p) => p.jsonPath === '$.catchAll'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
