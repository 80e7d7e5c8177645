// The log analyser as tables: fixture logs in each format -> pattern ids with counts; damaged input; splits across chunks, threads and files; the doctor's bounded read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { optaPaths } from '../src/core/paths.js';
import type { Analysis } from '../src/logs/analysis.js';
import { analyzeLogs } from '../src/logs/analyze.js';
import { MAX_OPEN_INPUTS, openInputs } from '../src/logs/inputs.js';
import { analyzeCurrentRunWith, CURRENT_RUN_MAX_BYTES } from '../src/logs/current-run.js';
import { loadPatterns, templateContext, type LoadedPatterns } from '../src/logs/patterns.js';
import { alignToLine, CHUNK_BYTES } from '../src/logs/reader.js';
import { ROOT } from './helpers/env.js';
import { LOG_EXPECTED } from './helpers/logs-expectations.js';

const FIXTURES = path.join(ROOT, 'fixtures', 'logs');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, `${name}.log`));

let tmp: string;
let patterns: LoadedPatterns;
let n = 0;

function file(bytes: Buffer | string): string {
  const f = path.join(tmp, `log-${++n}.log`);
  fs.writeFileSync(f, bytes);
  return f;
}

async function analyze(files: string[], opts: { sinceStart?: boolean; threads?: number; parallelMinBytes?: number } = {}): Promise<Analysis> {
  return analyzeLogs({
    inputs: files.map((f) => ({ path: f, display: path.basename(f) })),
    patterns,
    context: templateContext(optaPaths(path.join(tmp, 'home')), { HOME: tmp }),
    ...opts,
  });
}

function summary(a: Analysis) {
  return { patterns: Object.fromEntries(a.findings.map((f) => [f.id, f.count] as const).sort(([x], [y]) => x.localeCompare(y))), other: a.other };
}

const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => x.localeCompare(y)));
const times = (o: Record<string, number>, k: number) => Object.fromEntries(Object.entries(o).map(([id, c]) => [id, c * k]));

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-logs-'));
  patterns = await loadPatterns();
  assert.deepEqual(patterns.problems, []);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('fixture logs -> pattern ids with counts', () => {
  test('every fixtures/logs file has an expectation and every expectation a file', () => {
    assert.deepEqual(fs.readdirSync(FIXTURES).map((f) => f.replace(/\.log$/, '')).sort(), Object.keys(LOG_EXPECTED).sort());
  });

  for (const [name, want] of Object.entries(LOG_EXPECTED)) {
    test(`${name}.log`, async () => {
      const f = path.join(FIXTURES, `${name}.log`);
      assert.deepEqual(summary(await analyze([f])), { patterns: sorted(want.patterns), other: want.other });
      const since = want.sinceStart ?? { patterns: want.patterns, other: want.other };
      assert.deepEqual(summary(await analyze([f], { sinceStart: true })), { patterns: sorted(since.patterns), other: since.other });
    });
  }
});

