// `opta logs analyze` as a process: default inputs (daemon.log.1 then daemon.log), --since-start, --json, exit codes, broken patterns, a log rotated while it is read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { progressWanted } from '../src/cli/terminal.js';
import { AnalysisSchema } from '../src/logs/analysis-schema.js';
import { progressText } from '../src/render/logs-analysis.js';
import { makeHome, OPTA_BIN, ROOT, runCommand, runOpta, waitUntil, type TestHome } from './helpers/env.js';
import { LOG_EXPECTED } from './helpers/logs-expectations.js';
import { exitCodeWithin, withTimeout } from './helpers/wait.js';

const FIXTURES = path.join(ROOT, 'fixtures', 'logs');
const counts = (json: string) => Object.fromEntries((JSON.parse(json).findings as Array<{ id: string; count: number }>).map((f) => [f.id, f.count]));

describe('opta logs analyze', () => {
  let h: TestHome;
  before(() => {
    h = makeHome();
    fs.mkdirSync(h.paths.daemonDir, { recursive: true });
  });
  after(async () => h?.cleanup());

  test('no FILE: reads daemon.log.1, then daemon.log; JSON matches its schema', async () => {
    const lines = fs.readFileSync(path.join(FIXTURES, 'guide.log'), 'utf8').split('\n');
    fs.writeFileSync(h.paths.logFile + '.1', lines.slice(0, 4).join('\n') + '\n');
    fs.writeFileSync(h.paths.logFile, lines.slice(4).join('\n'));
    const r = await runOpta(h, ['logs', 'analyze', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const a = AnalysisSchema.parse(JSON.parse(r.stdout));
    assert.deepEqual(a.files.map((f) => f.display), ['~/.config/opta/daemon/daemon.log.1', '~/.config/opta/daemon/daemon.log']);
    assert.deepEqual(counts(r.stdout), LOG_EXPECTED.guide.patterns);
    const refused = a.findings.find((f) => f.id === 'lmx-preflight-refused')!;
    assert.deepEqual([refused.first, refused.last], [
      { file: '~/.config/opta/daemon/daemon.log.1', line: 3, time: '10:00:05' },
      { file: '~/.config/opta/daemon/daemon.log.1', line: 4, time: '10:00:06' },
    ]);
    assert.deepEqual(a.findings.find((f) => f.id === 'tool-worker-oom')!.first, { file: '~/.config/opta/daemon/daemon.log', line: 2, time: '10:10:00' });
    assert.equal(a.findings.find((f) => f.id === 'tool-worker-oom')!.remediation, 'opta config set tools.memoryLimitMb 128 && opta daemon restart');
  });

  test('text: each finding with count, first and last, why, the next command and samples; other lines by level', async () => {
    const r = await runOpta(h, ['logs', 'analyze', path.join(FIXTURES, 'guide.log')]);
    assert.equal(r.code, 0);
    const out = r.stdout;
    assert.match(out, /^● lmx-preflight-refused \(error, 2 lines\)$/m);
    assert.match(out, /^ {4}lmx preflight failed 2 times, last at 10:00:06: ECONNREFUSED lmx-host\.local:1234 \(nothing listens there\)$/m);
    assert.match(out, /^ {4}first: guide\.log:3 at 10:00:05; last: guide\.log:4 at 10:00:06$/m);
    assert.match(out, /^ {4}next: {2}curl http:\/\/lmx-host\.local:1234\/healthz$/m);
    assert.match(out, /^ {4}e\.g\. {3}guide\.log:3: \[10:00:05\] ERROR lmx preflight failed: ECONNREFUSED lmx-host\.local:1234$/m);
    assert.match(out, /^Lines no pattern matched: 1 ERROR, 1 WARN, 1 INFO, 1 DEBUG, 0 without a time and level\.$/m);
    assert.match(out, /^6 findings: 3 errors, 1 warning, 2 info\.$/m);
    assert.doesNotMatch(out, /\x1b\[/, 'no colour with NO_COLOR');
  });

  test('--since-start: only the current daemon run (and its start-up lines)', async () => {
    const mixed = path.join(FIXTURES, 'mixed.log');
    const all = await runOpta(h, ['logs', 'analyze', '--json', mixed]);
    const since = await runOpta(h, ['logs', 'analyze', '--json', '--since-start', mixed]);
    assert.deepEqual(counts(all.stdout), LOG_EXPECTED.mixed.patterns);
    assert.deepEqual(counts(since.stdout), LOG_EXPECTED.mixed.sinceStart!.patterns);
    assert.deepEqual(JSON.parse(since.stdout).run, { found: true, file: mixed, line: 4, time: '10:00:01' });
    const text = await runOpta(h, ['logs', 'analyze', '--since-start', mixed]);
    assert.match(text.stdout, /^The current daemon run started at 10:00:01 \(mixed\.log line 4\); 10 lines from there are counted/m);
  });

  test('exit codes: 0 when it ran, 1 with --strict and an error-level finding, 0 with --strict and none', async () => {
    const guide = path.join(FIXTURES, 'guide.log');
    assert.equal((await runOpta(h, ['logs', 'analyze', guide])).code, 0);
    assert.equal((await runOpta(h, ['logs', 'analyze', '--strict', guide])).code, 1);
    const mild = path.join(h.home, 'mild.log');
    fs.writeFileSync(mild, '[10:00:01] INFO  daemon started on 127.0.0.1:9999\n[10:05:00] WARN  permission request perm_001 timed out (5m), auto-denying\n');
    const r = await runOpta(h, ['logs', 'analyze', '--strict', mild]);
    assert.equal(r.code, 0, 'warnings and information do not fail --strict');
  });

  test('secrets a log line carried are redacted in samples and messages (text and JSON) unless --show-secrets; the doctor never prints them', async () => {
    const h = makeHome();
    try {
      const bearer = 'b3arerTok3n0123456789abcdef';
      const key = 'sk-live-abcdefghijklmnopqrstuvwxyz012345';
      // An HTTP header as a proxy or an LMX error echoes it: "X-Api-Key: <hex>".
      const header = '3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
      fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(
        h.paths.logFile,
        `[10:00:01] INFO  daemon started on 127.0.0.1:9999\n[10:00:02] ERROR request failed: upstream said Authorization: Bearer ${bearer}\n[10:00:03] ERROR turn t1 in session s1 failed: Error: bad key ${key}\n` +
          `[10:00:04] ERROR lmx request failed: HTTP 401 for X-Api-Key: ${header}\n`,
      );
      for (const args of [['logs', 'analyze'], ['logs', 'analyze', '--json'], ['doctor', '--verbose'], ['doctor', '--json']]) {
        const r = await runOpta(h, args);
        assert.ok(!r.stdout.includes(bearer) && !r.stdout.includes(key) && !r.stdout.includes(header), `opta ${args.join(' ')} leaks a secret from the log:\n${r.stdout}`);
      }
      const text = await runOpta(h, ['logs', 'analyze']);
      assert.match(text.stdout, /Authorization: Bearer \[REDACTED:bearer-1\]/);
      const shown = await runOpta(h, ['logs', 'analyze', '--show-secrets']);
      assert.ok(shown.stdout.includes(bearer) && shown.stdout.includes(key), 'asked for, they are shown');
    } finally {
      await h.cleanup();
    }
  });

  test('a long line is quoted cut short, never in the middle of a word: no part of a secret the cut made unrecognisable is shown', async () => {
    const h = makeHome();
    try {
      const key = 'sk-abcdefghijklmnopqrstuvwxyz0123456789';
      const head = '[10:00:05] ERROR lmx request failed: ';
      // The sample is cut at 400 characters: here 14 characters into the key, too few for any secret shape.
      const line = head + 'y '.repeat(200).slice(0, 400 - head.length - 14 - 1) + ' ' + key + ' and more';
      assert.equal(line.indexOf(key), 400 - 14);
      const huge = `[10:00:06] ERROR turn t1 in session s1 failed: ${'z '.repeat(50000)}${key}`;
      fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(h.paths.logFile, `[10:00:01] INFO  daemon started on 127.0.0.1:9999\n${line}\n${huge}\n`);
      for (const args of [['logs', 'analyze'], ['logs', 'analyze', '--json'], ['doctor', '--verbose'], ['doctor', '--json']]) {
        const r = await runOpta(h, args);
        assert.ok(!r.stdout.includes(key.slice(0, 8)), `opta ${args.join(' ')} shows part of a secret from the log:\n${r.stdout.slice(0, 3000)}`);
        // A value quoted in a message is bounded too: no line of the report carries a 100 KB cause.
        assert.ok(r.stdout.split('\n').every((l) => l.length < 1000), `opta ${args.join(' ')} prints a line of ${Math.max(...r.stdout.split('\n').map((l) => l.length))} characters`);
      }
      const a = JSON.parse((await runOpta(h, ['logs', 'analyze', '--json'])).stdout);
      const sample = a.findings.find((f: { id: string }) => f.id === 'lmx-request-failed').samples[0].text as string;
      assert.equal(sample, line.slice(0, 400 - 14) + '…');
    } finally {
      await h.cleanup();
    }
  });

  test('unreadable input: exit 2, one paragraph naming the file, no stack trace', async () => {
    const fifo = path.join(h.home, 'pipe.log');
    execFileSync('mkfifo', [fifo]);
    const cases: Array<[string[], RegExp]> = [
      [[fifo], /^opta: cannot read the log .*pipe\.log: it is not a regular file/],
      [['/dev/zero'], /^opta: cannot read the log \/dev\/zero: it is not a regular file/],
      [[path.join(h.home, 'nope.log')], /^opta: cannot read the log .*nope\.log: ENOENT/],
      [[h.home], /^opta: cannot read the log .*: it is not a regular file/],
      [[path.join(FIXTURES, 'guide.log'), path.join(h.home, 'nope.log')], /nope\.log/],
    ];
    for (const [args, message] of cases) {
      const r = await runOpta(h, ['logs', 'analyze', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(r.stdout, '');
    }
    const empty = makeHome();
    try {
      const r = await runOpta(empty, ['logs', 'analyze']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^opta: there is no daemon log at ~\/\.config\/opta\/daemon\/daemon\.log: .*opta daemon start/);
    } finally {
      await empty.cleanup();
    }
  });

  test('more files than the process may hold open (a shell glob over a directory of logs): all of them are read, exit 0', async () => {
    // macOS allows 256 descriptors by default and many Linux shells 1024; a limit of 96 here stands for both.
    const dir = path.join(h.home, 'many');
    fs.mkdirSync(dir);
    const files = Array.from({ length: 300 }, (_, i) => {
      const f = path.join(dir, `part ${String(i).padStart(3, '0')}.log`);
      fs.writeFileSync(f, `[10:00:05] ERROR lmx preflight failed: ECONNREFUSED host-${i}:1234\n[10:00:06] WARN  something odd\n`);
      return f;
    });
    const script = 'ulimit -n 96 && exec "$0" "$@"';
    const r = await runCommand('/bin/sh', ['-c', script, process.execPath, OPTA_BIN, 'logs', 'analyze', '--json', ...files], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const a = AnalysisSchema.parse(JSON.parse(r.stdout));
    assert.equal(a.files.length, 300);
    assert.equal(a.lines, 600);
    const refused = a.findings.find((f) => f.id === 'lmx-preflight-refused')!;
    assert.equal(refused.count, 300);
    assert.deepEqual([refused.first.file, refused.last.file, refused.last.line], [files[0], files[299], 1]);
    assert.equal(refused.values.address, 'host-299:1234');
    assert.equal(a.other.WARN, 300);
  });

  test('"-" reads standard input: a pipe (cat daemon.log | opta logs analyze -, zcat of an old log) or a file redirected into it', async () => {
    const guide = path.join(FIXTURES, 'guide.log');
    const run = (args: string[], stdin: 'pipe' | number, feed?: Buffer) => {
      let child!: ReturnType<typeof spawn>;
      return withTimeout(new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        child = spawn(process.execPath, [OPTA_BIN, 'logs', 'analyze', ...args], { env: h.env, stdio: [stdin, 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d) => (stdout += d));
        child.stderr!.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        if (feed) {
          // In pieces, as a slow writer sends them; lines cut in the middle of a write are still whole lines.
          const bytes = feed;
          let at = 0;
          const next = () => {
            if (at >= bytes.length) return child.stdin!.end();
            child.stdin!.write(bytes.subarray(at, at + 7777), next);
            at += 7777;
          };
          next();
        }
      }), 30000, `opta logs analyze ${args.join(' ')} to finish`, () => child.kill('SIGKILL'));
    };
    const many = Buffer.concat(Array.from({ length: 300 }, () => fs.readFileSync(guide)));
    const piped = await run(['--json', '-'], 'pipe', many);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, '');
    const a = AnalysisSchema.parse(JSON.parse(piped.stdout));
    assert.deepEqual(a.files.map((f) => [f.display, f.bytes]), [['standard input', many.length]]);
    assert.deepEqual(counts(piped.stdout), Object.fromEntries(Object.entries(LOG_EXPECTED.guide.patterns).map(([id, c]) => [id, c * 300])));
    assert.deepEqual(a.findings.find((f) => f.id === 'tool-worker-oom')!.last, { file: 'standard input', line: 300 * 11 - 5, time: '10:10:00' });
    const copy = path.join(h.home, 'copy of guide.log');
    fs.copyFileSync(guide, copy);
    const fd = fs.openSync(copy, 'r');
    try {
      const redirected = await run(['-', guide], fd);
      assert.equal(redirected.code, 0, redirected.stderr);
      assert.match(redirected.stdout, /^Read standard input and .*guide\.log \(/);
      assert.match(redirected.stdout, /^● lmx-preflight-refused \(error, 4 lines\)$/m);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('a broken pattern file (bad regex, matches the empty string): exit 2 with its file and JSON path; the other patterns still run', async () => {
    const dir = path.join(h.home, 'patterns');
    fs.mkdirSync(dir);
    const builtIn = path.join(ROOT, 'rules', 'logs');
    for (const f of fs.readdirSync(builtIn)) fs.copyFileSync(path.join(builtIn, f), path.join(dir, f));
    const oom = JSON.parse(fs.readFileSync(path.join(dir, 'tool-worker-oom.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'tool-worker-oom.json'), JSON.stringify({ ...oom, regex: '^tool worker crashed: (heap' }));
    const race = JSON.parse(fs.readFileSync(path.join(dir, 'session-dir-race.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'session-dir-race.json'), JSON.stringify({ ...race, regex: '(?:session dir already exists)?' }));
    const r = await runOpta(h, ['logs', 'analyze', '--json', '--rules', dir, path.join(FIXTURES, 'guide.log')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /log pattern file .*patterns\/tool-worker-oom\.json is invalid at \$\.regex: not a valid regular expression/);
    assert.match(r.stderr, /log pattern file .*patterns\/session-dir-race\.json is invalid at \$\.regex: can match the empty string/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const { 'tool-worker-oom': oomLines, 'session-dir-race': _b, ...rest } = LOG_EXPECTED.guide.patterns;
    // The OOM line still lands in its family (tool worker crashed): with its own pattern gone, the catch-all takes it.
    assert.deepEqual(counts(r.stdout), { ...rest, 'daemon-internal-error': (rest['daemon-internal-error'] ?? 0) + oomLines });
    assert.equal(JSON.parse(r.stdout).problems.length, 2);
    const v = await runOpta(h, ['rules', 'validate', '--kind', 'logs', dir]);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /tool-worker-oom\.json: \$\.regex: /);
  });

  test('--rules naming a directory with no pattern file: exit 2 saying so (nothing was looked for), not "No findings." and 0', async () => {
    const dir = path.join(h.home, 'no-patterns-here');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'README.txt'), 'not a pattern\n');
    const r = await runOpta(h, ['logs', 'analyze', '--strict', '--rules', dir, path.join(FIXTURES, 'guide.log')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no-patterns-here: no log pattern files \(\*\.json\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    // Nothing was looked for: stdout must not read as a clean log, stderr must not call the directory a pattern file
    // nor say other patterns ran.
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /pattern file .*no-patterns-here is invalid|the other patterns ran/);
    assert.match(r.stderr, /nothing was looked for/);
    // Every pattern file broken: the same (none ran).
    fs.writeFileSync(path.join(dir, 'broken.json'), '{}');
    const broken = await runOpta(h, ['logs', 'analyze', '--rules', dir, path.join(FIXTURES, 'guide.log')]);
    assert.equal(broken.code, 2);
    assert.equal(broken.stdout, '');
    assert.doesNotMatch(broken.stderr, /the other patterns ran/);
    fs.rmSync(path.join(dir, 'broken.json'));
    const json = await runOpta(h, ['logs', 'analyze', '--json', '--rules', dir, path.join(FIXTURES, 'guide.log')]);
    assert.equal(json.code, 2);
    assert.equal(JSON.parse(json.stdout).problems.length, 1);
  });

  test('progress only on a terminal, never in CI or with --json; never in a pipe', async () => {
    const tty = { isTTY: true };
    assert.equal(progressWanted(tty, {}, false), true);
    assert.equal(progressWanted(tty, { CI: 'true' }, false), false);
    assert.equal(progressWanted(tty, { CI: 'false' }, false), true);
    assert.equal(progressWanted(tty, {}, true), false);
    assert.equal(progressWanted({ isTTY: false }, {}, false), false);
    assert.equal(progressText(50 * 1048576, 200 * 1048576), 'analysing: 50 MiB of 200 MiB (25%)');
    // A log big enough to take more than a moment, CI unset, stderr a pipe: nothing on stderr.
    const big = path.join(h.home, 'big.log');
    const block = fs.readFileSync(path.join(FIXTURES, 'guide.log'), 'utf8').repeat(2000);
    fs.writeFileSync(big, block.repeat(30));
    const r = await runOpta({ env: { ...h.env, CI: undefined } }, ['logs', 'analyze', big]);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
  });
});

describe('a log appended to and rotated while it is read', () => {
  let h: TestHome;
  before(() => {
    h = makeHome();
    fs.mkdirSync(h.paths.daemonDir, { recursive: true });
  });
  after(async () => h?.cleanup());

  /** Starts `opta logs analyze --json`, rotates the log the way the daemon's logger does once opta holds it open, and returns the result. */
  async function rotateDuringRead(): Promise<{ code: number | null; stdout: string; stillReading: boolean }> {
    const child = spawn(process.execPath, [OPTA_BIN, 'logs', 'analyze', '--json'], { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = exitCodeWithin(child, 60000, 'opta logs analyze --json (the log rotated under it) to finish', 'close');
    const fdDir = `/proc/${child.pid}/fd`;
    // Every log file there is, open: opta has taken its snapshot and is reading.
    const wanted = [h.paths.logFile, h.paths.logFile + '.1'].filter((f) => fs.existsSync(f));
    const holds = () => {
      try {
        const open = fs.readdirSync(fdDir).map((fd) => {
          try {
            return fs.readlinkSync(path.join(fdDir, fd));
          } catch {
            return '';
          }
        });
        return wanted.every((f) => open.includes(f));
      } catch {
        return false;
      }
    };
    await waitUntil(holds, 20000, 'opta to open the logs');
    // The daemon keeps writing: lines appended to the file opta is reading (after its snapshot, or just before it).
    fs.appendFileSync(h.paths.logFile, '[10:59:59] WARN  session dir already exists, skipping mkdir\n'.repeat(20));
    // What Logger.rotateIfNeeded does: rename to .1 (replacing the old one), then a new file; then new lines arrive.
    fs.renameSync(h.paths.logFile, h.paths.logFile + '.1');
    fs.writeFileSync(h.paths.logFile, '[11:00:00] INFO  daemon started on 127.0.0.1:9999\n');
    const stillReading = child.exitCode === null;
    for (let i = 0; i < 50; i++) fs.appendFileSync(h.paths.logFile, '[11:00:01] ERROR tool worker crashed: heap out of memory\n');
    return { code: await exited, stdout, stillReading };
  }

  test('the lines of the file as it was when opened are all counted, once; nothing breaks', async () => {
    const block = fs.readFileSync(path.join(FIXTURES, 'guide.log'), 'utf8');
    const reps = 60000; // ~35 MB: reading it takes a while, so the rotation lands mid-read
    fs.writeFileSync(h.paths.logFile, block.repeat(reps));
    const r = await rotateDuringRead();
    assert.equal(r.code, 0);
    assert.ok(r.stillReading, 'the rotation happened while opta was still reading');
    const got = counts(r.stdout);
    // The appended lines are counted only if they landed before opta took the file's size: all 20 or none.
    assert.ok([reps, reps + 20].includes(got['session-dir-race']), `session-dir-race: ${got['session-dir-race']}`);
    assert.deepEqual({ ...got, 'session-dir-race': reps }, Object.fromEntries(Object.entries(LOG_EXPECTED.guide.patterns).map(([k, v]) => [k, v * reps])));
    assert.equal(JSON.parse(r.stdout).other.ERROR, reps);
  });

  test('with a daemon.log.1 already there: both files as they were when opened', async () => {
    const block = fs.readFileSync(path.join(FIXTURES, 'guide.log'), 'utf8');
    fs.writeFileSync(h.paths.logFile + '.1', block.repeat(1000));
    fs.writeFileSync(h.paths.logFile, block.repeat(60000));
    const r = await rotateDuringRead();
    assert.equal(r.code, 0);
    const got = counts(r.stdout);
    assert.ok([61000, 61020].includes(got['session-dir-race']), `session-dir-race: ${got['session-dir-race']}`);
    assert.deepEqual({ ...got, 'session-dir-race': 61000 }, Object.fromEntries(Object.entries(LOG_EXPECTED.guide.patterns).map(([k, v]) => [k, v * 61000])));
  });
});
