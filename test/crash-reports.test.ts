// Crash reports: a daemon that died without stopping leaves one report (identity, last words, its log, redacted), bounded, named by the doctor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { alive, daemonConfig, freePortBlock, makeHome, readJson, runOpta, waitUntil, type TestHome } from './helpers/env.js';
import { crashDir, listCrashReports, MAX_CRASH_BYTES, MAX_CRASH_REPORTS, NO_LAST_WORDS } from '../src/core/crash-reports.js';
import { boundFacts, pruneCrashReports } from '../src/daemon/lifecycle/crash-report.js';

interface State { pid: number; port: number; token: string; daemonId: string }

async function home(): Promise<TestHome> {
  const port = await freePortBlock(3);
  return makeHome({ config: daemonConfig(port, 2, { lmx: { apiKey: PLANTED_KEY } }) });
}

async function started(h: TestHome, env: NodeJS.ProcessEnv = {}): Promise<State> {
  const r = await runOpta(h, ['daemon', 'start'], { env });
  assert.equal(r.code, 0, `daemon start failed: ${r.stdout}${r.stderr}`);
  return readJson<State>(h.paths.stateFile);
}

function reports(h: TestHome): string[] {
  return listCrashReports(h.optaHome).map((e) => e.file);
}

const PLANTED = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
/** A secret of config.json (lmx.apiKey): the doctor's facts and the config section must not show it. */
const PLANTED_KEY = 'lmx-key-' + 'Zq81Xw72Cv63Bn54Mm45';

/** The report's section of the doctor's facts, parsed (it is JSON). */
function factsOf(text: string): Record<string, any> {
  const i = text.indexOf("--- the doctor's facts");
  assert.ok(i >= 0, `a facts section: ${text.slice(0, 400)}`);
  const body = text.slice(text.indexOf('\n', i) + 1);
  return JSON.parse(body.slice(0, body.lastIndexOf('}') + 1));
}