describe('damaged and awkward input never breaks it and loses no other line', () => {
  const guide = () => fixture('guide');
  const cases: Array<{ name: string; bytes: () => Buffer; patterns: Record<string, number>; other: Analysis['other']; check?: (a: Analysis) => void }> = [
    {
      name: 'CRLF line endings',
      bytes: () => Buffer.from(guide().toString('latin1').replace(/\n/g, '\r\n'), 'latin1'),
      patterns: LOG_EXPECTED.guide.patterns,
      other: LOG_EXPECTED.guide.other,
      check: (a) => {
        const f = a.findings.find((x) => x.id === 'lmx-preflight-refused')!;
        assert.equal(f.values.address, 'lmx-host.local:1234');
        assert.equal(f.samples[0].text, '[10:00:05] ERROR lmx preflight failed: ECONNREFUSED lmx-host.local:1234');
      },
    },
    {
      name: 'a UTF-8 byte order mark before the first line (a log saved by a Windows editor or PowerShell)',
      bytes: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), guide()]),
      patterns: LOG_EXPECTED.guide.patterns,
      other: LOG_EXPECTED.guide.other,
      check: (a) => {
        assert.deepEqual(a.run, { found: true, file: a.files[0].display, line: 1, time: '10:00:01' });
        assert.equal(a.findings.find((x) => x.id === 'daemon-started')!.samples[0].text, '[10:00:01] INFO  daemon started on 127.0.0.1:9999');
      },
    },
    {
      name: 'a log of nothing but a byte order mark has no line',
      bytes: () => Buffer.from([0xef, 0xbb, 0xbf]),
      patterns: {},
      other: { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0, unparsed: 0 },
      check: (a) => assert.equal(a.lines, 0),
    },
    {
      name: 'JSON lines whose first "msg" or "level" key is not the message or level (nested, a number): the top-level one is matched',
      bytes: () =>
        Buffer.from(
          [
            '{"level":"error","ctx":{"msg":"nested"},"msg":"lmx preflight failed: ECONNREFUSED h:1"}',
            '{"level":"error","msg":404,"message":"tool worker crashed: heap out of memory"}',
            '{"user":{"level":"admin"},"level":"warn","msg":"permission request perm_9 timed out (5m), auto-denying"}',
            '{"type":"msg","level":"error","msg":"lmx preflight failed: ECONNREFUSED h:2"}',
            '',
          ].join('\n'),
        ),
      patterns: { 'lmx-preflight-refused': 2, 'tool-worker-oom': 1, 'permission-auto-denied': 1 },
      other: { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0, unparsed: 0 },
    },
    {
      name: 'blanks after the message (padding of a log shipper, an editor, a JSON value): patterns anchored at the end still match',
      bytes: () =>
        Buffer.concat([
          Buffer.from(guide().toString('latin1').replace(/\n/g, ' \t \r\n'), 'latin1'),
          Buffer.from('{"level":"error","msg":"lmx preflight failed: ECONNREFUSED h:1 \\r\\n"}\n'),
        ]),
      patterns: { ...LOG_EXPECTED.guide.patterns, 'lmx-preflight-refused': LOG_EXPECTED.guide.patterns['lmx-preflight-refused'] + 1 },
      other: LOG_EXPECTED.guide.other,
      check: (a) => {
        const f = a.findings.find((x) => x.id === 'lmx-preflight-refused')!;
        assert.equal(f.values.address, 'h:1');
        assert.equal(f.samples[0].text, '[10:00:05] ERROR lmx preflight failed: ECONNREFUSED lmx-host.local:1234');
      },
    },
    {
      name: 'control characters (terminal escapes, BEL) in what is quoted from the log are shown escaped, never written as they are; a JSON message is matched on its first line',
      bytes: () =>
        Buffer.from(
          [
            '[10:00:05] ERROR lmx preflight failed: ECONNREFUSED \x1b[2Jh:1',
            String.raw`{"level":"error","msg":"lmx request failed: bad\u0007 answer \u001b]0;pwned\u0007"}`,
            String.raw`{"level":"error","msg":"daemon crashed: Error: boom\n    at main (main.js:1:1)"}`,
            '',
          ].join('\n'),
          'latin1',
        ),
      patterns: { 'lmx-preflight-refused': 1, 'lmx-request-failed': 1, 'daemon-crashed': 1 },
      other: { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0, unparsed: 0 },
      check: (a) => {
        const get = (id: string) => a.findings.find((x) => x.id === id)!;
        assert.equal(get('lmx-preflight-refused').values.address, '\\x1b[2Jh:1');
        assert.equal(get('lmx-preflight-refused').samples[0].text, '[10:00:05] ERROR lmx preflight failed: ECONNREFUSED \\x1b[2Jh:1');
        assert.equal(get('lmx-request-failed').values.cause, 'bad\\x07 answer \\x1b]0;pwned\\x07');
        assert.equal(get('daemon-crashed').values.cause, 'Error: boom');
        for (const f of a.findings) {
          for (const text of [f.message, f.remediation, ...Object.values(f.values), ...f.samples.map((x) => x.text)]) assert.doesNotMatch(text, /[\x00-\x08\x0a-\x1f\x7f-\x9f]/, text);
        }
      },
    },
    {
      name: 'UTF-16LE with its byte order mark and CRLF (what PowerShell 5 writes for opta daemon logs > x.log)',
      bytes: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(guide().toString('utf8').replace(/\n/g, '\r\n') + '[10:20:00] WARN  session caf\u00e9\u{1f600} could not be loaded: x\r\n', 'utf16le')]),
      patterns: { ...LOG_EXPECTED.guide.patterns, 'session-unreadable': 1 },
      other: LOG_EXPECTED.guide.other,
      check: (a) => {
        assert.equal(a.findings.find((x) => x.id === 'lmx-preflight-refused')!.samples[0].text, '[10:00:05] ERROR lmx preflight failed: ECONNREFUSED lmx-host.local:1234');
        assert.equal(a.findings.find((x) => x.id === 'session-unreadable')!.values.session, 'caf\u00e9\u{1f600}');
        assert.equal(a.findings.find((x) => x.id === 'tool-worker-oom')!.first.line, 6);
      },
    },
    {
      name: 'UTF-16BE with its byte order mark',
      bytes: () => {
        const le = Buffer.from(guide().toString('utf8'), 'utf16le');
        return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
      },
      patterns: LOG_EXPECTED.guide.patterns,
      other: LOG_EXPECTED.guide.other,
    },
    {
      name: 'no final newline',
      bytes: () => Buffer.from(fixture('mixed').toString('latin1').replace(/\n$/, ''), 'latin1'),
      patterns: LOG_EXPECTED.mixed.patterns,
      other: LOG_EXPECTED.mixed.other,
      check: (a) => assert.equal(a.findings.find((x) => x.id === 'daemon-ports-exhausted')!.last.line, 11),
    },
    {
      name: 'invalid UTF-8 in a message, and a line of raw bytes',
      bytes: () =>
        Buffer.concat([guide(), Buffer.from('[10:20:00] WARN  session caf'), Buffer.from([0xe9]), Buffer.from(' could not be loaded: x\n'), Buffer.from([0x80, 0x81, 0xfe, 0xff, 0x0a]), guide()]),
      patterns: { ...times(LOG_EXPECTED.guide.patterns, 2), 'session-unreadable': 1 },
      other: { ...times(LOG_EXPECTED.guide.other, 2), unparsed: 1 } as Analysis['other'],
      check: (a) => assert.equal(a.findings.find((x) => x.id === 'session-unreadable')!.values.session, 'caf\ufffd'),
    },
    {
      name: 'a 3 MB line that matches, and a 3 MB line of garbage at the end without a newline',
      bytes: () =>
        Buffer.concat([guide(), Buffer.from(`[10:30:00] ERROR request failed: ${'x'.repeat(3 * 1024 * 1024)}\n`), guide(), Buffer.from('z'.repeat(3 * 1024 * 1024))]),
      patterns: { ...times(LOG_EXPECTED.guide.patterns, 2), 'daemon-internal-error': 3 },
      other: { ...times(LOG_EXPECTED.guide.other, 2), unparsed: 1 } as Analysis['other'],
      check: (a) => {
        const f = a.findings.find((x) => x.id === 'daemon-internal-error')!;
        assert.ok(f.samples.every((s) => s.text.length <= 401), 'samples are cut');
        assert.deepEqual(f.samples.map((s) => s.line), [7, 12, 19]);
        assert.equal(a.lines, 24);
      },
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const f = file(c.bytes());
      for (const threads of [1, 2, 3]) {
        const a = await analyze([f], { threads, parallelMinBytes: 0 });
        assert.deepEqual(summary(a), { patterns: sorted(c.patterns), other: c.other }, `${threads} thread(s)`);
        c.check?.(a);
      }
    });
  }
});

