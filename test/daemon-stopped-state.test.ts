// A clean stop leaves state.json as a stopped record: the guide's Reset Everything runs verbatim, every reader says "not running", a reused pid is never the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { alive, daemonConfig, daemonPidsOfHome, freePortBlock, hashTree, makeHome, readJson, runOpta, treeChanges, waitUntil, OPTA_BIN, type TestHome } from './helpers/env.js';
import { childEnd } from './helpers/wait.js';

interface Running { pid: number; port: number; token: string; daemonId: string; startedAt: string }
interface Stopped { status: string; pid: number; port: number; daemonId: string; startedAt: string; stoppedAt: string; how: string; token?: string }

const STOPPED_LINE = /^Daemon: not running \(stopped cleanly at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\)$/m;

async function home(viaDefault = false): Promise<TestHome> {
  const port = await freePortBlock(3);
  return makeHome({ viaDefault, config: daemonConfig(port, 2) });
}

/** A command line as a person pastes it into a shell (`~` expanded by the shell from HOME), its exit code and output. */
async function shell(h: TestHome, line: string): Promise<{ code: number | null; out: string; err: string }> {
  const c = spawn('sh', ['-c', line], { env: h.env, cwd: h.home });
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const { code } = await childEnd(c, 30000, () => `\`${line}\` to finish; got: ${out}${err}`, 'close');
  return { code, out, err };
}

