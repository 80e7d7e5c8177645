// npm run demo as CI runs it: every step passes, in order, exit 0, plain output, and nothing it started is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { demoColour } from '../scripts/demo/reporter.js';
import { alive, killAndWait, ROOT } from './helpers/env.js';

/** The demo's expectations, in the order of its story (scripts/demo/story.ts); a step added or lost must show here. */
const STEPS = [
  'start',
  'healthy.doctor',
  'turn.waiting',
  'corrupt-state.doctor',
  'corrupt-state.fix',
  'corrupt-state.after',
  'lmx-down.doctor',
  'lmx-down.fix',
  'lmx-down.after',
  'stuck-permission.doctor',
  'stuck-permission.fix',
  'stuck-permission.fix-yes',
  'stuck-permission.after',
  'kill-9.doctor',
  'kill-9.fix',
  'kill-9.after',
  'foreign-port.doctor',
  'foreign-port.fix',
  'foreign-port.fix-yes',
  'foreign-port.guide',
  'foreign-port.after',
  'bundle',
  'cleanup',
];

/**
 * Live processes whose environment or command line names `dir`. The demo gives every process it starts a HOME under
 * its TMPDIR, which the test points into `dir`, and children inherit it: whatever the demo started and left running,
 * however it was started (the simulator, the port holder, daemons started by opta itself), shows up here.
 */
function processesNaming(dir: string): Array<{ pid: number; cmd: string }> {
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    const read = (f: string) => {
      try {
        return fs.readFileSync(`/proc/${d}/${f}`, 'utf8');
      } catch {
        return '';
      }
    };
    const cmd = read('cmdline').split('\0').join(' ').trim();
    if ((read('environ').includes(dir) || cmd.includes(dir)) && alive(Number(d))) out.push({ pid: Number(d), cmd });
  }
  return out;
}

interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The demo did not end within `limitMs` and was sent SIGTERM. */
  overran: boolean;
}

/** Runs the demo as npm run demo does (after the build); `interruptWhen` sends SIGINT once the output matches it. */
function runDemo(env: NodeJS.ProcessEnv, cwd: string, opts: { interruptWhen?: RegExp; limitMs?: number } = {}): Promise<DemoRun> {
  const { interruptWhen, limitMs = 100_000 } = opts;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'demo.js')], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    let overran = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (interruptWhen && !interrupted && interruptWhen.test(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // SIGTERM, not SIGKILL: the demo then still stops what it started (and the scan below checks that too).
    const timer = setTimeout(() => {
      overran = true;
      child.kill('SIGTERM');
    }, limitMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, overran });
    });
  });
}

