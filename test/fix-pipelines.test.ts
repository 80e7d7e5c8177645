// Every fix pipeline on a real broken system: break it as the guide describes, `opta doctor --fix --yes`, then `opta doctor` exits 0 and sessions/ kept its bytes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_RULES_DIR } from '../src/doctor/load-rules.js';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { alive, holdPort, readJson, runOpta, waitUntil } from './helpers/env.js';
import { assertSameBytes, assertSessionsKept, historyCutByKill, historyThenRunning, snapshot } from './helpers/history.js';

interface State {
  pid: number;
  port: number;
  token: string;
}

/** A daemon + LMX simulator whose permission requests wait long enough to be cut off or to get stuck. */
function rig(): Promise<DaemonRig> {
  return startRig({ config: { permissions: { timeoutMs: 120000 } } });
}

/** `opta doctor --fix --yes` (plain output: CI=true, no terminal), then a plain `opta doctor` that must pass. */
async function fixThenHealthy(r: DaemonRig, extra: string[] = []): Promise<{ fix: Awaited<ReturnType<typeof runOpta>> }> {
  const fix = await runOpta(r.h, ['doctor', '--fix', '--yes', ...extra], { timeoutMs: 60000 });
  assert.equal(fix.code, 0, `doctor --fix --yes:\n${fix.stdout}\n${fix.stderr}`);
  assert.match(fix.stdout, /^Fixed and re-verified: .*All checks passed\.$/m, fix.stdout);
  const doctor = await runOpta(r.h, ['doctor']);
  assert.equal(doctor.code, 0, `opta doctor after the fix:\n${doctor.stdout}`);
  assert.match(doctor.stdout, /\n\nAll checks passed\.\n$/);
  return { fix };
}

const daemonLine = (out: string) => out.split('\n').find((l) => l.startsWith('Checking daemon...')) ?? '';

test('fix-stale-state: kill -9 the daemon mid-turn; the stale state is kept aside, a new daemon runs, the cut session only gains the daemon\'s restart note', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyCutByKill(r);
  const staleBytes = fs.readFileSync(r.h.paths.stateFile);
  const sessions = snapshot(r.h.paths.sessionsDir);
  const before = await runOpta(r.h, ['doctor']);
  assert.equal(before.code, 1);
  assert.match(daemonLine(before.stdout), new RegExp(`● stale: .* names pid ${r.pid}, which is not running`));
  const { fix } = await fixThenHealthy(r);
  assert.match(fix.stdout, /^ {2}fixed {15}daemon-stale-state$/m);
  const aside = fs.readdirSync(r.h.paths.daemonDir).filter((f) => f.startsWith('state.json.stale-'));
  assert.equal(aside.length, 1, 'the stale state file is kept, not deleted');
  assert.deepEqual(fs.readFileSync(path.join(r.h.paths.daemonDir, aside[0])), staleBytes);
  const now = readJson<State>(r.h.paths.stateFile);
  assert.notEqual(now.pid, r.pid);
  assert.ok(alive(now.pid));
  assertSessionsKept(sessions, snapshot(r.h.paths.sessionsDir), ['cut']);
  assert.equal(snapshot(r.h.paths.sessionsDir).get(path.join('talk', 'events.jsonl'))!.sha256, sessions.get(path.join('talk', 'events.jsonl'))!.sha256);
});

test('fix-corrupt-state: state.json torn by a power loss while the daemon is down; the corrupt bytes are kept as state.json.corrupt-<time>', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  assert.equal((await runOpta(r.h, ['daemon', 'stop'])).code, 0);
  const torn = Buffer.from(`{"pid": ${r.pid}, "port": ${r.port}, "tok`);
  fs.writeFileSync(r.h.paths.stateFile, torn, { mode: 0o600 });
  const sessions = snapshot(r.h.paths.sessionsDir);
  const { fix } = await fixThenHealthy(r);
  assert.match(fix.stdout, /fixed {15}daemon-state-corrupt/);
  const aside = fs.readdirSync(r.h.paths.daemonDir).filter((f) => f.startsWith('state.json.corrupt-'));
  assert.equal(aside.length, 1);
  assert.deepEqual(fs.readFileSync(path.join(r.h.paths.daemonDir, aside[0])), torn);
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
});

test('fix-corrupt-state while the daemon runs: the same daemon (same pid) writes its state again; nothing is restarted', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  fs.writeFileSync(r.h.paths.stateFile, '', { mode: 0o600 });
  const sessions = snapshot(r.h.paths.sessionsDir);
  await fixThenHealthy(r);
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid, 're-registered, not replaced');
  assert.ok(fs.readdirSync(r.h.paths.daemonDir).some((f) => f.startsWith('state.json.corrupt-')));
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
});