test("the guide's Reset Everything, verbatim in a throwaway HOME: each step exits 0, step 2 prints nothing, sessions/ unchanged", async (t) => {
  const h = await home(true);
  t.after(() => h.cleanup());
  assert.equal((await runOpta(h, ['daemon', 'start'])).code, 0);
  const first = readJson<Running>(h.paths.stateFile);
  fs.mkdirSync(path.join(h.paths.sessionsDir, 's1'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(h.paths.sessionsDir, 's1', 'events.jsonl'), '{"seq":1}\n', { mode: 0o600 });
  fs.writeFileSync(path.join(h.paths.sessionsDir, 'binary.bin'), Buffer.from([0, 1, 2, 255]));
  const before = hashTree(h.paths.sessionsDir);

  const step1 = await shell(h, `${JSON.stringify(process.execPath)} ${JSON.stringify(OPTA_BIN)} daemon stop`);
  assert.equal(step1.code, 0, step1.out + step1.err);
  assert.ok(!alive(first.pid));
  const stopped = readJson<Stopped>(h.paths.stateFile);
  assert.equal(stopped.status, 'stopped');
  assert.equal(stopped.pid, first.pid, 'the pid it had');
  assert.equal(stopped.token, undefined, 'no token once nothing can use it');
  assert.equal(fs.statSync(h.paths.stateFile).mode & 0o777, 0o600);

  const step2 = await shell(h, 'rm ~/.config/opta/daemon/state.json ~/.config/opta/daemon/daemon.log');
  assert.equal(step2.code, 0, step2.err);
  assert.equal(step2.out + step2.err, '', 'step 2 prints nothing');
  assert.ok(!fs.existsSync(h.paths.stateFile) && !fs.existsSync(h.paths.logFile));

  const step3 = await shell(h, `${JSON.stringify(process.execPath)} ${JSON.stringify(OPTA_BIN)} daemon start`);
  assert.equal(step3.code, 0, step3.out + step3.err);
  assert.match(step3.out, /^Daemon started \(pid \d+, port \d+\)\.$/m);
  assert.doesNotMatch(step3.out, /note:/, 'a fresh start: nothing to clean up');
  const now = readJson<Running>(h.paths.stateFile);
  assert.notEqual(now.pid, first.pid);
  assert.notEqual(now.token, first.token);
  assert.deepEqual(daemonPidsOfHome(h.optaHome), [now.pid]);
  assert.deepEqual(treeChanges(before, hashTree(h.paths.sessionsDir)), [], 'sessions/ unchanged byte for byte');
});

test('status after a clean stop: "not running (stopped cleanly at ...)", exit 1; after kill -9: "stale"; start over a stopped record just starts', async (t) => {
  const h = await home();
  t.after(() => h.cleanup());
  assert.equal((await runOpta(h, ['daemon', 'start'])).code, 0);
  const first = readJson<Running>(h.paths.stateFile);
  const t0 = Date.now();
  assert.equal((await runOpta(h, ['daemon', 'stop'])).code, 0);
  const st = await runOpta(h, ['daemon', 'status']);
  assert.equal(st.code, 1, 'not running: exit 1');
  const m = STOPPED_LINE.exec(st.stdout);
  assert.ok(m, st.stdout);
  assert.ok(Date.parse(m[1]) >= t0 - 1000 && Date.parse(m[1]) <= Date.now(), `the stop time: ${m[1]}`);
  assert.match(st.stdout, /next: {5}Start it: opta daemon start/);
  assert.doesNotMatch(st.stdout, /stale|crash/i);
  const json = JSON.parse((await runOpta(h, ['daemon', 'status', '--json'])).stdout) as { status: string; pid?: number; stopped: Stopped };
  assert.equal(json.status, 'not-running');
  assert.equal(json.pid, undefined, 'a stopped record names no live pid');
  assert.equal(json.stopped.pid, first.pid);
  assert.equal(json.stopped.how, 'clean');

  // The support bundle shows the same, and support analyze replays it offline as daemon-not-running with the time.
  const bundle = path.join(h.home, 'bundle.txt');
  assert.equal((await runOpta(h, ['support', 'bundle', '--out', bundle], { timeoutMs: 30000 })).code, 0);
  const text = fs.readFileSync(bundle, 'utf8');
  assert.match(text, new RegExp(`^Daemon: not running \\(stopped cleanly at ${m[1].replace(/[.]/g, '\\.')}\\)$`, 'm'));
  const analyzed = await runOpta(h, ['support', 'analyze', bundle], { timeoutMs: 20000 });
  assert.match(analyzed.stdout, new RegExp(`^Checking daemon\\.\\.\\. +● not running \\(stopped cleanly at ${m[1].replace(/[.]/g, '\\.')}; state file `, 'm'), analyzed.stdout);
  assert.doesNotMatch(analyzed.stdout + text, /Daemon: stale|● stale|removed stale state/);

  // The guardian over a stopped record: no stale-state clean-up, no crash note, just a start.
  const start = await runOpta(h, ['daemon', 'start']);
  assert.equal(start.code, 0, start.stderr);
  assert.equal(start.stdout.trim().split('\n').length, 1, start.stdout);
  assert.match(start.stdout, /^Daemon started/);
  const second = readJson<Running>(h.paths.stateFile);
  assert.match(second.token, /^[0-9a-f]{64}$/);

  process.kill(second.pid, 'SIGKILL');
  await waitUntil(() => !alive(second.pid), 5000, 'daemon to die after kill -9');
  const crashed = await runOpta(h, ['daemon', 'status']);
  assert.equal(crashed.code, 1);
  assert.match(crashed.stdout, new RegExp(`^Daemon: stale \\(state.json names pid ${second.pid}, which is not running\\)`, 'm'));
});

test('a stopped record whose pid now belongs to another live process: status, guardian, doctor and --fix never signal it or call it the daemon', async (t) => {
  const h = await home();
  const other = spawn('sleep', ['300'], { stdio: 'ignore' });
  h.pids.add(other.pid!);
  t.after(() => h.cleanup());
  assert.equal((await runOpta(h, ['daemon', 'start'])).code, 0);
  assert.equal((await runOpta(h, ['daemon', 'stop'])).code, 0);
  // The old daemon's pid, reused: the stopped record now names a live process that is not opta.
  const rec = readJson<Stopped>(h.paths.stateFile);
  fs.writeFileSync(h.paths.stateFile, JSON.stringify({ ...rec, pid: other.pid }, null, 2), { mode: 0o600 });
  const saysItIsTheDaemon = new RegExp(`\\b${other.pid}\\b|foreign|sleep`);

  const st = await runOpta(h, ['daemon', 'status']);
  assert.equal(st.code, 1);
  assert.match(st.stdout, STOPPED_LINE);
  assert.doesNotMatch(st.stdout, saysItIsTheDaemon, st.stdout);

  const doc = await runOpta(h, ['doctor', '--json', '--only', 'daemon']);
  const report = JSON.parse(doc.stdout) as { findings: Array<{ id: string; message: string; evidence: Array<{ path: string | null; factResult: unknown }> }> };
  assert.deepEqual(report.findings.map((f) => f.id), ['daemon-not-running'], doc.stdout);
  const f = report.findings[0];
  assert.match(f.message, new RegExp(`^not running \\(stopped cleanly at ${rec.stoppedAt.replace(/[.]/g, '\\.')}; state file `), f.message);
  assert.doesNotMatch(f.message, saysItIsTheDaemon);
  assert.ok(f.evidence.some((e) => typeof e.factResult === 'string' && e.factResult.includes(rec.stoppedAt)), `the stop time is in the evidence: ${JSON.stringify(f.evidence)}`);
  const text = await runOpta(h, ['doctor', '--only', 'daemon']);
  assert.doesNotMatch(text.stdout, saysItIsTheDaemon, text.stdout);
  assert.ok(alive(other.pid!), 'status and doctor never signalled it');

  // --fix starts a daemon (fix-start-daemon) and leaves the other process alone.
  const fix = await runOpta(h, ['doctor', '--fix', '--yes', '--ci', '--only', 'daemon'], { timeoutMs: 60000 });
  assert.doesNotMatch(fix.stdout, saysItIsTheDaemon, fix.stdout);
  assert.ok(alive(other.pid!), '--fix never signalled it');
  const fixed = readJson<Running>(h.paths.stateFile);
  assert.ok(fixed.token && fixed.pid !== other.pid, 'a new daemon runs');
  assert.deepEqual(daemonPidsOfHome(h.optaHome), [fixed.pid]);

  // The guardian (a session command) over the same stopped record: starts a daemon, signals nothing else.
  assert.equal((await runOpta(h, ['daemon', 'stop'])).code, 0);
  fs.writeFileSync(h.paths.stateFile, JSON.stringify({ ...readJson<Stopped>(h.paths.stateFile), pid: other.pid }, null, 2), { mode: 0o600 });
  const list = await runOpta(h, ['sessions', 'list']);
  assert.equal(list.code, 0, list.stdout + list.stderr);
  assert.doesNotMatch(list.stdout + list.stderr, saysItIsTheDaemon);
  assert.ok(alive(other.pid!), 'the guardian never signalled it');
  const guarded = readJson<Running>(h.paths.stateFile);
  assert.notEqual(guarded.pid, other.pid);
  assert.deepEqual(daemonPidsOfHome(h.optaHome), [guarded.pid]);

  // And a stop with the stopped record in place has nothing to stop and signals nothing.
  assert.equal((await runOpta(h, ['daemon', 'stop'])).code, 0);
  fs.writeFileSync(h.paths.stateFile, JSON.stringify({ ...readJson<Stopped>(h.paths.stateFile), pid: other.pid }, null, 2), { mode: 0o600 });
  const again = await runOpta(h, ['daemon', 'stop']);
  assert.equal(again.code, 0);
  assert.equal(again.stdout.trim(), 'Daemon is not running.');
  assert.ok(alive(other.pid!));
});

test('a daemon opta daemon stop had to kill (hung: SIGSTOP) is recorded as killed, not as a clean stop, and not as stale', async (t) => {
  const h = await home();
  t.after(() => h.cleanup());
  assert.equal((await runOpta(h, ['daemon', 'start'])).code, 0);
  const s = readJson<Running>(h.paths.stateFile);
  process.kill(s.pid, 'SIGSTOP');
  const stop = await runOpta(h, ['daemon', 'stop'], { timeoutMs: 30000 });
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /killed/);
  const rec = readJson<Stopped>(h.paths.stateFile);
  assert.deepEqual([rec.status, rec.pid, rec.how, rec.token], ['stopped', s.pid, 'killed', undefined]);
  const st = await runOpta(h, ['daemon', 'status']);
  assert.equal(st.code, 1);
  assert.match(st.stdout, /^Daemon: not running \(stopped at \S+: opta daemon stop killed it after the grace period\)$/m);
});
