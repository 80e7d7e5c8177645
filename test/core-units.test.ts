// Table tests for the pure core: path resolution, state file classification, atomic writes, config keys, log format.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { resolveHome, optaPaths } from '../src/core/paths.js';
import { readState, writeState } from '../src/core/state.js';
import { ASIDE_KEPT, markStoppedIfOwned, readStateLite, setStateAside } from '../src/core/state-lite.js';
import { inspectConfig, setConfigValue, unsetConfigValue, maskSecret } from '../src/core/config.js';
import { formatLogLine } from '../src/daemon/server/logger.js';
import { VERSION } from '../src/core/version.js';
import { ROOT } from './helpers/env.js';
import { childEnd, onceWithin } from './helpers/wait.js';

const made: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-unit-'));
  made.push(d);
  return d;
};
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

test('home resolution: OPTA_HOME, then XDG_CONFIG_HOME, then APPDATA on Windows, then ~/.config/opta', () => {
  const cases: Array<[NodeJS.ProcessEnv, NodeJS.Platform, string]> = [
    [{ OPTA_HOME: '/x/opta', XDG_CONFIG_HOME: '/xdg', HOME: '/h' }, 'linux', '/x/opta'],
    [{ XDG_CONFIG_HOME: '/xdg', HOME: '/h' }, 'linux', '/xdg/opta'],
    [{ APPDATA: '/appdata', HOME: '/h' }, 'win32', path.resolve('/appdata', 'opta')],
    [{ APPDATA: '/appdata', HOME: '/h' }, 'darwin', '/h/.config/opta'],
    [{ HOME: '/h' }, 'linux', '/h/.config/opta'],
  ];
  for (const [env, platform, want] of cases) assert.equal(resolveHome(env, platform), want, JSON.stringify(env));
  const p = optaPaths('/h/.config/opta');
  assert.equal(p.stateFile, '/h/.config/opta/daemon/state.json');
  assert.equal(p.logFile, '/h/.config/opta/daemon/daemon.log');
  assert.equal(p.sessionsDir, '/h/.config/opta/sessions');
  assert.equal(p.configFile, '/h/.config/opta/config.json');
});

const validState = { pid: 4242, port: 9999, host: '127.0.0.1', token: 'a'.repeat(64), daemonId: 'd-1', startedAt: '2026-11-25T10:00:01Z', version: '1.1.0' };

const stoppedRecord = { status: 'stopped', pid: 4242, port: 9999, host: '127.0.0.1', daemonId: 'd-1', startedAt: '2026-11-25T10:00:01Z', version: '1.1.0', stoppedAt: '2026-11-25T11:00:00.000Z', how: 'clean' };

test('state.json reads are classified: missing, empty, not-json, wrong-shape, valid, stopped', () => {
  const dir = tmp();
  const f = path.join(dir, 'state.json');
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'missing'],
    ['', 'empty'],
    ['  \n', 'empty'],
    ['{"pid": 12', 'not-json'],
    ['garbage\u0000\u0001', 'not-json'],
    ['[]', 'wrong-shape'],
    ['{"pid":"12345"}', 'wrong-shape'],
    [JSON.stringify({ ...validState, port: 70000 }), 'wrong-shape'],
    [JSON.stringify({ ...validState, token: undefined }), 'wrong-shape'],
    [JSON.stringify(validState), 'valid'],
    // A file written before stopped records existed, or with a status other than "stopped", is a running record.
    [JSON.stringify({ ...validState, status: 'running' }), 'valid'],
    [JSON.stringify(stoppedRecord), 'stopped'],
    // A stopped record needs no token, and holds one only as an unknown key (dropped).
    [JSON.stringify({ ...stoppedRecord, token: 'a'.repeat(64) }), 'stopped'],
    [JSON.stringify({ ...stoppedRecord, stoppedAt: undefined }), 'wrong-shape'],
    [JSON.stringify({ ...stoppedRecord, how: 'crashed' }), 'wrong-shape'],
    [JSON.stringify({ ...stoppedRecord, pid: 0 }), 'wrong-shape'],
  ];
  for (const [content, want] of cases) {
    fs.rmSync(f, { force: true });
    if (content !== undefined) fs.writeFileSync(f, content);
    assert.equal(readState(f).class, want, `content ${JSON.stringify(content)}`);
    const [lite, full] = [readStateLite(f), readState(f)];
    // The messages differ in wording (zod's own); the class and what a valid record holds do not.
    if (lite.class === 'valid' || lite.class === 'stopped') assert.deepEqual(lite, full, `the zod-free reader agrees on ${JSON.stringify(content)}`);
    else assert.equal(lite.class, full.class);
  }
  const wrong = readState((fs.writeFileSync(f, '{"pid":"12345"}'), f));
  assert.ok(wrong.class === 'wrong-shape' && /pid/.test(wrong.error), 'wrong-shape names the field');
});

