// The log and config commands as a person runs them: logs --lines/--follow across rotation, config list/get/set/unset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { daemonConfig, freePortBlock, makeHome, runOpta, spawnOpta, waitUntil, killAndWait, readJson, PKG_VERSION, alive } from './helpers/env.js';
import { lastLines } from '../src/logs/tail.js';
import { Logger } from '../src/daemon/server/logger.js';

test('logs --lines N prints exactly the last N lines of a large log, reading only its end', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true });
  // ~40 MB log: 400k lines. The command must not read it all (see bench/logs-tail for the cost ratio).
  const line = (i: number) => `[10:00:01] INFO  line ${i} ${'x'.repeat(80)}`;
  const fd = fs.openSync(h.paths.logFile, 'w');
  const batch: string[] = [];
  for (let i = 1; i <= 400000; i++) {
    batch.push(line(i));
    if (batch.length === 10000) { fs.writeSync(fd, batch.join('\n') + '\n'); batch.length = 0; }
  }
  fs.closeSync(fd);
  const r = await runOpta(h, ['daemon', 'logs', '--lines', '200']);
  assert.equal(r.code, 0, r.stderr);
  const got = r.stdout.trimEnd().split('\n');
  assert.equal(got.length, 200);
  assert.equal(got[0], line(399801));
  assert.equal(got[199], line(400000));
  const def = await runOpta(h, ['daemon', 'logs']);
  assert.equal(def.stdout.trimEnd().split('\n').length, 200, 'default is 200 lines');
  const three = await runOpta(h, ['daemon', 'logs', '-n', '3']);
  assert.deepEqual(three.stdout.trimEnd().split('\n'), [line(399998), line(399999), line(400000)]);
  for (const bad of ['0', '-5', 'abc']) {
    const b = await runOpta(h, ['daemon', 'logs', '--lines', bad]);
    assert.equal(b.code, 2, `--lines ${bad}`);
    assert.match(b.stderr, /--lines takes a whole number/);
  }
});

test('lastLines handles files without a trailing newline, short files, and chunk boundaries', () => {
  const h = makeHome();
  const f = path.join(h.home, 'x.log');
  fs.writeFileSync(f, 'a\nb\nc');
  assert.deepEqual(lastLines(f, 2), ['b', 'c']);
  assert.deepEqual(lastLines(f, 10), ['a', 'b', 'c']);
  const long = Array.from({ length: 5000 }, (_, i) => `${i}:${'y'.repeat(i % 97)}`);
  fs.writeFileSync(f, long.join('\n') + '\n');
  assert.deepEqual(lastLines(f, 1234), long.slice(-1234));
  fs.rmSync(h.home, { recursive: true, force: true });
});

test('logs without a log file says so and what to do, exit 1', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const r = await runOpta(h, ['daemon', 'logs']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no daemon log at .*daemon\.log yet.*opta daemon start/);
});

test('the log rotates to daemon.log.1 past logs.maxBytes, and logs --follow keeps printing across the rotation', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true });
  const logger = new Logger(h.paths.logFile, 4096);
  logger.info('before follow');
  const f = spawnOpta(h, ['daemon', 'logs', '--follow', '--lines', '1']);
  t.after(() => killAndWait(f.child.pid!));
  await waitUntil(() => f.output().includes('before follow'), 10000, 'first line');
  for (let i = 0; i < 60; i++) logger.info(`line ${i} ${'z'.repeat(100)}`);
  assert.ok(fs.existsSync(h.paths.logFile + '.1'), 'rotated');
  assert.ok(fs.statSync(h.paths.logFile).size <= 4096);
  logger.info('after rotation marker');
  await waitUntil(() => f.output().includes('after rotation marker'), 10000, 'line written after rotation');
  for (let i = 0; i < 60; i++) assert.ok(f.output().includes(`line ${i} `), `followed line ${i}`);
  logger.close();
});

