// Safety of `opta doctor --fix` on live systems: foreign processes live on, --dry-run changes nothing, a returning fault fails, rollback, no hang, one fix at a time.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { optaPaths } from '../src/core/paths.js';
import { processStartId } from '../src/core/proc.js';
import { kindById } from '../src/cli/rule-kinds.js';
import { runFix, SILENT } from '../src/fix/runner.js';
import { textFixUi } from '../src/render/fix-ui.js';
import { FixReportSchema } from '../src/fix/report-schema.js';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { alive, cmdlineOf, hashTree, holdPort, OPTA_BIN, readJson, runOpta, treeChanges, waitUntil } from './helpers/env.js';
import { assertSameBytes, historyCutByKill, historyThenRunning, snapshot } from './helpers/history.js';
import { mountTmpfs } from './helpers/tmpfs.js';
import { exitCodeWithin } from './helpers/wait.js';

interface State {
  pid: number;
  port: number;
}

const rig = () => startRig({ config: { permissions: { timeoutMs: 120000 } } });
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A writable that keeps what listr2's test renderer writes, line by line. */
function sink(onLine?: (line: string) => void): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  let buf = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        onLine?.(line);
      }
      cb();
    },
  });
  return { stream, lines };
}

function processState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

test('a foreign program on the daemon port is named with the command to stop it, and is still alive after --fix --yes', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  assert.equal((await runOpta(r.h, ['daemon', 'stop'])).code, 0);
  const holder = await holdPort(r.port, 'python3');
  r.h.pids.add(holder.pid);
  const fix = await runOpta(r.h, ['doctor', '--fix', '--yes']);
  assert.equal(fix.code, 1, fix.stdout);
  assert.match(fix.stdout, new RegExp(`^ {2}needs a person {6}daemon-port-foreign: .*\\n {22}next: kill ${holder.pid} && opta daemon start$`, 'm'));
  assert.match(fix.stdout, /^Nothing opta can fix here: 1 problem needs a person \(the commands are above\)\.$/m);
  assert.ok(alive(holder.pid), 'the foreign process was not signalled');
  assert.equal(readJson<Record<string, unknown>>(r.h.paths.stateFile).status, 'stopped', 'no daemon was started for it: the stop record is as it was');
});

test('kill -9 with a foreign program on the port since: the daemon comes back on a fallback port and the foreign program lives on', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  process.kill(r.pid, 'SIGKILL');
  await waitUntil(() => !alive(r.pid), 5000, 'the daemon to die');
  const holder = await holdPort(r.port, 'python3');
  r.h.pids.add(holder.pid);
  const fix = await runOpta(r.h, ['doctor', '--fix', '--yes']);
  assert.equal(fix.code, 0, fix.stdout);
  assert.match(fix.stdout, /fixed {15}daemon-stale-state/);
  assert.match(fix.stdout, new RegExp(`appeared {12}ports-preferred-foreign: port ${r.port} is held by python3 \\(pid ${holder.pid}\\)`));
  assert.match(fix.stdout, new RegExp(`next: kill ${holder.pid} && opta daemon restart`));
  assert.equal(readJson<State>(r.h.paths.stateFile).port, r.port + 1);
  assert.ok(alive(holder.pid));
  assert.equal((await runOpta(r.h, ['doctor', '--strict'])).code, 1, 'the warning stays until a person stops the program');
});

test('--dry-run: the plan names the files and pids each step would touch, and not one byte under the home changes', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyCutByKill(r);
  fs.chmodSync(r.h.paths.stateFile, 0o644);
  fs.rmSync(r.h.paths.logFile);
  const home = snapshot(r.h.home);
  const plain = await runOpta(r.h, ['doctor', '--fix', '--dry-run']);
  assert.equal(plain.code, 1, 'exits like opta doctor: an error was found');
  assert.match(plain.stdout, /^ {2}fix-file-modes: /m);
  assert.match(plain.stdout, /^ {7}~\/\.config\/opta\/daemon\/state\.json: mode 0644 -> 0600 \(holds the daemon token; others can read it\)$/m);
  assert.match(plain.stdout, /^ {7}~\/\.config\/opta\/daemon\/state\.json: moved to ~\/\.config\/opta\/daemon\/state\.json\.stale-<time>$/m);
  assert.match(plain.stdout, /^Dry run: nothing was changed\.$/m);
  const json = await runOpta(r.h, ['doctor', '--fix', '--dry-run', '--yes', '--json']);
  assert.equal(json.code, 1);
  const report = FixReportSchema.parse(JSON.parse(json.stdout));
  assert.equal(report.mode, 'dry-run');
  assert.deepEqual(report.plan.pipelines.map((p) => p.id), ['fix-file-modes', 'fix-stale-state']);
  assert.ok(report.plan.pipelines.every((p) => p.steps.every((s) => s.status === 'planned')));
  assert.deepEqual(snapshot(r.h.home), home, 'every file, directory and mode under HOME is as it was');
});

