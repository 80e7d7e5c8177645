// Pattern families as tables: the guide's line, trailing detail, Node's wording, every prefix format, CRLF / lone CR / U+2028, a stack trace: each line in exactly one finding with the right values.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { optaPaths } from '../src/core/paths.js';
import type { Analysis } from '../src/logs/analysis.js';
import { analyzeLogs } from '../src/logs/analyze.js';
import { loadPatterns, templateContext, type LoadedPatterns } from '../src/logs/patterns.js';
import { AnalysisSchema } from '../src/logs/analysis-schema.js';
import { gzipSync } from 'node:zlib';
import { makeHome, runOpta, type TestHome } from './helpers/env.js';

let tmp: string;
let patterns: LoadedPatterns;
let n = 0;

async function analyzeText(text: string | Buffer): Promise<Analysis> {
  const f = path.join(tmp, `l-${++n}.log`);
  fs.writeFileSync(f, text);
  return analyzeLogs({ inputs: [{ path: f, display: path.basename(f) }], patterns, context: templateContext(optaPaths(path.join(tmp, 'home')), { HOME: tmp }) });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-families-'));
  patterns = await loadPatterns();
  assert.deepEqual(patterns.problems, []);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Level = 'ERROR' | 'WARN' | 'INFO';
interface Row {
  level: Level;
  message: string;
  id: string;
  values: Record<string, string>;
}

/** Per family: the guide's line first, then trailing detail, Node's wording, other address forms, unknown causes. */
const FAMILIES: Record<string, Row[]> = {
  'lmx-preflight': [
    { level: 'ERROR', message: 'lmx preflight failed: ECONNREFUSED lmx-host.local:1234', id: 'lmx-preflight-refused', values: { address: 'lmx-host.local:1234' } },
    { level: 'ERROR', message: 'lmx preflight failed: ECONNREFUSED lmx-host.local:1234 (attempt 3)', id: 'lmx-preflight-refused', values: { address: 'lmx-host.local:1234' } },
    { level: 'ERROR', message: 'lmx preflight failed: connect ECONNREFUSED 192.168.1.20:1234', id: 'lmx-preflight-refused', values: { address: '192.168.1.20:1234' } },
    { level: 'ERROR', message: 'lmx preflight failed: Error: connect ECONNREFUSED [::1]:1234 after 3 tries', id: 'lmx-preflight-refused', values: { address: '[::1]:1234' } },
    { level: 'ERROR', message: 'lmx preflight failed: getaddrinfo ENOTFOUND lmx-host.local', id: 'lmx-preflight-host-not-found', values: { code: 'ENOTFOUND', host: 'lmx-host.local', address: 'lmx-host.local' } },
    { level: 'ERROR', message: 'lmx preflight failed: EAI_AGAIN lmx-host.local:1234 (dns)', id: 'lmx-preflight-host-not-found', values: { code: 'EAI_AGAIN', host: 'lmx-host.local', address: 'lmx-host.local:1234' } },
    { level: 'ERROR', message: 'lmx preflight failed: TIMEOUT 10.0.0.5:1234 (no answer within 600 ms) after 3 attempts', id: 'lmx-preflight-timeout', values: { address: '10.0.0.5:1234', ms: '600' } },
    { level: 'ERROR', message: 'lmx preflight failed: bad response from 127.0.0.1:1234 (readyz answered HTTP 502) via proxy', id: 'lmx-preflight-bad-response', values: { address: '127.0.0.1:1234', why: 'readyz answered HTTP 502' } },
    { level: 'ERROR', message: 'lmx preflight failed: no model loaded on lmx-host.local:1234 (readyz says not ready) [s_42]', id: 'lmx-preflight-no-model', values: { address: 'lmx-host.local:1234', why: 'readyz says not ready' } },
    { level: 'ERROR', message: 'lmx preflight failed: connect ETIMEDOUT 10.0.0.5:1234', id: 'lmx-preflight-other', values: { cause: 'connect ETIMEDOUT 10.0.0.5:1234' } },
    { level: 'ERROR', message: 'lmx preflight failed: ECONNREFUSED', id: 'lmx-preflight-other', values: { cause: 'ECONNREFUSED' } },
    { level: 'ERROR', message: 'lmx preflight failed: socket hang up (ECONNRESET)', id: 'lmx-preflight-other', values: { cause: 'socket hang up (ECONNRESET)' } },
  ],
  'tool-worker-crashed': [
    { level: 'ERROR', message: 'tool worker crashed: heap out of memory', id: 'tool-worker-oom', values: {} },
    { level: 'ERROR', message: 'tool worker crashed: heap out of memory (rss 2.1 GB)', id: 'tool-worker-oom', values: {} },
    { level: 'ERROR', message: 'tool worker crashed: FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', id: 'tool-worker-oom', values: {} },
    { level: 'ERROR', message: 'tool worker crashed: exit code 1', id: 'daemon-internal-error', values: { what: 'tool worker crashed', cause: 'exit code 1' } },
    { level: 'ERROR', message: 'tool worker crashed: Error [ERR_WORKER_OUT_OF_MEMORY]: worker terminated', id: 'daemon-internal-error', values: { what: 'tool worker crashed', cause: 'Error [ERR_WORKER_OUT_OF_MEMORY]: worker terminated' } },
  ],
  'daemon-start': [
    { level: 'ERROR', message: 'cannot start the daemon: port 9999 and every fallback port (10000-10020) is in use:', id: 'daemon-ports-exhausted', values: { port: '9999', range: '10000-10020' } },
    { level: 'ERROR', message: 'cannot start the daemon: port 9999 and every fallback port (10000-10020) is in use (EADDRINUSE)', id: 'daemon-ports-exhausted', values: { port: '9999', range: '10000-10020' } },
    { level: 'ERROR', message: 'cannot start the daemon: EACCES: permission denied, open \'/x/space.reserve\'', id: 'daemon-start-failed', values: { cause: 'EACCES: permission denied, open \'/x/space.reserve\'' } },
  ],
  'session-dir-race': [
    { level: 'WARN', message: 'session dir already exists, skipping mkdir', id: 'session-dir-race', values: {} },
    { level: 'WARN', message: 'session dir already exists, skipping mkdir (s_42)', id: 'session-dir-race', values: {} },
  ],
};

/** How other programs write the daemon's line (and CR/U+2028 variants); each yields the file's text. */
const FORMATS: Record<string, (level: Level, msg: string) => string> = {
  daemon: (l, m) => `[10:00:05] ${l.padEnd(5)} ${m}\n`,
  'daemon, CRLF': (l, m) => `[10:00:05] ${l.padEnd(5)} ${m}\r\n`,
  iso: (l, m) => `2026-11-25T10:00:05.123Z ${l} ${m}\n`,
  json: (l, m) => JSON.stringify({ ts: '2026-11-25T10:00:05Z', level: l.toLowerCase(), msg: m }) + '\n',
  'json, capitalised keys': (l, m) => JSON.stringify({ Time: '2026-11-25T10:00:05Z', Level: l, Msg: m }) + '\n',
  syslog: (l, m) => `Nov 25 10:00:05 mac-mini opta-daemon[4242]: [10:00:05] ${l.padEnd(5)} ${m}\n`,
  'syslog <PRI>, bare level': (l, m) => `<131>Nov  5 10:00:05 mac-mini opta[4242]: ${l} ${m}\n`,
  'journalctl -o short-iso': (l, m) => `2026-11-25T10:00:05+0100 mac-mini opta[4242]: [10:00:05] ${l.padEnd(5)} ${m}\n`,
  // An error's Type column gives the level of a bare message; other lines carry the daemon's own line.
  'log show': (l, m) =>
    l === 'ERROR'
      ? `2026-11-25 10:00:05.123456+0100 0x1a2b3    Error       0x0                  4242   0    opta-daemon: ${m}\n`
      : `2026-11-25 10:00:05.123456+0100 0x1a2b3    Default     0x0                  4242   0    opta-daemon: [10:00:05] ${l.padEnd(5)} ${m}\n`,
  'docker json-file': (l, m) => JSON.stringify({ log: `[10:00:05] ${l.padEnd(5)} ${m}\n`, stream: 'stderr', time: '2026-11-25T10:00:05.123456789Z' }) + '\n',
  'docker logs -t': (l, m) => `2026-11-25T10:00:05.123456789Z [10:00:05] ${l.padEnd(5)} ${m}\n`,
};

async function expectOne(text: string, row: Row, what: string): Promise<Analysis> {
  const a = await analyzeText(text);
  assert.deepEqual(a.findings.map((f) => [f.id, f.count]), [[row.id, 1]], `${what}: ${JSON.stringify(text)}`);
  assert.equal(a.other[row.level], 0, `${what}: not an unrecognised ${row.level}`);
  assert.equal(a.other.unparsed, 0, `${what}: no unparsed line`);
  for (const [k, v] of Object.entries(row.values)) assert.equal(a.findings[0].values[k], v, `${what}: ${k}`);
  return a;
}

for (const [family, rows] of Object.entries(FAMILIES)) {
  describe(`family ${family}: every line in exactly one finding`, () => {
    for (const [format, write] of Object.entries(FORMATS)) {
      test(format, async () => {
        for (const row of rows) await expectOne(write(row.level, row.message), row, `${format} / ${row.message}`);
      });
    }
    test('a lone CR or U+2028 inside the message: the line is read whole, the values stop there', async () => {
      for (const row of rows) {
        for (const br of ['\r', '\u2028']) await expectOne(FORMATS.daemon(row.level, `${row.message}${br}(attempt 3)`), row, `${JSON.stringify(br)} / ${row.message}`);
      }
    });
  });
}

test('a JavaScript stack trace under an ERROR line is its context: kept under the sample, counted as no line', async () => {
  const trace = [
    "TypeError: Cannot read properties of undefined (reading 'id')",
    '    at Session.handle (/opt/opta/dist/src/daemon/session.js:12:5)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5) {',
    "  code: 'ERR_X'",
    '}',
  ];
  const text = [
    "[10:00:05] ERROR daemon crashed: TypeError: Cannot read properties of undefined (reading 'id')",
    ...trace,
    '[10:00:06] INFO  daemon started on 127.0.0.1:9999',
    '    an indented line after INFO is nobody\'s context',
  ].join('\n') + '\n';
  const a = await analyzeText(text);
  assert.deepEqual(a.findings.map((f) => [f.id, f.count]).sort(), [['daemon-crashed', 1], ['daemon-started', 1]]);
  assert.deepEqual(a.findings.find((f) => f.id === 'daemon-crashed')!.samples[0].context, trace);
  assert.equal(a.other.unparsed, 1, 'only the line after INFO is unparsed');
  assert.equal(a.findings.find((f) => f.id === 'daemon-started')!.last.line, 7, 'line numbers still count the trace lines');
  // In Docker's json-file each trace line is a record of its own: the same.
  const docker = text.split('\n').filter(Boolean).map((l) => JSON.stringify({ log: l + '\n', stream: 'stderr', time: '2026-11-25T10:00:05Z' })).join('\n') + '\n';
  const d = await analyzeText(docker);
  assert.deepEqual(d.findings.find((f) => f.id === 'daemon-crashed')!.samples[0].context, trace);
  assert.equal(d.other.unparsed, 1);
});

test('a stack trace does not continue from one file (or piece) into the next', async () => {
  const a = path.join(tmp, 'a.log');
  const b = path.join(tmp, 'b.log');
  fs.writeFileSync(a, '[10:00:05] ERROR daemon crashed: TypeError: x\n');
  fs.writeFileSync(b, '    at f (/x.js:1:2)\n');
  const r = await analyzeLogs({ inputs: [a, b].map((f) => ({ path: f, display: path.basename(f) })), patterns, context: templateContext(optaPaths(path.join(tmp, 'home')), { HOME: tmp }) });
  assert.equal(r.other.unparsed, 1);
  assert.equal(r.findings[0].samples[0].context, undefined);
});

test('the time of a prefixed line without one of its own is the prefix\'s', async () => {
  const a = await analyzeText('Nov 25 10:00:05 mac-mini opta[4242]: ERROR lmx preflight failed: ECONNREFUSED lmx-host.local:1234\n');
  assert.equal(a.findings[0].last.time, 'Nov 25 10:00:05');
  const j = await analyzeText('2026-11-25T10:00:05+0100 mac-mini opta[4242]: ERROR lmx preflight failed: ECONNREFUSED lmx-host.local:1234\n');
  assert.equal(j.findings[0].last.time, '2026-11-25T10:00:05+0100');
});

describe('rotated logs', () => {
  let h: TestHome;
  before(() => {
    h = makeHome();
    fs.mkdirSync(h.paths.daemonDir, { recursive: true });
  });
  after(async () => h?.cleanup());

  test('no FILE: daemon.log.3.gz, daemon.log.2.gz, daemon.log.1, daemon.log are read in that order, the .gz ones decompressed as they stream', async () => {
    const line = (t: string, addr: string) => `[${t}] ERROR lmx preflight failed: ECONNREFUSED ${addr}\n`;
    // Two gzip members in one file (logrotate's delaycompress + cat) read as one stream, as zcat does.
    fs.writeFileSync(h.paths.logFile + '.3.gz', Buffer.concat([gzipSync(line('09:00:00', 'a:1')), gzipSync('[09:00:01] INFO  daemon started on 127.0.0.1:9999\n')]));
    fs.writeFileSync(h.paths.logFile + '.2.gz', gzipSync(line('09:30:00', 'b:2') + '[09:30:01] WARN  session dir already exists, skipping mkdir (s_42)\n'));
    fs.writeFileSync(h.paths.logFile + '.1', line('10:00:00', 'c:3'));
    fs.writeFileSync(h.paths.logFile, line('11:00:00', 'd:4'));
    const r = await runOpta(h, ['logs', 'analyze', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const a = AnalysisSchema.parse(JSON.parse(r.stdout));
    assert.deepEqual(a.files.map((f) => path.basename(f.display)), ['daemon.log.3.gz', 'daemon.log.2.gz', 'daemon.log.1', 'daemon.log']);
    const refused = a.findings.find((f) => f.id === 'lmx-preflight-refused')!;
    assert.equal(refused.count, 4);
    assert.deepEqual([path.basename(refused.first.file), refused.first.line, refused.last.time, refused.values.address], ['daemon.log.3.gz', 1, '11:00:00', 'd:4']);
    assert.equal(a.findings.find((f) => f.id === 'session-dir-race')?.count, 1);
    assert.equal(a.run.found && path.basename(a.run.file!), 'daemon.log.3.gz');
    assert.equal(a.files[0].bytes, Buffer.byteLength(line('09:00:00', 'a:1')) + 50, 'bytes read decompressed');
    // --since-start: the run that began in the oldest rotation goes on through the newer files.
    const s = await runOpta(h, ['logs', 'analyze', '--json', '--since-start']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).findings.find((f: { id: string }) => f.id === 'lmx-preflight-refused').count, 3);
    // Nothing was unpacked next to the log.
    assert.deepEqual(fs.readdirSync(h.paths.daemonDir).sort(), ['daemon.log', 'daemon.log.1', 'daemon.log.2.gz', 'daemon.log.3.gz']);
  });

  test('a truncated .gz (still being compressed) is read as far as it goes; a named .gz file is read the same', async () => {
    const full = gzipSync('[10:00:00] ERROR tool worker crashed: heap out of memory (rss 2.1 GB)\n'.repeat(2000));
    const f = path.join(h.home, 'old.log.gz');
    fs.writeFileSync(f, full.subarray(0, Math.floor(full.length / 2)));
    const r = await runOpta(h, ['logs', 'analyze', '--json', f]);
    assert.equal(r.code, 0, r.stderr);
    const oom = JSON.parse(r.stdout).findings.find((x: { id: string }) => x.id === 'tool-worker-oom');
    assert.ok(oom && oom.count > 0 && oom.count < 2000, `some lines read: ${oom?.count}`);
  });
});