test('state.json is written 0600 in a 0700 directory and marked stopped only by the daemon it names', () => {
  const dir = path.join(tmp(), 'daemon');
  const f = path.join(dir, 'state.json');
  writeState(f, validState);
  assert.equal(fs.statSync(f).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  const before = fs.readFileSync(f, 'utf8');
  assert.equal(markStoppedIfOwned(f, 'someone-else', 'clean'), false);
  assert.equal(fs.readFileSync(f, 'utf8'), before, "another daemon's state is left as it was");
  const t0 = Date.now();
  assert.equal(markStoppedIfOwned(f, 'd-1', 'clean'), true);
  assert.equal(fs.statSync(f).mode & 0o777, 0o600, 'the stopped record is 0600 too');
  const raw = JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
  assert.equal(raw.token, undefined, 'no token in a stopped record');
  const r = readState(f);
  assert.ok(r.class === 'stopped', JSON.stringify(r));
  assert.deepEqual({ ...r.stopped, stoppedAt: undefined }, { status: 'stopped', pid: 4242, port: 9999, host: '127.0.0.1', daemonId: 'd-1', startedAt: validState.startedAt, version: '1.1.0', stoppedAt: undefined, how: 'clean' });
  assert.ok(Date.parse(r.stopped.stoppedAt) >= t0 - 1000 && Date.parse(r.stopped.stoppedAt) <= Date.now() + 1000, r.stopped.stoppedAt);
  assert.equal(markStoppedIfOwned(f, 'd-1', 'killed'), false, 'a stopped record is never rewritten as stopped again');
  assert.equal(fs.readdirSync(dir).join(','), 'state.json', 'no temp file left');
  fs.writeFileSync(f, '{corrupt');
  const aside = setStateAside(f, 'corrupt');
  assert.ok(aside && /state\.json\.corrupt-/.test(aside) && fs.readFileSync(aside, 'utf8') === '{corrupt');
  // Bounded (issue 26): older copies of the same label beyond ASIDE_KEPT go, the newest stays; other labels are untouched.
  for (let i = 0; i < ASIDE_KEPT + 2; i++) fs.writeFileSync(`${f}.stale-2020-01-0${i + 1}T00-00-00-000Z`, `old ${i}`);
  fs.writeFileSync(f, '{"pid":1}');
  const stale = setStateAside(f, 'stale')!;
  const kept = fs.readdirSync(path.dirname(f)).filter((n) => n.startsWith('state.json.stale-')).sort();
  assert.equal(kept.length, ASIDE_KEPT);
  assert.equal(kept.at(-1), path.basename(stale));
  assert.ok(!kept.includes('state.json.stale-2020-01-01T00-00-00-000Z'));
  assert.ok(fs.existsSync(aside));
});

test('a kill -9 at any moment of a state write leaves the old or the new file, never a torn one', async () => {
  const dir = tmp();
  const f = path.join(dir, 'daemon', 'state.json');
  const atomic = path.join(ROOT, 'dist', 'src', 'core', 'state.js');
  // A writer process rewrites state.json as fast as it can; we kill -9 it at varying moments.
  const script = `import('${atomic}').then(({ writeState }) => { let i = 0; process.stdout.write('go\\n'); for (;;) writeState(${JSON.stringify(f)}, { ...${JSON.stringify(validState)}, pid: 1 + (i++ % 60000), daemonId: 'x'.repeat(1 + (i % 5000)) }); })`;
  for (let round = 0; round < 12; round++) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await onceWithin(child.stdout!, 'data', 10000, `the state writer of round ${round} to say go`, () => child.kill('SIGKILL'));
    await new Promise((r) => setImmediate(r));
    for (let spin = 0; spin < round * 2000; spin++) fs.existsSync(f); // vary the kill moment without sleeping
    child.kill('SIGKILL');
    await childEnd(child, 5000, `the state writer of round ${round} to exit on SIGKILL`);
    const cls = readState(f).class;
    assert.ok(cls === 'valid' || cls === 'missing', `round ${round}: state.json was ${cls}`);
  }
  assert.equal(readState(f).class, 'valid', 'at least the last rounds wrote a file');
});