test('a fault that comes back between the fix and the re-check is reported as still failing (exit 1), even after the offered reset; listr2 test renderer events', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  process.kill(r.pid, 'SIGKILL');
  await waitUntil(() => !alive(r.pid), 5000, 'the daemon to die');
  const holders: number[] = [];
  const out = sink();
  const shown: string[] = [];
  const report = await runFix({
    paths: optaPaths(r.h.optaHome),
    env: r.h.env,
    doctor: { deadlineMs: 5000 },
    yes: true,
    dryRun: false,
    ui: await textFixUi({ show: (text) => shown.push(text) }),
    renderer: 'test',
    color: false,
    stdout: out.stream,
    stderr: out.stream,
    // Each time, something kills the daemon the fix started and a foreign program takes its port.
    beforeRecheck: async () => {
      const s = readJson<State>(r.h.paths.stateFile);
      process.kill(s.pid, 'SIGKILL');
      await waitUntil(() => !alive(s.pid), 5000, 'the new daemon to die');
      const h = await holdPort(s.port, 'node');
      r.h.pids.add(h.pid);
      holders.push(h.pid);
    },
  });
  FixReportSchema.parse(report);
  assert.equal(report.exitCode, 1);
  assert.deepEqual(report.rules.map((x) => [x.id, x.outcome]), [['daemon-stale-state', 'still-failing']]);
  // Judged on freshly collected facts: the stale pid now is the one the reset started, not the first one.
  const last = readJson<State>(r.h.paths.stateFile).pid;
  assert.notEqual(last, r.pid);
  assert.match(report.rules[0].message, new RegExp(`names pid ${last}, which is not running`));
  assert.match(report.before!.findings[0].message, new RegExp(`names pid ${r.pid}, which is not running`));
  assert.deepEqual(report.plan.pipelines.map((p) => [p.id, p.status]), [['fix-stale-state', 'done'], ['fix-reset', 'done']], 'every step succeeded');
  assert.deepEqual(report.reset, { offered: true, ran: true, reason: 'the daemon check still failed after the targeted pipelines' });
  assert.equal(holders.length, 2);
  for (const pid of holders) assert.ok(alive(pid), 'the foreign programs on the ports live on');
  assert.match(shown.join('\n'), /still failing {7}daemon-stale-state/);
  // listr2's test renderer: one JSON event per line.
  const events = out.lines.map((l) => JSON.parse(l) as { event: string; data: unknown; task: { path: string[]; title: string } });
  const states = (title: RegExp) => events.filter((e) => e.event === 'STATE' && title.test(e.task.path.at(-1)!)).map((e) => e.data);
  assert.deepEqual(states(/^fix-stale-state:/), ['STARTED', 'COMPLETED']);
  assert.deepEqual(states(/^set the stale state\.json aside/), ['STARTED', 'COMPLETED']);
  assert.deepEqual(states(/^Step 1: Stop the daemon/), ['STARTED', 'COMPLETED']);
  assert.ok(events.some((e) => e.event === 'TITLE' && /^start the daemon with a fresh token: started daemon \(pid \d+, port \d+\)$/.test(String(e.data))));
});