describe('one result whatever the chunks, threads and files', () => {
  test('a log of many chunks: the same counts, first/last lines and samples with 1, 2, 3 and 5 threads', async () => {
    const reps = 4000;
    const f = file(Buffer.concat(Array.from({ length: reps }, () => fixture('mixed'))));
    assert.ok(fs.statSync(f).size > 20 * CHUNK_BYTES);
    const one = await analyze([f], { threads: 1 });
    assert.deepEqual(summary(one), { patterns: sorted(times(LOG_EXPECTED.mixed.patterns, reps)), other: times(LOG_EXPECTED.mixed.other, reps) });
    const crash = one.findings.find((x) => x.id === 'daemon-crashed')!;
    assert.deepEqual([crash.first.line, crash.last.line], [7, 11 * (reps - 1) + 7]);
    const strip = (a: Analysis) => ({ ...a, durationMs: 0 });
    for (const threads of [2, 3, 5]) assert.deepEqual(strip(await analyze([f], { threads, parallelMinBytes: 0 })), strip(one), `${threads} threads`);
    // Only the last run counts with --since-start, however the file was split.
    for (const threads of [1, 3]) {
      const since = await analyze([f], { threads, parallelMinBytes: 0, sinceStart: true });
      assert.deepEqual(summary(since), { patterns: sorted(LOG_EXPECTED.mixed.sinceStart!.patterns), other: LOG_EXPECTED.mixed.sinceStart!.other });
      assert.equal(since.run.line, 11 * (reps - 1) + 4);
    }
  });

  test('files are read in the order given; line numbers are per file; start-up lines at the end of one file belong to the run that starts in the next', async () => {
    const text = fixture('mixed').toString('utf8').split('\n');
    const a = file(text.slice(0, 3).join('\n') + '\n'); // ...stopping, then the start-up warnings
    const b = file(text.slice(3).join('\n')); // daemon started, and the rest
    const r = await analyze([a, b], { sinceStart: true });
    assert.deepEqual(summary(r).patterns, sorted(LOG_EXPECTED.mixed.sinceStart!.patterns));
    assert.deepEqual(r.run, { found: true, file: path.basename(b), line: 1, time: '10:00:01' });
    const fallback = r.findings.find((x) => x.id === 'daemon-port-fallback')!;
    assert.deepEqual([fallback.first.file, fallback.first.line], [path.basename(a), 3]);
    const all = await analyze([a, b]);
    assert.equal(all.findings.find((x) => x.id === 'daemon-ports-exhausted')!.last.line, 8);
    assert.deepEqual(summary(await analyze([b, a], { sinceStart: true })).patterns, sorted({ 'daemon-stopping': 1, 'daemon-port-fallback': 1, 'session-unreadable': 1, 'daemon-started': 1, 'lmx-request-failed': 1, 'lmx-preflight-no-model': 1, 'daemon-crashed': 1, 'daemon-ports-exhausted': 1 }));
  });

  test('patterns without a prefix (a literal anywhere, or no literal at all) or with one JSON writes differently match text and JSON lines alike', async () => {
    const dir = path.join(tmp, 'custom-patterns');
    fs.mkdirSync(dir);
    const base = { severity: 'warn', message: 'm {{count}}', why: 'why it matters, in one sentence or so', remediation: 'opta doctor', guide: 'Log Analysis', check: null, fix: null };
    const custom = [
      { id: 'mid-literal', levels: ['ERROR'], regex: 'disk (?<disk>\\w+) on fire', examples: ['the disk sda on fire'] },
      { id: 'no-literal', levels: ['WARN'], regex: '^\\w+\\s\\w+$', examples: ['hello world'] },
      { id: 'quoted', levels: ['INFO'], regex: '^say "(?<word>\\w+)"', examples: ['say "hi"'] },
    ];
    for (const c of custom) fs.writeFileSync(path.join(dir, `${c.id}.json`), JSON.stringify({ ...base, ...c }));
    const own = await loadPatterns(dir);
    assert.deepEqual(own.problems, []);
    const f = file(
      [
        '[10:00:00] ERROR the disk sda on fire',
        '{"level":"error","msg":"the disk sdb on fire"}',
        '[10:00:01] WARN  hello world',
        '{"level":"warn","msg":"hello there"}',
        '[10:00:02] INFO  say "hi"',
        '{"level":"info","msg":"say \\"yo\\""}',
        '[10:00:03] ERROR the disk is fine',
        '[10:00:04] WARN  hello brave new world',
      ].join('\n') + '\n',
    );
    const a = await analyzeLogs({ inputs: [{ path: f, display: 'f' }], patterns: own, context: templateContext(optaPaths(tmp), {}) });
    assert.deepEqual(summary(a), { patterns: { 'mid-literal': 2, 'no-literal': 2, quoted: 2 }, other: { DEBUG: 0, INFO: 0, WARN: 1, ERROR: 1, unparsed: 0 } });
    assert.deepEqual(a.findings.find((x) => x.id === 'quoted')!.values, { word: 'yo' });
    assert.deepEqual(a.findings.find((x) => x.id === 'mid-literal')!.values, { disk: 'sdb' });
  });

  test('--since-start after several runs: only the last one, even when no start-up lines precede its start', async () => {
    const guide = fixture('guide');
    const f = file(Buffer.concat([guide, guide, guide]));
    const one = await analyze([f], { sinceStart: true });
    assert.deepEqual(summary(one), { patterns: sorted(LOG_EXPECTED.guide.patterns), other: LOG_EXPECTED.guide.other });
    assert.deepEqual([one.run.line, one.lines], [23, 11]);
    assert.equal(one.findings.find((x) => x.id === 'tool-worker-oom')!.first.line, 28);
  });

  test('more files than are kept open at once: those opened later are read whole, in order, by one thread or several', async () => {
    const count = MAX_OPEN_INPUTS + 40;
    // Every 7th file is the mixed fixture; the last is the guide's (its tool-worker-oom is the last one found).
    const isMixed = (i: number) => i % 7 === 0 && i < count - 1;
    const many = Array.from({ length: count }, (_, i) => file(isMixed(i) ? fixture('mixed') : fixture('guide')));
    const want = { patterns: {} as Record<string, number>, other: { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0, unparsed: 0 } };
    const mixed = summary(await analyze([many[0]]));
    const guide = summary(await analyze([many[1]]));
    const nMixed = many.filter((_, i) => isMixed(i)).length;
    const nGuide = many.length - nMixed;
    for (const [s, k] of [[mixed, nMixed], [guide, nGuide]] as const) {
      for (const [id, c] of Object.entries(s.patterns)) want.patterns[id] = (want.patterns[id] ?? 0) + c * k;
      for (const l of Object.keys(want.other) as Array<keyof Analysis['other']>) want.other[l] += s.other[l] * k;
    }
    const opened = openInputs(many.map((f) => ({ path: f, display: path.basename(f) })));
    try {
      assert.equal(opened.length, many.length);
      assert.equal(opened.filter((o) => o.fd >= 0).length, MAX_OPEN_INPUTS, 'the last files given are the ones kept open');
      assert.ok(opened.slice(-MAX_OPEN_INPUTS).every((o) => o.fd >= 0));
    } finally {
      for (const o of opened) if (o.fd >= 0) fs.closeSync(o.fd);
    }
    // A file opened again must still be the one checked at the start.
    assert.throws(() => alignToLine({ fd: -1, path: many[0], key: '0:0' }, 1, 100), /replaced or renamed while it was analysed/);
    for (const threads of [1, 3]) {
      const a = await analyze(many, { threads, parallelMinBytes: 0 });
      assert.deepEqual(summary(a), { patterns: sorted(want.patterns), other: want.other }, `${threads} thread(s)`);
      assert.equal(a.files.length, many.length);
      assert.equal(a.findings.find((x) => x.id === 'tool-worker-oom')!.last.file, path.basename(many[many.length - 1]));
    }
  });

  test('--since-start: the bytes reported are those read ("Read daemon.log (N)"), whatever the threads, not those of the pieces after the run start', async () => {
    const guide = fixture('guide');
    const body = Buffer.concat(Array.from({ length: 3000 }, () => guide.subarray(guide.indexOf(10) + 1)));
    const f = file(Buffer.concat([body, guide]));
    for (const threads of [1, 2, 3, 5]) {
      const a = await analyze([f], { sinceStart: true, threads, parallelMinBytes: 0 });
      assert.equal(a.bytes, fs.statSync(f).size, `${threads} thread(s)`);
      assert.equal(a.lines, 11, `${threads} thread(s)`);
    }
  });

  test('the same file named twice is read once', async () => {
    const f = path.join(FIXTURES, 'guide.log');
    assert.deepEqual(summary(await analyze([f, f])), summary(await analyze([f])));
  });
});