test('config: missing file is valid defaults; set validates and never leaves a bad file; unset restores the default', () => {
  const dir = tmp();
  const f = path.join(dir, 'config.json');
  const r = inspectConfig(f);
  assert.ok(r.valid && r.source === 'defaults');
  assert.equal(r.valid && r.config.daemon.port, 9999);
  assert.equal(r.valid && r.config.daemon.portRange, '10000-10020');
  assert.equal(r.valid && r.config.lmx.host, 'lmx-host.local');
  assert.equal(r.valid && r.config.lmx.port, 1234);
  assert.equal(r.valid && r.config.permissions.timeoutMs, 300000);
  setConfigValue(f, 'lmx.port', '4321');
  const before = fs.readFileSync(f, 'utf8');
  for (const [k, v] of [['lmx.port', 'abc'], ['lmx.port', '70000'], ['daemon.portRange', '10020-10000'], ['daemon.portRange', 'x'], ['lmx.host', '']]) {
    assert.throws(() => setConfigValue(f, k, v), /invalid value|not a whole number/, `${k}=${v}`);
    assert.equal(fs.readFileSync(f, 'utf8'), before, `file untouched after bad ${k}=${v}`);
  }
  assert.throws(() => setConfigValue(f, 'lmx.nope', '1'), /unknown config key "lmx.nope"/);
  assert.equal(unsetConfigValue(f, 'lmx.port'), true);
  const after = inspectConfig(f);
  assert.ok(after.valid && after.config.lmx.port === 1234);
  fs.writeFileSync(f, JSON.stringify({ lmx: { port: 'x' } }));
  const bad = inspectConfig(f);
  assert.ok(!bad.valid && bad.problems[0].key === 'lmx.port');
  assert.equal(maskSecret('sk-very-secret'), '********');
});

test("log lines use the guide's format: [HH:MM:SS] LEVEL padded to five, one space", () => {
  const at = new Date(2026, 10, 25, 10, 0, 1);
  assert.equal(formatLogLine('INFO', 'daemon started on 127.0.0.1:9999', at), '[10:00:01] INFO  daemon started on 127.0.0.1:9999\n');
  assert.equal(formatLogLine('ERROR', 'lmx preflight failed: ECONNREFUSED lmx-host.local:1234', at), '[10:00:01] ERROR lmx preflight failed: ECONNREFUSED lmx-host.local:1234\n');
  assert.equal(formatLogLine('WARN', 'session dir already exists, skipping mkdir', at), '[10:00:01] WARN  session dir already exists, skipping mkdir\n');
});

test('the CLI version is package.json version 1.1.0 (the guide\'s "Installed CLI: 1.1.0")', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
  assert.equal(VERSION, '1.1.0');
});

test('bounded resolution: literals, localhost and /etc/hosts are answered without any resolver', async () => {
  const { hostsFileLookup, resolveHost } = await import('../src/core/resolve.js');
  const hosts = '127.0.0.1 localhost\n# 10.0.0.9 commented.example\n10.1.2.3   lmx-box.lan lmx   # trailing\n::1 ip6-localhost\nfe80::1 lmx-box.lan\nnot-an-ip bogus.lan\n';
  assert.deepEqual(hostsFileLookup('lmx-box.lan', hosts), [{ address: '10.1.2.3', family: 4 }, { address: 'fe80::1', family: 6 }]);
  assert.deepEqual(hostsFileLookup('lmx', hosts), [{ address: '10.1.2.3', family: 4 }]);
  assert.deepEqual(hostsFileLookup('commented.example', hosts), []);
  assert.deepEqual(hostsFileLookup('bogus.lan', hosts), []);
  assert.deepEqual(await resolveHost('10.0.0.7', { timeoutMs: 50 }), [{ address: '10.0.0.7', family: 4 }]);
  assert.deepEqual(await resolveHost('::1', { timeoutMs: 50 }), [{ address: '::1', family: 6 }]);
  assert.deepEqual((await resolveHost('LOCALHOST.', { timeoutMs: 50 })).map((a) => a.address), ['127.0.0.1', '::1']);
});

test('readSmallFile: a file read whole by the size fstat gives; one that says it is empty (a pseudo-file) read to its end, never past the bound', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  const { readSmallBytes, readSmallFile } = await import('../src/core/read-small.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-small-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.json');
  const text = JSON.stringify({ pid: 1, word: 'héllo'.repeat(3000) });
  fs.writeFileSync(file, text);
  assert.equal(readSmallFile(file), text);
  fs.writeFileSync(file, '');
  assert.equal(readSmallBytes(file).length, 0);
  // /proc/self/status: st_size 0, yet it has lines; read whole.
  const status = readSmallFile('/proc/self/status');
  assert.match(status, /^Name:\t/m);
  assert.match(status, /^VmRSS:/m);
  assert.throws(() => readSmallBytes('/proc/self/status', 16), (e: NodeJS.ErrnoException) => e.code === 'EFBIG' && /more than 16 bytes/.test(e.message));
});