test('a failing step rolls back its pipeline: the corrupt state.json is put back byte for byte when no daemon can start (every port taken)', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  assert.equal((await runOpta(r.h, ['daemon', 'stop'])).code, 0);
  const torn = Buffer.from('{"pid": 4');
  fs.writeFileSync(r.h.paths.stateFile, torn, { mode: 0o600 });
  const holders = await Promise.all([0, 1, 2].map((i) => holdPort(r.port + i, 'node')));
  holders.forEach((x) => r.h.pids.add(x.pid));
  const fix = await runOpta(r.h, ['doctor', '--fix']);
  assert.equal(fix.code, 1, fix.stdout);
  const lines = fix.stdout.split('\n');
  const at = lines.indexOf('  fix-corrupt-state: Set the corrupt state file aside and start the daemon');
  assert.ok(at > 0, fix.stdout);
  assert.match(lines[at + 1], /^ {4}✔ set the corrupt state\.json aside \(kept as state\.json\.corrupt-<time>\): moved ~\/\.config\/opta\/daemon\/state\.json to ~\/\.config\/opta\/daemon\/state\.json\.corrupt-\S+$/);
  assert.match(lines[at + 2], /^ {4}✖ start the daemon \(a daemon of this home that still runs writes its state again\): failed: .*(taken|in use)/);
  assert.ok(lines.includes('    ← set the corrupt state.json aside (kept as state.json.corrupt-<time>): moved ' + lines[at + 1].split(' to ').at(-1) + ' back to ~/.config/opta/daemon/state.json'), fix.stdout);
  assert.match(fix.stdout, /^fix-corrupt-state failed and was rolled back: /m);
  assert.match(fix.stdout, /^ {2}still failing {7}daemon-state-corrupt: /m);
  assert.match(fix.stdout, /^Reset Everything was not run: needs confirmation: run opta doctor --fix --yes, or opta doctor --fix on a terminal; or run: opta daemon reset$/m);
  assert.deepEqual(fs.readFileSync(r.h.paths.stateFile), torn, 'the state file is back, byte for byte');
  assert.deepEqual(fs.readdirSync(r.h.paths.daemonDir).filter((f) => f.includes('corrupt-')), []);
  for (const x of holders) assert.ok(alive(x.pid));
});

test('no terminal and no --yes: steps that ask are reported as needing confirmation (exit 1), nothing is signalled, and an open stdin never makes it wait', async (t) => {
  const r = await rig();
  t.after(async () => {
    process.kill(r.pid, 'SIGCONT');
    await r.cleanup();
  });
  process.kill(r.pid, 'SIGSTOP');
  const child = spawn(process.execPath, [OPTA_BIN, 'doctor', '--fix'], { env: r.h.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await exitCodeWithin(child, 20000, () => `doctor --fix to exit without input (did it wait for input?); got:\n${stdout}`);
  child.stdin.destroy();
  assert.equal(code, 1);
  assert.match(stdout, /^ {4}↓ skipped: needs confirmation: run opta doctor --fix --yes, or opta doctor --fix on a terminal$/m);
  assert.match(stdout, /^ {2}needs confirmation {2}daemon-unresponsive: /m);
  assert.match(stdout, /^ {22}next: opta doctor --fix --yes$/m);
  assert.equal(processState(r.pid), 'T', 'the daemon was left exactly as it was (stopped, not signalled)');
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid);
});

test('two --fix runs cannot overlap: the second names the first (pid) and exits 1; a second run in a row has nothing to do and says so', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  process.kill(r.pid, 'SIGSTOP');
  const first = spawn(process.execPath, [OPTA_BIN, 'doctor', '--fix', '--yes'], { env: r.h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out1 = '';
  first.stdout.on('data', (d) => (out1 += d));
  const done = exitCodeWithin(first, 30000, () => `the first doctor --fix --yes to exit; got: ${out1}`);
  await waitUntil(() => fs.existsSync(optaPaths(r.h.optaHome).fixLockFile), 15000, 'the first fix to take its lock');
  const second = await runOpta(r.h, ['doctor', '--fix', '--yes']);
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`^opta: another fix is running in this home: pid ${first.pid} \\(.*doctor --fix --yes\\), since \\S+\\. Wait for it to finish`, 'm'));
  assert.equal(await done, 0, out1);
  assert.ok(!fs.existsSync(optaPaths(r.h.optaHome).fixLockFile), 'the lock is released');
  const daemonDir = snapshot(r.h.paths.daemonDir);
  const again = await runOpta(r.h, ['doctor', '--fix', '--yes']);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /\nNothing to fix: all checks passed\.\n$/);
  assert.doesNotMatch(again.stdout, /Plan:|Fixing:/);
  const after = snapshot(r.h.paths.daemonDir);
  after.delete('daemon.log');
  daemonDir.delete('daemon.log');
  assert.deepEqual(after, daemonDir, 'nothing was touched');
});

