// What `opta doctor --fix` prints: plain lines with CI=true, only JSON with --json, one colour decision, and on a real terminal (pty) listr2 plus one question.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { FixReportSchema } from '../src/fix/report-schema.js';
import { startRig, type DaemonRig } from './helpers/daemon.js';
import { alive, OPTA_BIN, readJson, runOpta, waitUntil } from './helpers/env.js';
import { timeoutMessage } from './helpers/wait.js';

interface State {
  pid: number;
  port: number;
  token: string;
}

async function killDaemon(r: DaemonRig): Promise<void> {
  process.kill(r.pid, 'SIGKILL');
  await waitUntil(() => !alive(r.pid), 5000, 'the daemon to die');
}

/** Runs opta under a real pseudo-terminal (python3's pty), answering `answer` when it asks; returns what the terminal showed. */
function onTerminal(env: NodeJS.ProcessEnv, args: string[], answer?: string): Promise<{ code: number | null; screen: string }> {
  const script = [
    'import fcntl, os, pty, select, struct, sys, termios',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    '    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))',
    '    os.execv(sys.argv[1], sys.argv[1:])',
    'out = b""; sent = False; answer = os.environ.get("PTY_ANSWER")',
    'while True:',
    '    r, _, _ = select.select([fd], [], [], 30)',
    '    if not r: break',
    '    try: data = os.read(fd, 65536)',
    '    except OSError: break',
    '    if not data: break',
    '    out += data',
    '    if answer is not None and not sent and b"[y/N] " in out:',
    '        os.write(fd, (answer + "\\n").encode()); sent = True',
    '_, status = os.waitpid(pid, 0)',
    'sys.stdout.buffer.write(out)',
    'sys.exit(os.waitstatus_to_exitcode(status))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script, process.execPath, OPTA_BIN, ...args], {
      env: { ...env, ...(answer !== undefined ? { PTY_ANSWER: answer } : {}) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let screen = '';
    child.stdout.on('data', (d) => (screen += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(timeoutMessage(60000, `opta ${args.join(' ')} on a terminal to finish (killed); the terminal showed:\n${screen}`)));
    }, 60000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, screen: screen.replace(/\r\n/g, '\n') });
    });
  });
}

/** A person's terminal: no CI, a real TERM, colour off unless asked. */
function terminalEnv(r: DaemonRig, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...r.h.env, TERM: 'xterm-256color', NO_COLOR: '1', FORCE_COLOR: '', ...extra };
  delete env.CI;
  // An unset variable, not an empty one: colorette (listr2's colours) treats NO_COLOR="" as set.
  for (const k of ['NO_COLOR', 'FORCE_COLOR']) if (env[k] === undefined || env[k] === '') delete env[k];
  return env;
}