test('kill -9, then a session command: the guardian restarts the daemon and keeps one redacted report with no last words; the doctor names it', async (t) => {
  const h = await home();
  t.after(() => h.cleanup());
  const first = await started(h);
  process.kill(first.pid, 'SIGKILL');
  await waitUntil(() => !alive(first.pid), 5000, 'daemon to die');
  // What the dead run's log might hold: its own token, and a secret-shaped value.
  fs.appendFileSync(h.paths.logFile, `[10:00:00] INFO  debug dump github=${PLANTED}\n[10:00:01] INFO  echo ${first.token} (bare: no shape knows it)\n`);

  const r = await runOpta(h, ['sessions', 'list']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const now = readJson<State>(h.paths.stateFile);
  assert.notEqual(now.pid, first.pid, 'the guardian started a new daemon');
  const files = reports(h);
  assert.equal(files.length, 1, `one report: ${files.join(', ')}`);
  assert.equal(r.stderr.split('\n').filter((l) => /crash report was kept/.test(l)).length, 1, `one line on stderr: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`pid ${first.pid}\\b.*${path.basename(files[0]).replace(/[.]/g, '\\.')}`));
  const text = fs.readFileSync(files[0], 'utf8');
  assert.equal(fs.statSync(files[0]).mode & 0o777, 0o600);
  assert.match(text, new RegExp(`^cause: ${NO_LAST_WORDS}$`, 'm'));
  assert.match(text, new RegExp(`^pid: ${first.pid}$`, 'm'));
  assert.match(text, new RegExp(`^daemon id: ${first.daemonId}$`, 'm'));
  assert.match(text, /^started at: \S+$/m);
  assert.match(text, /^last seen: \S+$/m);
  assert.match(text, /daemon started on /, "the run's log from its start line");
  assert.ok(!text.includes(first.token), 'the dead run\'s token is redacted');
  assert.ok(!text.includes(PLANTED), 'a secret-shaped value is redacted');
  assert.match(text, /debug dump github=\[REDACTED:github-token-\d+\]/);
  assert.ok(!text.includes(PLANTED_KEY), 'a secret of config.json is redacted');
  // The doctor's facts at that moment (after the new daemon serves: the guardian does not wait for them).
  const facts = factsOf(text);
  assert.equal(facts.daemon?.status, 'running', JSON.stringify(facts.daemon));
  assert.equal(facts.daemon?.pid, now.pid);
  assert.ok(facts.lmx, 'every fact, not only the daemon\'s');
  assert.match(text, /echo \[REDACTED:daemon-token-\d+\] \(bare/);

  const d = await runOpta(h, ['doctor']);
  assert.match(d.stdout, /the daemon crashed 1 time\(s\) in the last 24 hours; last cause: no last words: killed or lost power; report: \S+crash-\S+\.txt/, d.stdout);
  assert.ok(d.stdout.includes(path.basename(files[0])), d.stdout);

  const out = path.join(h.home, 'bundle.txt');
  const b = await runOpta(h, ['support', 'bundle', '--out', out], { timeoutMs: 60000 });
  assert.ok(b.code === 0 || b.code === 1, b.stdout + b.stderr);
  const bundle = fs.readFileSync(out, 'utf8');
  const section = bundle.split(/^## /m).find((s) => s.startsWith('crash reports'));
  assert.ok(section, 'the bundle has a crash reports section');
  assert.ok(section.includes(path.basename(files[0])), section);
  assert.match(section, new RegExp(`cause: ${NO_LAST_WORDS}`));
  assert.ok(!bundle.includes(PLANTED), 'the bundle is redacted');
  // (The bare token planted in daemon.log is known only to the crash report's redactor: the bundle's log section, not
  // this feature's, would show it; a real daemon never writes its own token to its log.)
  assert.ok(!section.includes(first.token), 'the crash section is redacted');
});

test('a daemon that throws an uncaught error leaves a report whose cause is that error', async (t) => {
  const h = await home();
  t.after(() => h.cleanup());
  const hooks = { OPTA_TEST_HOOKS: '1', OPTA_TEST_CRASH_AFTER_MS: '150', OPTA_TEST_CRASH_MESSAGE: 'boom-7f3a' };
  const first = await started(h, hooks);
  await waitUntil(() => !alive(first.pid), 10000, 'daemon to crash');
  const r = await runOpta(h, ['daemon', 'start']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const files = reports(h);
  assert.equal(files.length, 1);
  const text = fs.readFileSync(files[0], 'utf8');
  assert.match(text, /^cause: uncaught error: test crash hook: boom-7f3a$/m);
  assert.match(text, /^found by: opta daemon start$/m);
  assert.match(r.stderr, /had died \(uncaught error: test crash hook: boom-7f3a\); a crash report was kept/);
  // The same dead run is reported once, and a clean stop is not a crash.
  const again = await runOpta(h, ['daemon', 'stop']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  await runOpta(h, ['daemon', 'start']);
  assert.equal(reports(h).length, 1, 'a stopped record is not a crash');
});

test('the test crash hook is inert without OPTA_TEST_HOOKS=1', async (t) => {
  const h = await home();
  t.after(() => h.cleanup());
  const s = await started(h, { OPTA_TEST_CRASH_AFTER_MS: '50' });
  const st = await runOpta(h, ['daemon', 'status']);
  await waitUntil(async () => (await runOpta(h, ['daemon', 'status'])).code === 0, 5000, 'status running');
  assert.equal(st.code, 0);
  assert.ok(alive(s.pid));
});

test('a crash loop keeps at most the bound of reports, oldest dropped first', async (t) => {
  const h = await home();
  t.after(() => h.cleanup());
  const hooks = { OPTA_TEST_HOOKS: '1', OPTA_TEST_CRASH_AFTER_MS: '50' };
  const pids: number[] = [];
  for (let i = 0; i < MAX_CRASH_REPORTS + 2; i++) {
    const s = await started(h, hooks);
    pids.push(s.pid);
    await waitUntil(() => !alive(s.pid), 10000, `daemon ${i} to crash`);
  }
  await started(h);
  const kept = listCrashReports(h.optaHome);
  assert.equal(kept.length, MAX_CRASH_REPORTS);
  assert.ok(kept.reduce((n, e) => n + e.bytes, 0) <= MAX_CRASH_BYTES);
  // The newest runs stay; the two oldest were dropped.
  assert.deepEqual(kept.map((e) => e.pid).sort(), pids.slice(2).sort());
});

test('pruning drops the oldest reports until both the count and the bytes fit', (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const dir = crashDir(h.optaHome);
  fs.mkdirSync(dir, { recursive: true });
  // Named by each run's start and pid; ordered by when the run was last seen (the file's time), not by the name.
  for (let i = 0; i < 5; i++) {
    const f = path.join(dir, `crash-2026010${5 - i}T000000000Z-${100 + i}.txt`);
    fs.writeFileSync(f, 'x'.repeat(1000));
    fs.utimesSync(f, new Date(Date.UTC(2026, 1, 1 + i)), new Date(Date.UTC(2026, 1, 1 + i)));
  }
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a report');
  pruneCrashReports(h.optaHome, 4, 2500);
  assert.deepEqual(listCrashReports(h.optaHome).map((e) => e.pid), [103, 104]);
  assert.ok(fs.existsSync(path.join(dir, 'notes.txt')), 'a file that is not a report is left alone');
  pruneCrashReports(h.optaHome, 1, 1_000_000);
  assert.deepEqual(listCrashReports(h.optaHome).map((e) => e.pid), [104]);
});

test('daemon status finds the dead run first: it keeps the report (read-only otherwise); the guardian and doctor --fix after it keep no second one', async (t) => {
  const h = await home();
  t.after(() => h.cleanup());
  const first = await started(h);
  process.kill(first.pid, 'SIGKILL');
  await waitUntil(() => !alive(first.pid), 5000, 'daemon to die');
  const stateBytes = fs.readFileSync(h.paths.stateFile);
  const daemonDirBefore = fs.readdirSync(h.paths.daemonDir).filter((f) => f !== 'crashes').sort();

  const st = await runOpta(h, ['daemon', 'status']);
  assert.equal(st.code, 1, st.stdout + st.stderr);
  assert.match(st.stdout, new RegExp(`^Daemon: stale \\(state.json names pid ${first.pid}, which is not running\\)$`, 'm'));
  const files = reports(h);
  assert.equal(files.length, 1, 'daemon status kept the report');
  assert.match(st.stderr, new RegExp(`^opta: the daemon \\(pid ${first.pid}\\) had died \\(${NO_LAST_WORDS}\\); a crash report was kept: \\S+${path.basename(files[0]).replace(/[.]/g, '\\.')}$`, 'm'));
  const text = fs.readFileSync(files[0], 'utf8');
  assert.match(text, /^found by: opta daemon status$/m);
  assert.equal(fs.statSync(files[0]).mode & 0o777, 0o600);
  assert.ok(!text.includes(first.token) && !text.includes(PLANTED_KEY), 'redacted');
  // The facts at that moment: the daemon is the dead one.
  assert.equal(factsOf(text).daemon?.status, 'stale');
  // Read-only for what it reports: the state file is where it was, byte for byte, and nothing else in daemon/ moved.
  assert.deepEqual(fs.readFileSync(h.paths.stateFile), stateBytes);
  assert.deepEqual(fs.readdirSync(h.paths.daemonDir).filter((f) => f !== 'crashes').sort(), daemonDirBefore);

  const again = await runOpta(h, ['daemon', 'status']);
  assert.equal(again.code, 1);
  assert.doesNotMatch(again.stderr, /crash report/, again.stderr);
  const g = await runOpta(h, ['sessions', 'list']);
  assert.equal(g.code, 0, g.stdout + g.stderr);
  assert.doesNotMatch(g.stderr, /crash report was kept/, 'the guardian keeps no second report of the same run');
  assert.deepEqual(reports(h), files, 'one dead run, one report');
  assert.equal(fs.readFileSync(files[0], 'utf8'), text, 'the report is not rewritten');
});

test('doctor --fix keeps the report of the dead run before its pipeline sets the stale state aside, with the facts of its first doctor run', async (t) => {
  const h = await home();
  t.after(() => h.cleanup());
  const first = await started(h);
  process.kill(first.pid, 'SIGKILL');
  await waitUntil(() => !alive(first.pid), 5000, 'daemon to die');
  const fix = await runOpta(h, ['doctor', '--fix'], { timeoutMs: 60000 });
  // (This home has no LMX: that finding needs a person, so the exit is 1; the daemon's is fixed.)
  assert.match(fix.stdout, /^ {2}fixed {15}daemon-stale-state$/m, fix.stdout + fix.stderr);
  assert.doesNotMatch(fix.stdout, /appeared/, 'the report it kept is news (the fresh report shows it), not an outcome of the fix');
  assert.match(fix.stdout, /Re-checking on fresh facts:[\s\S]*Checking crashes\.\.\. +● the daemon crashed 1 time\(s\)/);
  const files = reports(h);
  assert.equal(files.length, 1, fix.stdout);
  const text = fs.readFileSync(files[0], 'utf8');
  assert.match(text, /^found by: opta doctor --fix$/m);
  assert.match(text, new RegExp(`^pid: ${first.pid}$`, 'm'));
  assert.match(text, new RegExp(`^cause: ${NO_LAST_WORDS}$`, 'm'));
  assert.ok(!text.includes(first.token) && !text.includes(PLANTED_KEY), 'redacted');
  // The facts are the first doctor run's: the daemon as --fix found it, dead.
  const facts = factsOf(text);
  assert.equal(facts.daemon?.status, 'stale');
  assert.equal(facts.daemon?.pid, first.pid);
  // Kept before the set-aside: said before "Fixing:", and found before the stale file's move.
  const said = fix.stdout.indexOf(`The daemon (pid ${first.pid}) had died (${NO_LAST_WORDS}); a crash report was kept: `);
  assert.ok(said >= 0 && said < fix.stdout.indexOf('Fixing:\n'), fix.stdout);
  const aside = fs.readdirSync(h.paths.daemonDir).find((f) => f.startsWith('state.json.stale-'));
  assert.ok(aside, 'the stale state file was set aside');
  const foundAt = Date.parse(/^found dead at: (\S+)$/m.exec(text)![1]);
  assert.ok(foundAt <= fs.statSync(path.join(h.paths.daemonDir, aside)).ctimeMs + 1, 'found before the move');
  // A later finder of the same run writes nothing: the state is set aside, and the report stands.
  await runOpta(h, ['daemon', 'status']);
  assert.deepEqual(reports(h), files);
});

test('the doctor facts in a report are bounded: the largest facts are left out, named with their size, until the JSON fits', () => {
  const facts = { daemon: { status: 'stale', pid: 42 }, 'daemon-log-analysis': { lines: 'x'.repeat(60_000) }, lmx: { detail: 'y'.repeat(30_000) } };
  const all = boundFacts(facts, 1_000_000);
  assert.equal(all.note, '');
  assert.deepEqual(JSON.parse(all.text), facts);
  const b = boundFacts(facts, 40_000);
  assert.ok(Buffer.byteLength(b.text) <= 40_000, `${Buffer.byteLength(b.text)} bytes`);
  const kept = JSON.parse(b.text);
  assert.deepEqual(kept.daemon, facts.daemon, 'the small facts stay whole');
  assert.deepEqual(kept.lmx, facts.lmx, 'only as many as needed are left out');
  assert.match(kept['daemon-log-analysis'], /^\(left out: \d+ bytes\)$/);
  assert.match(b.note, /left out to stay within 40000 bytes: daemon-log-analysis \(\d+ bytes\)$/);
});