test('Ctrl-C during a step: the step finishes, nothing further starts, no re-check; exit 1', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  process.kill(r.pid, 'SIGSTOP');
  const child = spawn(process.execPath, [OPTA_BIN, 'doctor', '--fix', '--yes'], { env: r.h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = exitCodeWithin(child, 30000, () => `doctor --fix --yes to exit after SIGINT; got: ${stdout}${stderr}`);
  // The restart step spends its first 1.5 s finding the stopped daemon unresponsive: the signal lands inside it.
  await waitUntil(() => stdout.includes('Fixing:'), 15000, 'the steps to start');
  child.kill('SIGINT');
  assert.equal(await exit, 1, stdout + stderr);
  assert.match(stderr, /opta: interrupted: the step under way finishes/);
  assert.match(stdout, /^Interrupted \(Ctrl-C\): /m);
  assert.doesNotMatch(stdout, /Re-checking/);
  assert.ok(!fs.existsSync(optaPaths(r.h.optaHome).fixLockFile), 'the lock is released');
});

test('interrupted between two steps: the next step does not start and the done step is rolled back (listr2 test renderer)', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  // Rules are data: a copy of the pipelines where repairing modes is followed by a second step.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-fixes-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of fs.readdirSync(kindById('fixes')!.dir)) fs.copyFileSync(path.join(kindById('fixes')!.dir, f), path.join(dir, f));
  const p = JSON.parse(fs.readFileSync(path.join(dir, 'fix-file-modes.json'), 'utf8'));
  p.steps.push({ action: 'daemon.start', title: 'make sure the daemon runs' });
  fs.writeFileSync(path.join(dir, 'fix-file-modes.json'), JSON.stringify(p));
  fs.chmodSync(r.h.paths.stateFile, 0o640);
  const controller = new AbortController();
  const out = sink((line) => {
    const e = JSON.parse(line);
    if (e.event === 'STATE' && e.data === 'COMPLETED' && /^set 0700/.test(e.task.title)) controller.abort();
  });
  const report = await runFix({
    paths: optaPaths(r.h.optaHome),
    env: r.h.env,
    doctor: { deadlineMs: 5000 },
    yes: false,
    dryRun: false,
    ui: SILENT,
    renderer: 'test',
    color: false,
    stdout: out.stream,
    stderr: out.stream,
    signal: controller.signal,
    fixesDir: dir,
  });
  assert.equal(report.interrupted, true);
  assert.equal(report.exitCode, 1);
  assert.equal(report.after, null);
  const pl = report.plan.pipelines[0];
  assert.deepEqual([pl.status, pl.steps.map((s) => s.status)], ['interrupted', ['done', 'interrupted']]);
  assert.match(pl.steps[0].undone!.message, /restored ~\/\.config\/opta\/daemon\/state\.json to 0640/);
  assert.equal(fs.statSync(r.h.paths.stateFile).mode & 0o777, 0o640, 'the mode change was rolled back');
  const states = out.lines.map((l) => JSON.parse(l)).filter((e) => e.event === 'STATE' && e.task.path.length === 1).map((e) => e.data);
  assert.deepEqual(states, ['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
});

test('after the fix, sessions written by real turns keep every byte (a stopped daemon restarted; no open turn)', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  const sessions = snapshot(r.h.paths.sessionsDir);
  assert.ok([...sessions.keys()].some((k) => k.endsWith('events.jsonl')));
  assert.equal((await runOpta(r.h, ['daemon', 'stop'])).code, 0);
  const fix = await runOpta(r.h, ['doctor', '--fix']);
  assert.equal(fix.code, 0, fix.stdout);
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
  assert.deepEqual([...snapshot(r.h.paths.sessionsDir).keys()], [...sessions.keys()], 'no file added or removed');
});

test('--yes and --dry-run only go with --fix (exit 2)', async (t) => {
  const r = await startRig({ start: false });
  t.after(() => r.cleanup());
  for (const args of [['doctor', '--yes'], ['doctor', '--dry-run']]) {
    const x = await runOpta(r.h, args);
    assert.equal(x.code, 2, args.join(' '));
    assert.match(x.stderr, new RegExp(`^opta: ${esc(args[1])} only goes with --fix`));
  }
});

test('LMX down while the daemon crashed: the daemon is fixed, LMX needs a person (with the command to run), exit 1, no reset offered', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  process.kill(r.pid, 'SIGKILL');
  await waitUntil(() => !alive(r.pid), 5000, 'the daemon to die');
  await r.sim.setConfig({ mode: 'refuse' });
  const fix = await runOpta(r.h, ['doctor', '--fix', '--yes', '--json']);
  assert.equal(fix.code, 1);
  const report = FixReportSchema.parse(JSON.parse(fix.stdout));
  assert.deepEqual(report.rules.map((x) => [x.id, x.outcome, x.next]), [
    ['daemon-stale-state', 'fixed', null],
    ['lmx-connection-refused', 'needs-person', `curl http://127.0.0.1:${r.sim.port}/healthz`],
  ]);
  assert.deepEqual(report.plan.needsPerson.map((n) => n.id), ['lmx-connection-refused']);
  assert.equal(report.reset.offered, false);
  assert.equal(report.after!.checks.find((c) => c.id === 'daemon')!.status, 'ok');
});

