// The service files opta writes (systemd unit, launchd plist) and the parsers of what the managers print (issue 25).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers/env.js';
import { launchdJob, launchdPlist, parsePlist, readLaunchdPlist, readSystemdUnit, systemdUnit, shellQuote, type ServiceSpec } from '../src/daemon/service/service-file.js';
import { parseSystemdShow } from '../src/daemon/service/systemd-show.js';
import { isNotLoaded, parseLaunchctlPrint } from '../src/daemon/service/launchctl-print.js';

const FIX = path.join(ROOT, 'fixtures', 'service');
const sd = (name: string) => parseSystemdShow(fs.readFileSync(path.join(FIX, 'systemd', name), 'utf8'));
const ld = (name: string) => parseLaunchctlPrint(fs.readFileSync(path.join(FIX, 'launchd', name), 'utf8'));

function spec(home: string): ServiceSpec {
  return { node: process.execPath, bin: path.join(ROOT, 'dist', 'bundle', 'opta.cjs'), home, outLog: path.join(home, 'daemon', 'launchd.log') };
}

test('the systemd unit passes systemd-analyze verify --user with nothing on stderr, also for a home with spaces, % and $', (t) => {
  const which = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
  if (which.status !== 0) {
    t.skip('systemd-analyze is not installed (.ci/run installs the systemd package)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-unit-'));
  try {
    const run = path.join(dir, 'run');
    fs.mkdirSync(run, { mode: 0o700 });
    for (const home of [path.join(dir, 'home', '.config', 'opta'), path.join(dir, 'my home', '100%', '$HOME"x')]) {
      const file = path.join(dir, 'opta-daemon.service');
      fs.writeFileSync(file, systemdUnit(spec(home)));
      const r = spawnSync('systemd-analyze', ['verify', '--user', file], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: run }, timeout: 30000 });
      assert.equal(r.stderr, '', `systemd-analyze verify complained about the unit for ${home}:\n${r.stderr}`);
      assert.equal(r.status, 0);
      // systemd reads back the same command and home that opta wrote.
      const back = readSystemdUnit(fs.readFileSync(file, 'utf8'));
      assert.deepEqual(back, { ours: true, argv: [process.execPath, spec(home).bin, 'daemon', 'run'], home });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the unit restarts only on failure, with a delay and a written-out start limit, and carries opta\'s marker', () => {
  const u = systemdUnit(spec('/h/opta'));
  for (const line of ['Restart=on-failure', 'RestartSec=2', 'StartLimitBurst=5', 'StartLimitIntervalSec=60', 'Environment=OPTA_HOME=/h/opta', 'WantedBy=default.target']) {
    assert.ok(u.split('\n').includes(line), `missing ${line}`);
  }
  assert.match(u, /^ExecStart=\/\S+ \/\S+opta\.cjs daemon run$/m, 'ExecStart names absolute paths');
  assert.equal(readSystemdUnit(u.replace(/^# Written by opta.*\n/, '')).ours, false);
  assert.throws(() => systemdUnit(spec('/h/a\nb')), /line break/);
});

test('the plist round-trips through the plist library and has the keys launchd requires', async () => {
  const s = spec('/Users/alice/.config/op ta & <x>');
  const xml = await launchdPlist(s);
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
  assert.match(xml, /<!DOCTYPE plist PUBLIC "-\/\/Apple\/\/DTD PLIST 1.0\/\/EN"/);
  const job = await parsePlist(xml);
  assert.deepEqual(job, launchdJob(s));
  assert.equal(job!.Label, 'dev.opta.daemon');
  assert.deepEqual(job!.ProgramArguments, [s.node, s.bin, 'daemon', 'run']);
  assert.ok(path.isAbsolute((job!.ProgramArguments as string[])[0]));
  assert.deepEqual(job!.KeepAlive, { SuccessfulExit: false });
  assert.equal(job!.RunAtLoad, true);
  assert.equal(typeof job!.ThrottleInterval, 'number');
  assert.deepEqual(job!.EnvironmentVariables, { OPTA_HOME: s.home });
  assert.equal(job!.StandardOutPath, s.outLog);
  assert.equal(job!.StandardErrorPath, s.outLog);
  assert.deepEqual(await readLaunchdPlist(xml), { ours: true, argv: [s.node, s.bin, 'daemon', 'run'], home: s.home });
  assert.equal((await readLaunchdPlist(xml.replace(/<!-- Written by opta[^>]*-->\n/, ''))).ours, false);
});

test('a broken plist is read as nothing, quietly (xmldom would print to stderr)', async () => {
  const writes: string[] = [];
  const orig = process.stderr.write;
  process.stderr.write = ((c: string) => (writes.push(String(c)), true)) as typeof process.stderr.write;
  let v: unknown;
  try {
    v = await parsePlist('<plist><dict><key>Label</key><string>x</dict>');
  } finally {
    process.stderr.write = orig;
  }
  assert.equal(v, undefined);
  assert.deepEqual(writes, []);
});

test('shell quoting of printed paths', () => {
  assert.equal(shellQuote('/a/b.plist'), '/a/b.plist');
  assert.equal(shellQuote("/my dir/it's"), "'/my dir/it'\\''s'");
});

test('systemctl show: every captured case', () => {
  const running = sd('running.txt');
  assert.equal(running.state, 'running');
  assert.equal(running.pid, 16739);
  assert.equal(running.restarts, 0);
  assert.equal(running.crashLooping, false);
  assert.equal(running.needsReload, false);
  assert.equal(running.enabled, false);
  assert.equal(sd('running-enabled.txt').enabled, true);
  const afterKill = sd('activating-auto-restart-after-kill.txt');
  assert.equal(afterKill.state, 'restarting');
  assert.deepEqual(afterKill.lastExit, { signal: 9 });
  assert.equal(afterKill.crashLooping, false);
  const restarted = sd('running-after-restart.txt');
  assert.equal(restarted.state, 'running');
  assert.equal(restarted.restarts, 1);
  assert.equal(sd('stopped.txt').state, 'stopped');
  assert.equal(sd('stopped.txt').pid, undefined);
  const stoppedEnabled = sd('stopped-enabled.txt');
  assert.equal(stoppedEnabled.state, 'stopped');
  assert.equal(stoppedEnabled.enabled, true);
  assert.equal(stoppedEnabled.crashLooping, false);
  assert.equal(sd('need-daemon-reload.txt').needsReload, true);
  assert.equal(sd('need-daemon-reload.txt').state, 'running');
  assert.equal(sd('activating-auto-restart.txt').state, 'restarting');
  assert.deepEqual(sd('activating-auto-restart.txt').lastExit, { code: 3 });
  // The crash loop ends `failed`, Result=exit-code, NRestarts=5 = StartLimitBurst (only the full dump has the burst).
  const loop = sd('crashloop-failed-exit-code.full.txt');
  assert.equal(loop.state, 'failed');
  assert.equal(loop.result, 'exit-code');
  assert.equal(loop.restarts, 5);
  assert.equal(loop.restartLimit, 5);
  assert.equal(loop.crashLooping, true);
  assert.equal(loop.throttled, true);
  const quick = sd('crashloop-start-limit-hit.txt');
  assert.equal(quick.state, 'failed');
  assert.equal(quick.crashLooping, true);
  const nf = sd('not-found.txt');
  assert.equal(nf.loaded, false);
  assert.equal(nf.state, 'not-loaded');
  // The full dumps agree with the -p ones on everything opta reads.
  for (const c of ['running', 'running-enabled', 'stopped', 'stopped-enabled', 'need-daemon-reload', 'activating-auto-restart-after-kill', 'running-after-restart', 'not-found']) {
    const a = sd(`${c}.txt`);
    const b = sd(`${c}.full.txt`);
    assert.deepEqual({ ...b, restartLimit: undefined, crashLooping: undefined }, { ...a, restartLimit: undefined, crashLooping: undefined }, c);
  }
  // A healthy unit under a full dump (with its StartLimitBurst) is not a crash loop.
  assert.equal(sd('running-after-restart.full.txt').crashLooping, false);
});

test('launchctl print: every public case', () => {
  const running = ld('running.txt');
  assert.equal(running.state, 'running');
  assert.equal(running.pid, 1478);
  assert.equal(running.lastExit, undefined, '(never exited) is no exit status');
  assert.equal(running.crashLooping, false);
  const loop = ld('crash-loop.txt');
  assert.equal(loop.state, 'restarting');
  assert.equal(loop.pid, undefined);
  assert.deepEqual(loop.lastExit, { code: 1 });
  assert.equal(loop.restarts, 17168);
  assert.equal(loop.crashLooping, true);
  const thr = ld('throttled.txt');
  assert.equal(thr.throttled, true);
  assert.equal(thr.crashLooping, true, '311 runs, relaunched on a schedule');
  assert.equal(thr.enabled, true);
  assert.deepEqual(thr.lastExit, { code: 0 });
  const agenix = ld('throttled-agenix.txt');
  assert.equal(agenix.restarts, 639, 'the reporter\'s trailing #comment is dropped');
  assert.equal(agenix.throttled, true);
  const stopped = ld('stopped.txt');
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.throttled, false);
  assert.equal(stopped.crashLooping, false);
  const full = ld('running-system-daemon-full.txt');
  assert.equal(full.state, 'running');
  assert.ok(full.pid && full.pid > 0);
  assert.equal(isNotLoaded(fs.readFileSync(path.join(FIX, 'launchd', 'not-loaded.stderr.txt'), 'utf8'), 113), true);
  assert.equal(isNotLoaded(fs.readFileSync(path.join(FIX, 'launchd', 'kickstart-not-loaded.stderr.txt'), 'utf8'), 1), true);
  assert.equal(isNotLoaded('', 0), false);
  // One-line shapes seen in public sources (SOURCES.md): a named exit code, a signal, the penalty box.
  const one = (body: string) => parseLaunchctlPrint(`gui/501/x = {\n\t${body.split('\n').join('\n\t')}\n}\n`);
  assert.deepEqual(one('state = not running\nlast exit code = 78: EX_CONFIG').lastExit, { code: 78 });
  assert.deepEqual(one('state = not running\nlast terminating signal = Killed: 9').lastExit, { signal: 9 });
  assert.equal(one('state = not running\nproperties = keepalive | runatload | penalty box').throttled, true);
});