/** A throwaway HOME, TMPDIR and working directory for one demo run, and the environment CI gives it. */
function demoDirs(t: { after(fn: () => Promise<void>): void }): { dir: string; home: string; tmp: string; cwd: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-demo-test-'));
  const home = path.join(dir, 'home');
  const tmp = path.join(dir, 'tmp');
  const cwd = path.join(dir, 'cwd');
  for (const d of [home, tmp, cwd]) fs.mkdirSync(d);
  t.after(async () => {
    for (const p of processesNaming(dir)) await killAndWait(p.pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, TMPDIR: tmp, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', TERM: 'dumb', LANG: 'C.UTF-8' };
  return { dir, home, tmp, cwd, env };
}

test('npm run demo (CI=true, NO_COLOR=1, FORCE_COLOR=0, TERM=dumb): every step passes in order, exit 0, plain text, no process left, its home removed', { timeout: 120_000 }, async (t) => {
  const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts.demo ?? '', /^npm run build && node dist\/scripts\/demo\.js$/, 'npm run demo builds, then runs the script this test runs');

  const { dir, home, tmp, cwd, env } = demoDirs(t);
  const res = await runDemo(env, cwd);
  const all = res.stdout + res.stderr;
  assert.equal(res.overran, false, `the demo ends within 100 s\n--- output ---\n${all}`);
  const verdicts = [...res.stdout.matchAll(/^(PASS|FAIL) ([\w.-]+): /gm)].map((m) => `${m[1]} ${m[2]}`);
  const failed = res.stdout.split('\n').filter((l) => l.startsWith('FAIL '));

  assert.deepEqual(failed, [], `failed steps:\n${failed.join('\n')}\n--- output ---\n${all}`);
  assert.deepEqual(verdicts, STEPS.map((s) => `PASS ${s}`), `the steps, in order\n--- output ---\n${all}`);
  assert.equal(res.code, 0, `exit code\n--- output ---\n${all}`);
  assert.match(res.stdout, new RegExp(`^All ${STEPS.length} steps passed in [\\d.]+ s\\.$`, 'm'));
  assert.equal(res.stderr, '', 'nothing on stderr');
  // Plain in CI: no colour, no cursor movement, no carriage-return redraws.
  assert.doesNotMatch(all, /\x1b|\r/, 'no escape sequence or carriage return in CI');

  // Its own throwaway home, under the TMPDIR it was given, and gone now; the HOME it ran with was not touched.
  const demoHome = /throwaway home (\S+):/.exec(res.stdout)?.[1];
  assert.ok(demoHome?.startsWith(tmp + path.sep), `the demo's home (${demoHome}) lies under its TMPDIR`);
  assert.equal(fs.existsSync(demoHome!), false, 'the throwaway home is removed');
  assert.deepEqual(fs.readdirSync(home), [], 'the HOME the demo itself ran with is untouched');
  assert.deepEqual(fs.readdirSync(tmp), [], 'nothing left in its TMPDIR');

  // Every pid the demo reported, and every process that carries its environment, is gone.
  const reported = [...new Set([...all.matchAll(/\(pid (\d+)/g)].map((m) => Number(m[1])))];
  assert.ok(reported.length >= 6, `the demo names the processes it started and stopped (${reported.join(', ')})`);
  const left = processesNaming(dir);
  assert.deepEqual(left, [], 'no process the demo started is left running');
  t.diagnostic(`demo took ${(res.ms / 1000).toFixed(1)} s`);
});

test('Ctrl-C in the middle of the demo (step 5 waiting): the step ends, every process it started is stopped, its home removed, exit 130', { timeout: 60_000 }, async (t) => {
  const { dir, tmp, cwd, env } = demoDirs(t);
  const res = await runDemo(env, cwd, { interruptWhen: /^5\. A permission request hangs$/m, limitMs: 20_000 });
  const all = res.stdout + res.stderr;
  assert.equal(res.overran, false, `the demo ends by itself after Ctrl-C\n--- output ---\n${all}`);
  assert.equal(res.code, 130, `exit code\n--- output ---\n${all}`);
  assert.match(res.stdout, /^SIGINT: stopping the demo and what it started\.\.\.$/m);
  assert.match(res.stdout, /^PASS cleanup: /m, all);
  assert.match(res.stdout, /^Interrupted after \d+ steps \(0 failed\) in [\d.]+ s\.$/m, all);
  assert.doesNotMatch(res.stdout, /^PASS stuck-permission/m, 'the waiting step ended there');
  assert.deepEqual(fs.readdirSync(tmp), [], 'its throwaway home is removed');
  assert.deepEqual(processesNaming(dir), [], 'no process the demo started is left running');
});

test('demo colour: opta\'s own decision (NO_COLOR, FORCE_COLOR, a terminal), and never in CI', () => {
  const cases: Array<[NodeJS.ProcessEnv, boolean, boolean]> = [
    [{ TERM: 'xterm-256color' }, true, true],
    [{ TERM: 'xterm-256color' }, false, false],
    [{ TERM: 'dumb' }, true, false],
    [{ TERM: 'xterm', NO_COLOR: '1' }, true, false],
    [{ TERM: 'xterm', NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
    [{ TERM: 'xterm', FORCE_COLOR: '0' }, true, false],
    [{ TERM: 'xterm', FORCE_COLOR: '1' }, false, true],
    [{ TERM: 'xterm', CI: 'true' }, true, false],
    [{ TERM: 'xterm', CI: '1', FORCE_COLOR: '1' }, true, false],
    [{ TERM: 'xterm', CI: 'false' }, true, true],
    [{ TERM: 'xterm', CI: '' }, true, true],
  ];
  for (const [env, tty, want] of cases) assert.equal(demoColour(env, tty), want, `${JSON.stringify(env)} tty=${tty}`);
});