test('a typo in config.json while the daemon runs: --fix --yes and opta daemon reset never stop a daemon that could not start again; same pid, log kept, exit 1', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  const cfg = readJson<Record<string, Record<string, unknown>>>(r.h.paths.configFile);
  // A key the daemon does not know: a new daemon refuses to start with this file (the running one read it before).
  cfg.lmx.hots = 'lmx.example';
  fs.writeFileSync(r.h.paths.configFile, JSON.stringify(cfg, null, 2), { mode: 0o600 });
  const log = fs.readFileSync(r.h.paths.logFile);
  const fix = await runOpta(r.h, ['doctor', '--fix', '--yes', '--json'], { timeoutMs: 60000 });
  assert.equal(fix.code, 1, fix.stdout + fix.stderr);
  const report = FixReportSchema.parse(JSON.parse(fix.stdout));
  // The file's daemon.port still says where the daemon runs: a typo in lmx does not put it "on a fallback port".
  assert.deepEqual(report.before!.findings.filter((f) => f.check === 'daemon').map((f) => f.id), [], JSON.stringify(report.before!.findings.map((f) => f.id)));
  assert.ok(alive(r.pid), 'the running daemon was not stopped');
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid);
  assert.ok(fs.readFileSync(r.h.paths.logFile).subarray(0, log.length).equals(log), 'daemon.log was kept');
  for (const p of report.plan.pipelines) {
    assert.ok(p.steps.every((s) => s.status !== 'done'), `${p.id} changed nothing: ${JSON.stringify(p.steps.map((s) => [s.action, s.status, s.message]))}`);
    if (p.steps.some((s) => s.action === 'daemon.restart' || s.action === 'daemon.start')) {
      assert.match(p.error ?? '', /config\.json .*lmx\.hots/, p.id);
    }
  }
  assert.ok(report.rules.every((x) => x.outcome !== 'fixed' && x.outcome !== 'appeared'), JSON.stringify(report.rules));
  assert.notEqual(report.after!.checks.find((c) => c.id === 'daemon')!.status, 'error');

  // state.json deleted as well: asking the running daemon to write it again (SIGHUP) needs no new daemon, so it runs.
  fs.rmSync(r.h.paths.stateFile);
  const rereg = await runOpta(r.h, ['doctor', '--fix', '--yes', '--json'], { timeoutMs: 60000 });
  assert.equal(rereg.code, 1, rereg.stdout + rereg.stderr);
  const again = FixReportSchema.parse(JSON.parse(rereg.stdout));
  assert.deepEqual(again.rules.filter((x) => x.id === 'daemon-orphan').map((x) => x.outcome), ['fixed'], JSON.stringify(again.rules));
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid);

  const reset = await runOpta(r.h, ['daemon', 'reset']);
  assert.equal(reset.code, 1, reset.stdout + reset.stderr);
  assert.match(reset.stderr, /lmx\.hots/);
  assert.doesNotMatch(reset.stdout, /✔/, reset.stdout);
  assert.ok(alive(r.pid), 'reset did not stop the daemon');
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid);
  assert.ok(fs.readFileSync(r.h.paths.logFile).subarray(0, log.length).equals(log), 'daemon.log was kept by reset');
});