describe("the guide's sample lines", () => {
  const guide = fs.readFileSync(path.join(ROOT, 'docs', 'opta-troubleshooting.txt'), 'utf8');
  const section = guide.slice(guide.indexOf('Log Analysis'), guide.indexOf('Reset Everything'));
  const samples = section.split('\n').filter((l) => /^\[\d\d:\d\d:\d\d\] /.test(l));
  const want = ['daemon-started', 'lmx-preflight-refused', 'permission-auto-denied', 'tool-worker-oom', 'session-dir-race'];

  test('the section has the five sample lines', () => assert.equal(samples.length, 5));
  samples.forEach((line, i) => {
    test(`"${line}" hits exactly ${want[i]}`, async () => {
      const a = await analyze([file(line + '\n')]);
      assert.deepEqual(a.findings.map((f) => f.id), [want[i]]);
      assert.doesNotMatch(a.findings[0].message + a.findings[0].remediation, /\(unknown\)|\{\{/);
    });
  });
});

describe("the doctor's bounded read of the current run", () => {
  function home(log: string): ReturnType<typeof optaPaths> {
    const h = path.join(tmp, `home-${++n}`);
    fs.mkdirSync(path.join(h, 'daemon'), { recursive: true });
    fs.writeFileSync(path.join(h, 'daemon', 'daemon.log'), log);
    return optaPaths(h);
  }
  const filler = (count: number, at = '09') => Array.from({ length: count }, (_, i) => `[${at}:00:00] INFO  request ${i} served in 3 ms ${'x'.repeat(60)}\n`).join('');
  const oom = (t: string) => `[${t}] ERROR tool worker crashed: heap out of memory\n`;

  test('a run longer than the bound: only its last 256 KiB is read, and the messages say so', () => {
    const paths = home(`[08:00:00] INFO  daemon started on 127.0.0.1:9999\n${oom('08:00:01')}${filler(40000)}${oom('10:00:00')}${oom('10:00:01')}`);
    assert.ok(fs.statSync(paths.logFile).size > 3 * CURRENT_RUN_MAX_BYTES);
    const a = analyzeCurrentRunWith({ paths, env: {} }, patterns);
    assert.ok(a.bytes <= CURRENT_RUN_MAX_BYTES, `read ${a.bytes} bytes`);
    assert.deepEqual([a.run.found, a.window], [false, { maxBytes: CURRENT_RUN_MAX_BYTES, partial: true }]);
    const f = a.findings.find((x) => x.id === 'tool-worker-oom')!;
    assert.equal(f.count, 2);
    assert.equal(f.first.line, null, 'line numbers are unknown when the file was not read from its start');
    assert.match(f.message, /2 times in the last 256 KiB of the log, last at 10:00:01/);
  });

  test('a run that fits: counted from its start (and the start-up lines before it), the previous run not at all', () => {
    const paths = home(
      `${filler(5000, '07')}[07:59:00] INFO  daemon started on 127.0.0.1:9999\n${oom('07:59:30')}` +
        `[08:00:00] WARN  port 9999 in use, using fallback port 10000\n[08:00:00] INFO  daemon started on 127.0.0.1:10000\n${oom('08:00:01')}${filler(10)}`,
    );
    const a = analyzeCurrentRunWith({ paths, env: {} }, patterns);
    assert.ok(a.bytes <= CURRENT_RUN_MAX_BYTES);
    assert.deepEqual([a.run.found, a.run.time, a.window!.partial], [true, '08:00:00', false]);
    assert.deepEqual(summary(a).patterns, { 'daemon-port-fallback': 1, 'daemon-started': 1, 'tool-worker-oom': 1 });
    assert.match(a.findings.find((x) => x.id === 'tool-worker-oom')!.message, /1 time since the daemon started, last at 08:00:01/);
  });

  test('no log yet: nothing found, nothing thrown', () => {
    const h = path.join(tmp, `home-${++n}`);
    const a = analyzeCurrentRunWith({ paths: optaPaths(h), env: {} }, patterns);
    assert.deepEqual([a.files, a.findings, a.lines], [[], [], 0]);
  });
});