test('config list/get/set/unset/path through the CLI; secrets masked unless --show-secrets; bad values rejected', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const list = await runOpta(h, ['config', 'list']);
  assert.equal(list.code, 0);
  assert.match(list.stdout, /lmx\.host\s+= "lmx-host\.local"/);
  assert.match(list.stdout, /daemon\.port\s+= 9999/);
  assert.match(list.stdout, /daemon\.portRange\s+= "10000-10020"/);
  assert.ok(!fs.existsSync(h.paths.configFile), 'list does not create config.json');

  assert.equal((await runOpta(h, ['config', 'set', 'lmx.apiKey', 'sk-topsecret-123'])).code, 0);
  const masked = await runOpta(h, ['config', 'list']);
  assert.ok(!masked.stdout.includes('sk-topsecret-123'));
  assert.match(masked.stdout, /lmx\.apiKey\s+= "\*+"/);
  assert.ok(!(await runOpta(h, ['config', 'get', 'lmx.apiKey'])).stdout.includes('topsecret'));
  assert.equal((await runOpta(h, ['config', 'get', 'lmx.apiKey', '--show-secrets'])).stdout.trim(), 'sk-topsecret-123');
  const json = JSON.parse((await runOpta(h, ['config', 'list', '--json'])).stdout) as { settings: Array<{ key: string; value: unknown; source: string }> };
  assert.equal(json.settings.find((s) => s.key === 'lmx.apiKey')?.source, 'file');
  assert.ok(!JSON.stringify(json).includes('topsecret'));
  assert.equal(fs.statSync(h.paths.configFile).mode & 0o777, 0o600);

  const before = fs.readFileSync(h.paths.configFile, 'utf8');
  const bad = await runOpta(h, ['config', 'set', 'daemon.port', '99999']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid value for daemon\.port/);
  assert.match(bad.stderr, /Nothing was changed/);
  assert.equal(fs.readFileSync(h.paths.configFile, 'utf8'), before);
  const unknown = await runOpta(h, ['config', 'get', 'nope.key']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown config key "nope\.key"/);

  assert.equal((await runOpta(h, ['config', 'set', 'lmx.port', '4321'])).code, 0);
  assert.equal((await runOpta(h, ['config', 'get', 'lmx.port'])).stdout.trim(), '4321');
  assert.equal((await runOpta(h, ['config', 'unset', 'lmx.port'])).code, 0);
  assert.equal((await runOpta(h, ['config', 'get', 'lmx.port'])).stdout.trim(), '1234');
  assert.equal((await runOpta(h, ['config', 'path'])).stdout.trim(), h.paths.configFile);

  fs.writeFileSync(h.paths.configFile, '{ not json');
  const corrupt = await runOpta(h, ['config', 'list']);
  assert.equal(corrupt.code, 1);
  assert.match(corrupt.stderr, new RegExp(`config file .*config\\.json is invalid \\(\\(file\\): is not valid JSON`));
  const setOnCorrupt = await runOpta(h, ['config', 'set', 'lmx.port', '1']);
  assert.notEqual(setOnCorrupt.code, 0);
  assert.equal(fs.readFileSync(h.paths.configFile, 'utf8'), '{ not json', 'a corrupt config is never overwritten');
});

test('the daemon log captures the start line and a stop; logs --lines 200 shows them', async (t) => {
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port) });
  t.after(() => h.cleanup());
  assert.equal((await runOpta(h, ['daemon', 'start'])).code, 0);
  const pid = readJson<{ pid: number }>(h.paths.stateFile).pid;
  assert.equal((await runOpta(h, ['daemon', 'stop'])).code, 0);
  const r = await runOpta(h, ['daemon', 'logs', '--lines', '200']);
  assert.match(r.stdout, new RegExp(`INFO  daemon started on 127\\.0\\.0\\.1:${port}`));
  assert.match(r.stdout, /INFO  daemon stopping \(SIGTERM\)/);
  assert.match(r.stdout, /INFO  daemon stopped$/m);
  assert.ok(!alive(pid), `daemon pid ${pid} is gone after stop`);
});

test('unknown flags and commands exit 2 with a message, never a stack trace', async () => {
  const h = makeHome();
  try {
    for (const args of [['daemon', 'status', '--bogus'], ['nope'], ['daemon', 'stop', 'extra'], ['config', 'set', 'lmx.port']]) {
      const r = await runOpta(h, args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /error:|opta:/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const help = await runOpta(h, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes: 0/);
    assert.equal((await runOpta(h, ['--version'])).stdout.trim(), PKG_VERSION);
  } finally {
    await h.cleanup();
  }
});

test('a reader that closes the pipe early (| head -1) ends the output quietly, without a stack trace', async () => {
  const h = makeHome();
  try {
    fs.mkdirSync(h.paths.daemonDir, { recursive: true });
    fs.writeFileSync(h.paths.logFile, Array.from({ length: 50000 }, (_, i) => `[10:00:01] INFO  line ${i}`).join('\n') + '\n');
    const { spawnSync } = await import('node:child_process');
    const { OPTA_BIN } = await import('./helpers/env.js');
    const r = spawnSync('bash', ['-c', `node ${JSON.stringify(OPTA_BIN)} daemon logs --lines 50000 | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], { env: h.env, encoding: 'utf8' });
    assert.equal(r.stdout, '[10:00:01] INFO  line 0\n');
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
    assert.match(r.stderr, /status=0/);
  } finally {
    await h.cleanup();
  }
});