test('a file where daemon/ should be: --fix and opta daemon reset name it and the command to move it aside (exit 1), never an internal error; nothing under the home changes', async (t) => {
  const r = await startRig({ start: false });
  t.after(() => r.cleanup());
  fs.writeFileSync(r.h.paths.daemonDir, 'not a directory\n');
  const before = hashTree(r.h.optaHome);
  for (const args of [['doctor', '--fix', '--yes'], ['daemon', 'reset']]) {
    const x = await runOpta(r.h, args);
    assert.equal(x.code, 1, `${args.join(' ')}:\n${x.stdout}\n${x.stderr}`);
    assert.doesNotMatch(x.stderr, /internal error/);
    assert.match(x.stderr, /~\/\.config\/opta\/daemon is a file, not a directory; move it aside: mv ~\/\.config\/opta\/daemon ~\/\.config\/opta\/daemon\.bak/);
    assert.deepEqual(treeChanges(before, hashTree(r.h.optaHome)), [], args.join(' '));
  }
});

test('a disk too full for a new daemon (its reserve given back, then killed): --fix --yes changes nothing, keeps state.json and daemon.log, and says to free space (exit 1)', async (t) => {
  const r = await startRig({ start: false, config: { permissions: { timeoutMs: 120000 } } });
  const fsx = await mountTmpfs(t, { optaHome: r.h.optaHome, cleanup: () => r.cleanup() });
  if (!fsx) return;
  assert.equal((await runOpta(r.h, ['daemon', 'start'])).code, 0);
  const { pid } = readJson<State>(r.h.paths.stateFile);
  r.h.pids.add(pid);
  process.kill(pid, 'SIGKILL');
  await waitUntil(() => !alive(pid), 5000, 'the daemon to die');
  // A daemon gives its reserve back the moment the disk fills; then it was killed.
  fs.rmSync(path.join(r.h.paths.daemonDir, 'space.reserve'));
  fsx.fill(8192);
  const daemonFiles = () => new Map(fs.readdirSync(r.h.paths.daemonDir).filter((f) => f !== 'fix.lock').map((f) => [f, fs.readFileSync(path.join(r.h.paths.daemonDir, f))]));
  const before = daemonFiles();
  const fix = await runOpta(r.h, ['doctor', '--fix', '--yes', '--json'], { timeoutMs: 60000 });
  fsx.unfill();
  assert.equal(fix.code, 1, fix.stdout + fix.stderr);
  const report = FixReportSchema.parse(JSON.parse(fix.stdout));
  assert.deepEqual(daemonFiles(), before, 'state.json and daemon.log kept, nothing set aside or removed');
  assert.deepEqual(report.rules.map((x) => [x.id, x.outcome]), [['daemon-stale-state', 'still-failing'], ['disk-full', 'needs-person']]);
  const stale = report.plan.pipelines.find((p) => p.id === 'fix-stale-state')!;
  assert.match(stale.error ?? '', /only \d+ KiB free .*df -h ~\/\.config\/opta/, JSON.stringify(stale));
  assert.ok(report.plan.pipelines.every((p) => p.steps.every((s) => s.status !== 'done')), JSON.stringify(report.plan.pipelines.map((p) => p.steps.map((s) => [s.action, s.status]))));
  // Reset Everything would fail the same way: not run, and the reason says so.
  assert.equal(report.reset.ran, false);
  assert.match(report.reset.reason ?? '', /^it could not succeed now \(Step 3: Start fresh: .*only \d+ KiB free/);
  assert.ok(!report.plan.pipelines.some((p) => p.id === 'fix-reset'));
});

test('a fix.lock that names this home and a live program that is not opta (a sleep; no start time, as opta always writes one here) is stale: --fix runs and removes it', async (t) => {
  const r = await startRig({ start: false });
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  r.h.pids.add(sleeper.pid!);
  t.after(() => r.cleanup());
  const lock = optaPaths(r.h.optaHome).fixLockFile;
  fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  fs.writeFileSync(lock, JSON.stringify({ pid: sleeper.pid, home: r.h.optaHome, at: new Date().toISOString() }));
  const fix = await runOpta(r.h, ['doctor', '--fix']);
  assert.doesNotMatch(fix.stderr, /another fix is running/);
  assert.equal(fix.code, 0, fix.stdout + fix.stderr);
  assert.ok(!fs.existsSync(lock), 'the stale lock is gone');
  assert.ok(alive(sleeper.pid!), 'the program it named was left alone');
});

test('the same home through a symlink (a dotfiles ~/.config): its running daemon is this home\'s, not "foreign"; --fix --yes never starts a second daemon on the same sessions/', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  const link = path.join(r.h.home, 'opta-link');
  fs.symlinkSync(r.h.optaHome, link);
  const viaLink = { OPTA_HOME: link };
  const doctor = await runOpta(r.h, ['doctor'], { env: viaLink });
  assert.equal(doctor.code, 0, doctor.stdout);
  const fix = await runOpta(r.h, ['doctor', '--fix', '--yes'], { env: viaLink });
  // Whatever it did, it must not have started a daemon: register any it did for clean-up first.
  const daemons = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    const argv = cmdlineOf(pid).split(' ');
    const i = argv.indexOf('--home');
    return argv.includes('--opta-daemon') && i >= 0 && (argv[i + 1] === link || argv[i + 1] === r.h.optaHome) && alive(pid);
  });
  daemons.forEach((pid) => r.h.pids.add(pid));
  assert.equal(fix.code, 0, fix.stdout);
  assert.match(fix.stdout, /^Nothing to fix: all checks passed\.$/m);
  assert.deepEqual(daemons, [r.pid], 'one daemon serves this home');
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid);
  // A fix lock taken through the link holds for a run through the real path too (this test process plays the holder).
  const lock = optaPaths(r.h.optaHome).fixLockFile;
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, start: processStartId(process.pid), home: link, at: new Date().toISOString() }));
  const busy = await runOpta(r.h, ['doctor', '--fix', '--yes']);
  fs.rmSync(lock, { force: true });
  assert.equal(busy.code, 1, busy.stdout + busy.stderr);
  assert.match(busy.stderr, new RegExp(`another fix is running in this home: pid ${process.pid}`));
});