test('fix-reregister-daemon: state.json deleted while the daemon runs; it writes it again, same pid and token', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  fs.rmSync(r.h.paths.stateFile);
  const sessions = snapshot(r.h.paths.sessionsDir);
  const before = await runOpta(r.h, ['doctor']);
  assert.match(daemonLine(before.stdout), /● not registered: a daemon of this home answers on port/);
  const { fix } = await fixThenHealthy(r);
  assert.match(fix.stdout, /fixed {15}daemon-orphan/);
  const now = readJson<State>(r.h.paths.stateFile);
  assert.deepEqual([now.pid, now.token], [r.pid, r.token]);
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
});

test('fix-missing-dirs + fix-start-daemon: daemon/ deleted (with its state and log) after a stop; created 0700 and the daemon started', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  assert.equal((await runOpta(r.h, ['daemon', 'stop'])).code, 0);
  fs.rmSync(r.h.paths.daemonDir, { recursive: true });
  const sessions = snapshot(r.h.paths.sessionsDir);
  const before = await runOpta(r.h, ['doctor']);
  assert.match(before.stdout, /● missing: ~\/\.config\/opta\/daemon$/m);
  const { fix } = await fixThenHealthy(r);
  assert.match(fix.stdout, /fixed {15}daemon-not-running/);
  assert.match(fix.stdout, /fixed {15}permissions-dir-missing/);
  assert.equal(fs.statSync(r.h.paths.daemonDir).mode & 0o777, 0o700);
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
});

test('fix-missing-dirs: sessions/ missing in a fresh home is created empty (the only way the fix ever touches sessions/)', async (t) => {
  const r = await startRig({ start: false });
  t.after(() => r.cleanup());
  assert.ok(!fs.existsSync(r.h.paths.sessionsDir));
  const { fix } = await fixThenHealthy(r);
  assert.match(fix.stdout, /created .*~\/\.config\/opta\/sessions/);
  assert.deepEqual(fs.readdirSync(r.h.paths.sessionsDir), []);
  r.refresh();
});

test('fix-file-modes: loosened modes that matter are repaired; the running daemon and every session byte are untouched', async (t) => {
  const r = await startRig({ config: { permissions: { timeoutMs: 120000 }, lmx: { apiKey: 'k'.repeat(40) } } });
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  fs.chmodSync(r.h.paths.stateFile, 0o644);
  fs.chmodSync(r.h.paths.configFile, 0o644);
  fs.chmodSync(r.h.paths.daemonDir, 0o777);
  const sessions = snapshot(r.h.paths.sessionsDir);
  const before = await runOpta(r.h, ['doctor']);
  assert.equal(before.code, 0, 'loose modes are a warning');
  assert.match(before.stdout, /● loose modes: ~\/\.config\/opta\/daemon is 0777 \(others can write to it\), ~\/\.config\/opta\/daemon\/state\.json is 0644 \(holds the daemon token; others can read it\), ~\/\.config\/opta\/config\.json is 0644 \(holds lmx\.apiKey; others can read it\)$/m);
  const { fix } = await fixThenHealthy(r, ['--strict']);
  assert.match(fix.stdout, /fixed {15}permissions-loose-modes/);
  assert.deepEqual([r.h.paths.daemonDir, r.h.paths.stateFile, r.h.paths.configFile].map((p) => fs.statSync(p).mode & 0o777), [0o700, 0o600, 0o600]);
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid);
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
  assert.ok(!fix.stdout.includes('k'.repeat(40)), 'the api key is never printed');
});

test('fix-restart-daemon: a SIGSTOPped daemon is proven ours, stopped and replaced', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  process.kill(r.pid, 'SIGSTOP');
  const sessions = snapshot(r.h.paths.sessionsDir);
  const { fix } = await fixThenHealthy(r);
  assert.match(fix.stdout, /fixed {15}daemon-unresponsive/);
  assert.match(fix.stdout, new RegExp(`stopped daemon pid ${r.pid}`));
  await waitUntil(() => !alive(r.pid), 5000, 'the stopped daemon to be gone');
  assert.notEqual(readJson<State>(r.h.paths.stateFile).pid, r.pid);
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
});