const SGR_COLOUR = /\x1b\[(3[0-9]|9[0-7])m/;

test('CI=true: plain lines, one per pipeline and per step, in the order things happen', async (t) => {
  const r = await startRig();
  t.after(() => r.cleanup());
  await killDaemon(r);
  const fix = await runOpta(r.h, ['doctor', '--fix']);
  assert.equal(fix.code, 0, fix.stdout);
  const now = readJson<State>(r.h.paths.stateFile);
  const aside = fs.readdirSync(r.h.paths.daemonDir).find((f) => f.startsWith('state.json.stale-'))!;
  const block = fix.stdout.slice(fix.stdout.indexOf('Fixing:\n'), fix.stdout.indexOf('\nRe-checking on fresh facts:'));
  assert.equal(
    block,
    [
      'Fixing:',
      '  fix-stale-state: Set the stale state file aside and start a new daemon',
      `    ✔ set the stale state.json aside (kept as state.json.stale-<time>): moved ~/.config/opta/daemon/state.json to ~/.config/opta/daemon/${aside}`,
      `    ✔ start the daemon with a fresh token: started daemon (pid ${now.pid}, port ${now.port})`,
      '',
    ].join('\n'),
  );
  // Before the set-aside, --fix kept the dead run's crash report (issue 24): one line before "Fixing:". The fresh
  // doctor run shows it as a note (info); the rule-by-rule result is about the fix, and is unchanged.
  const [report] = fs.readdirSync(`${r.h.paths.daemonDir}/crashes`);
  assert.ok(fix.stdout.includes(`\nThe daemon (pid ${r.pid}) had died (no last words: killed or lost power); a crash report was kept: ~/.config/opta/daemon/crashes/${report}\nFixing:\n`), fix.stdout);
  assert.ok(fix.stdout.endsWith(['Result, rule by rule:', '  fixed               daemon-stale-state', 'Fixed and re-verified: daemon-stale-state. All checks passed.', ''].join('\n')), fix.stdout);
  assert.doesNotMatch(fix.stdout + fix.stderr, /\x1b\[/, 'no escape codes at all');
  assert.equal(fix.stderr, '');
});

test('--json: only the JSON report on stdout (schema), the doctor before and after, and what each step did; no secret', async (t) => {
  const r = await startRig();
  t.after(() => r.cleanup());
  await killDaemon(r);
  const fix = await runOpta(r.h, ['doctor', '--fix', '--json']);
  assert.equal(fix.code, 0);
  const report = FixReportSchema.parse(JSON.parse(fix.stdout));
  assert.equal(report.before!.findings[0].id, 'daemon-stale-state');
  assert.equal(report.after!.status, 'healthy');
  assert.deepEqual(report.rules, [{ id: 'daemon-stale-state', check: 'daemon', severity: 'error', outcome: 'fixed', pipeline: 'fix-stale-state', message: report.before!.findings[0].message, next: null }]);
  assert.ok(report.after!.findings.some((f) => f.id === 'daemon-crashed-recently'), 'the fresh run shows the crash report --fix kept');
  const steps = report.plan.pipelines[0].steps;
  assert.deepEqual(steps.map((s) => [s.action, s.status]), [['state.set-aside', 'done'], ['daemon.start', 'done']]);
  assert.match(steps[1].message!, /^started daemon \(pid \d+, port \d+\)$/);
  assert.equal(steps[0].plan.files[0].path, '~/.config/opta/daemon/state.json');
  const now = readJson<State>(r.h.paths.stateFile);
  assert.ok(!fix.stdout.includes(now.token) && !fix.stdout.includes(r.token), 'no daemon token in the report');
  assert.equal(fix.stderr, '');
});

test('one colour decision: FORCE_COLOR=1 colours the plain lines; FORCE_COLOR=0 (which listr2 alone reads as "on") and NO_COLOR leave none', async (t) => {
  const r = await startRig();
  t.after(() => r.cleanup());
  await killDaemon(r);
  const on = await runOpta(r.h, ['doctor', '--fix', '--dry-run'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
  assert.match(on.stdout, /\x1b\[32m●\x1b\[39m|\x1b\[31m●\x1b\[39m/);
  assert.match(on.stdout, /\x1b\[1mfix-stale-state\x1b\[22m/);
  const off = await runOpta(r.h, ['doctor', '--fix'], { env: { NO_COLOR: '', FORCE_COLOR: '0' } });
  assert.equal(off.code, 0, off.stdout);
  assert.doesNotMatch(off.stdout, /\x1b\[/);
  await killDaemon({ ...r, pid: readJson<State>(r.h.paths.stateFile).pid });
  const coloured = await runOpta(r.h, ['doctor', '--fix'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
  assert.match(coloured.stdout, /^ {4}\x1b\[32m✔\x1b\[39m set the stale state\.json aside/m);
});

test('on a terminal: listr2 draws the progress, the plan comes first, it asks once, and "y" runs the steps', async (t) => {
  const r = await startRig();
  t.after(async () => {
    try { process.kill(r.pid, 'SIGCONT'); } catch { /* gone */ }
    await r.cleanup();
  });
  process.kill(r.pid, 'SIGSTOP');
  const { code, screen } = await onTerminal(terminalEnv(r), ['doctor', '--fix'], 'y');
  assert.equal(code, 0, screen);
  const question = '1 step(s) marked "asks" above stop a process, cancel a turn, change config or delete files. Run them? [y/N] ';
  assert.equal(screen.split(question).length, 2, `asked exactly once:\n${screen}`);
  assert.ok(screen.indexOf('Plan:') < screen.indexOf(question), 'the plan is shown before the question');
  assert.match(screen, /\x1b\[\?25l/, 'listr2\'s default renderer (it hides the cursor while drawing)');
  assert.match(screen, /✔ fix-restart-daemon: Restart the daemon/);
  assert.match(screen, /fixed {15}daemon-unresponsive/);
  assert.doesNotMatch(screen, SGR_COLOUR, 'NO_COLOR: no colour, from kleur or listr2');
  assert.notEqual(readJson<State>(r.h.paths.stateFile).pid, r.pid);
});

test('on a terminal, "n": nothing that asks runs; it needs confirmation (exit 1); FORCE_COLOR=0 keeps listr2 colourless too', async (t) => {
  const r = await startRig();
  t.after(async () => {
    try { process.kill(r.pid, 'SIGCONT'); } catch { /* gone */ }
    await r.cleanup();
  });
  process.kill(r.pid, 'SIGSTOP');
  // FORCE_COLOR=0 with no NO_COLOR: listr2 on its own would colour (colorette reads any FORCE_COLOR as "on").
  const { code, screen } = await onTerminal(terminalEnv(r, { NO_COLOR: undefined, FORCE_COLOR: '0' }), ['doctor', '--fix'], 'n');
  assert.equal(code, 1, screen);
  assert.match(screen, /needs confirmation: you said no/);
  assert.match(screen, /needs confirmation {2}daemon-unresponsive/);
  assert.doesNotMatch(screen, SGR_COLOUR);
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid, 'the daemon was not touched');
});

test('on a terminal, Ctrl-C at the question is Ctrl-C, not "no": nothing runs (not even the safe steps), no re-check, exit 1', async (t) => {
  const r = await startRig();
  t.after(async () => {
    try { process.kill(r.pid, 'SIGCONT'); } catch { /* gone */ }
    await r.cleanup();
  });
  process.kill(r.pid, 'SIGSTOP');
  // A safe step (a mode repair) that would run without asking, and one that asks (the restart).
  fs.chmodSync(r.h.paths.stateFile, 0o644);
  const { code, screen } = await onTerminal(terminalEnv(r), ['doctor', '--fix'], '\x03');
  assert.equal(code, 1, screen);
  assert.match(screen, /Run them\? \[y\/N\] /);
  assert.match(screen, /^Interrupted \(Ctrl-C\)/m, screen);
  assert.doesNotMatch(screen, /you said no|Re-checking/, screen);
  assert.equal(fs.statSync(r.h.paths.stateFile).mode & 0o777, 0o644, 'the safe step did not run');
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid, 'the daemon was not touched');
});

test('on a TERM=dumb terminal (an editor\'s shell): plain lines, no cursor movement; it still asks once, and "y" runs the steps; opta daemon reset too', async (t) => {
  const r = await startRig();
  t.after(async () => {
    try { process.kill(r.pid, 'SIGCONT'); } catch { /* gone */ }
    await r.cleanup();
  });
  process.kill(r.pid, 'SIGSTOP');
  const env = terminalEnv(r, { TERM: 'dumb' });
  const { code, screen } = await onTerminal(env, ['doctor', '--fix'], 'y');
  assert.equal(code, 0, screen);
  assert.equal(screen.split('Run them? [y/N] ').length, 2, `asked exactly once:\n${screen}`);
  assert.doesNotMatch(screen, /\x1b\[\?25l|\x1b\[\d*A/, 'no listr2 redrawing');
  assert.match(screen, /^ {4}✔ stop the daemon \(proven to be this home's\) and start a new one: stopped daemon pid/m);
  const reset = await onTerminal(env, ['daemon', 'reset']);
  assert.equal(reset.code, 0, reset.screen);
  assert.doesNotMatch(reset.screen, /\x1b\[\?25l|\x1b\[\d*A/, 'no listr2 redrawing');
  assert.match(reset.screen, /^ {4}✔ Step 3: Start fresh: started daemon/m);
});

test('--fix --ci on a terminal: no question, no spinner, no colour; only the safe steps run; --yes runs the rest', async (t) => {
  const r = await startRig();
  t.after(async () => {
    try { process.kill(r.pid, 'SIGCONT'); } catch { /* gone */ }
    await r.cleanup();
  });
  process.kill(r.pid, 'SIGSTOP');
  // A terminal that would ask, and asks for colour: --ci overrides both.
  const { code, screen } = await onTerminal(terminalEnv(r, { NO_COLOR: undefined, FORCE_COLOR: '1' }), ['doctor', '--fix', '--ci'], 'y');
  assert.equal(code, 1, screen);
  assert.doesNotMatch(screen, /\[y\/N\]/, 'never asks');
  assert.doesNotMatch(screen, /\x1b\[\?25l/, 'no listr2 redrawing');
  assert.doesNotMatch(screen, SGR_COLOUR, 'no colour');
  assert.match(screen, /needs confirmation {2}daemon-unresponsive/);
  assert.equal(readJson<State>(r.h.paths.stateFile).pid, r.pid, 'the step that stops a process did not run');
  const yes = await onTerminal(terminalEnv(r), ['doctor', '--fix', '--ci', '--yes']);
  assert.equal(yes.code, 0, yes.screen);
  assert.notEqual(readJson<State>(r.h.paths.stateFile).pid, r.pid);
});

test('opta daemon reset runs the Reset Everything pipeline through the same runner', async (t) => {
  const r = await startRig();
  t.after(() => r.cleanup());
  const reset = await runOpta(r.h, ['daemon', 'reset']);
  assert.equal(reset.code, 0, reset.stdout + reset.stderr);
  const now = readJson<State>(r.h.paths.stateFile);
  assert.deepEqual(reset.stdout.split('\n').filter(Boolean), [
    '  fix-reset: Reset Everything: stop, remove daemon state and logs, start fresh (sessions/ kept)',
    `    ✔ Step 1: Stop the daemon: stopped daemon pid ${r.pid}`,
    '    ✔ Step 2: Remove daemon state: removed ~/.config/opta/daemon/state.json',
    '    ✔ Step 2: Remove daemon logs: removed ~/.config/opta/daemon/daemon.log',
    `    ✔ Step 3: Start fresh: started daemon (pid ${now.pid}, port ${now.port})`,
    `Daemon reset: running again (pid ${now.pid}, port ${now.port}); ~/.config/opta/sessions was left as it was.`,
  ]);
});