test('a finding replaced by a worse one of its check is not "fixed": with every port taken, --yes runs Reset Everything, whose start fails; the corrupt state is gone but no daemon runs (exit 1)', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  assert.equal((await runOpta(r.h, ['daemon', 'stop'])).code, 0);
  fs.writeFileSync(r.h.paths.stateFile, '{"pid": 4', { mode: 0o600 });
  const holders = await Promise.all([0, 1, 2].map((i) => holdPort(r.port + i, 'node')));
  holders.forEach((x) => r.h.pids.add(x.pid));
  const fix = await runOpta(r.h, ['doctor', '--fix', '--yes', '--json'], { timeoutMs: 60000 });
  assert.equal(fix.code, 1, fix.stdout + fix.stderr);
  const report = FixReportSchema.parse(JSON.parse(fix.stdout));
  assert.equal(report.reset.ran, true);
  assert.equal(report.after!.checks.find((c) => c.id === 'daemon')!.status, 'error');
  const corrupt = report.rules.find((x) => x.id === 'daemon-state-corrupt')!;
  assert.equal(corrupt.outcome, 'still-failing', JSON.stringify(report.rules));
  const now = report.after!.findings.find((f) => f.check === 'daemon' && f.severity === 'error')!;
  assert.equal(corrupt.message, `now: ${now.message}`);
  assert.equal(corrupt.next, now.remediation);
});