test('fix-start-daemon: a SIGSTOPped daemon whose state.json was deleted holds the port; it is proven ours by command line and home, stopped, and a new one starts there; a foreign program on a fallback port is left alone', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  process.kill(r.pid, 'SIGSTOP');
  fs.rmSync(r.h.paths.stateFile);
  const foreign = await holdPort(r.port + 1, 'python3');
  r.h.pids.add(foreign.pid);
  const sessions = snapshot(r.h.paths.sessionsDir);
  const plan = await runOpta(r.h, ['doctor', '--fix', '--dry-run']);
  assert.match(plan.stdout, new RegExp(`^ {7}pid ${r.pid} \\(.*--opta-daemon --home ${r.h.optaHome.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): SIGTERM \\(and SIGCONT\\), SIGKILL after 5 s$`, 'm'), plan.stdout);
  assert.match(plan.stdout, new RegExp(`^ {7}left alone: pid ${foreign.pid} \\(\\S*python3 .*\\): holds port ${r.port + 1} and is not this home's Opta daemon \\(python3\\); to stop it yourself: kill ${foreign.pid}$`, 'm'), plan.stdout);
  const { fix } = await fixThenHealthy(r);
  assert.match(fix.stdout, new RegExp(`stopped stray daemon pid ${r.pid}`));
  assert.ok(alive(foreign.pid), 'the foreign program was not signalled');
  const now = readJson<State>(r.h.paths.stateFile);
  assert.equal(now.port, r.port, 'the new daemon has the preferred port back');
  assert.ok(!alive(r.pid));
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
});

test('fix-cancel-stuck-turn: a permission request with no client is cancelled through the daemon; only the daemon appends to that session', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  await historyThenRunning(r);
  const sessions = snapshot(r.h.paths.sessionsDir);
  await r.sim.setConfig({ toolCalls: [{ name: 'list_dir', arguments: { path: r.h.home } }] });
  await r.api('POST', '/v3/sessions', { id: 'stuck' });
  await r.api('POST', '/v3/sessions/stuck/turns', { content: 'list it' });
  // The real threshold is 30 s (fixtures/doctor/permission-stuck); rules are data, so this run uses 300 ms.
  const rules = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-rules-'));
  t.after(() => fs.rmSync(rules, { recursive: true, force: true }));
  for (const f of fs.readdirSync(DEFAULT_RULES_DIR)) fs.copyFileSync(path.join(DEFAULT_RULES_DIR, f), path.join(rules, f));
  const stuck = path.join(rules, 'permissions-request-stuck.json');
  const rule = JSON.parse(fs.readFileSync(stuck, 'utf8'));
  rule.conditions.all[0].value = 300;
  fs.writeFileSync(stuck, JSON.stringify(rule));
  await waitUntil(async () => (await r.api('GET', '/v3/permissions?state=pending')).body.permissions.some((p: { ageMs: number }) => p.ageMs > 400), 10000, 'a request pending 400 ms');
  await r.sim.setConfig({ toolCalls: [] });
  const { fix } = await fixThenHealthy(r, ['--rules', rules]);
  assert.match(fix.stdout, /fixed {15}permissions-request-stuck/);
  assert.match(fix.stdout, /cancelled the turns of session stuck \(1 turn\(s\)/);
  assert.deepEqual((await r.api('GET', '/v3/permissions?state=pending')).body.permissions, []);
  const events = (await r.api('GET', '/v3/sessions/stuck/events?afterSeq=0')).body.events.map((e: { event: string }) => e.event);
  assert.ok(events.includes('session.cancelled'), events.join(' '));
  assertSameBytes(sessions, snapshot(r.h.paths.sessionsDir), 'sessions/');
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid, 'the daemon kept running');
});

test('fix-config-value: an invalid value is reset to its default, the old file kept as config.json.bak-<time>', async (t) => {
  const r = await rig();
  t.after(() => r.cleanup());
  const cfg = JSON.parse(fs.readFileSync(r.h.paths.configFile, 'utf8'));
  cfg.lmx.timeoutMs = 5;
  const bad = JSON.stringify(cfg, null, 2);
  fs.writeFileSync(r.h.paths.configFile, bad, { mode: 0o600 });
  const before = await runOpta(r.h, ['doctor']);
  assert.match(before.stdout, /● invalid: lmx\.timeoutMs: /);
  const { fix } = await fixThenHealthy(r);
  assert.match(fix.stdout, /fixed {15}config-bad-value/);
  const backups = fs.readdirSync(r.h.optaHome).filter((f) => f.startsWith('config.json.bak-'));
  assert.equal(backups.length, 1);
  assert.equal(fs.readFileSync(path.join(r.h.optaHome, backups[0]), 'utf8'), bad);
  assert.equal(fs.statSync(path.join(r.h.optaHome, backups[0])).mode & 0o777, 0o600);
  const now = JSON.parse(fs.readFileSync(r.h.paths.configFile, 'utf8'));
  assert.equal(now.lmx.timeoutMs, undefined, 'unset: the default applies');
  assert.deepEqual([now.lmx.host, now.lmx.port, now.daemon], [cfg.lmx.host, cfg.lmx.port, cfg.daemon], 'every other setting kept');
});
