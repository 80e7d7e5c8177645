// Odd homes: a space, a quote and a $ in HOME and OPTA_HOME; every command the doctor prints, pasted into sh, acts on exactly the right path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { shellPath, shellQuote } from '../src/core/shell-quote.js';
import { makeHome, runCommand, runOpta, type TestHome } from './helpers/env.js';

test('shellQuote and shellPath: one sh word, ~ kept under HOME', () => {
  assert.equal(shellQuote('/a/b.json'), '/a/b.json');
  assert.equal(shellQuote("it's $x"), `'it'\\''s $x'`);
  assert.equal(shellQuote(''), "''");
  assert.equal(shellPath('/h/.config/opta/daemon/state.json', '/h'), '~/.config/opta/daemon/state.json');
  assert.equal(shellPath('/my home/.config/opta', '/my home'), '~/.config/opta', 'HOME itself may be odd: ~ needs no quoting');
  assert.equal(shellPath('/h/sp ace/x', '/h'), `~/'sp ace/x'`);
  assert.equal(shellPath('/h', '/h'), '~');
  assert.equal(shellPath('/hx/y', '/h'), '/hx/y');
});

/** The `next:` commands of a doctor run's output. */
function nextCommands(stdout: string): string[] {
  return stdout.split('\n').flatMap((l) => {
    const m = /^\s*next:\s+(.*)$/.exec(l);
    return m ? [m[1]] : [];
  });
}

/**
 * Runs a printed command as a person would paste it, with HOME as opta saw it; `opta` and `sudo` are stand-ins
 * (the command's own file operations run for real), from a scratch directory so a relative word lands nowhere near.
 */
async function paste(command: string, env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  const r = await runCommand('sh', ['-c', `opta() { :; }; sudo() { "$@"; }; ${command}`], { env: { PATH: env.PATH, HOME: env.HOME }, cwd });
  assert.equal(r.code, 0, `sh -c ${command}\n${r.stderr}`);
}

const VARIANTS: Array<{ name: string; optaHome: (home: string, top: string) => string | undefined }> = [
  { name: 'OPTA_HOME unset (under HOME)', optaHome: () => undefined },
  { name: 'OPTA_HOME outside HOME', optaHome: (_home, top) => path.join(top, `o p't $a home`) },
  { name: 'OPTA_HOME under HOME, odd itself', optaHome: (home) => path.join(home, `op ta'$b`) },
];

for (const v of VARIANTS) {
  test(`odd home (${v.name}): doctor's next: commands pasted into sh act on exactly the right paths`, async () => {
    const h: TestHome = makeHome();
    try {
      const top = h.home;
      const home = path.join(top, `my ho'me $x`);
      const optaHome = v.optaHome(home, top) ?? path.join(home, '.config', 'opta');
      fs.mkdirSync(path.join(optaHome, 'daemon'), { recursive: true, mode: 0o700 });
      fs.mkdirSync(path.join(optaHome, 'sessions'), { mode: 0o700 });
      fs.chmodSync(optaHome, 0o700);
      const env: NodeJS.ProcessEnv = { ...h.env, HOME: home };
      if (v.optaHome(home, top)) env.OPTA_HOME = optaHome;
      else delete env.OPTA_HOME;
      // Decoys where an unquoted path would split ("/.../my" and "ho'me ..."): they must survive.
      const scratch = path.join(top, 'cwd');
      fs.mkdirSync(scratch);
      for (const d of [path.join(top, 'my'), path.join(top, 'o'), path.join(scratch, 'home')]) fs.writeFileSync(d, 'decoy');
      const decoysIntact = () => {
        for (const d of [path.join(top, 'my'), path.join(top, 'o'), path.join(scratch, 'home')]) assert.equal(fs.readFileSync(d, 'utf8'), 'decoy', d);
      };
      const stateFile = path.join(optaHome, 'daemon', 'state.json');
      const configFile = path.join(optaHome, 'config.json');
      const run = async (only: string) => {
        const r = await runOpta({ env }, ['doctor', '--only', only]);
        const next = nextCommands(r.stdout);
        assert.ok(next.length, `doctor --only ${only} printed a next: command\n${r.stdout}\n${r.stderr}`);
        for (const c of next) await paste(c, env, scratch);
        return next;
      };

      // A corrupt state.json: rm <state> && opta daemon start.
      fs.writeFileSync(stateFile, '{ corrupt', { mode: 0o600 });
      const n1 = await run('daemon');
      assert.ok(n1.some((c) => c.startsWith('rm ')), n1.join('\n'));
      assert.ok(!fs.existsSync(stateFile), `the pasted command removed ${stateFile}`);
      decoysIntact();

      // A config.json that is not JSON: mv <config> <config>.bad.
      fs.writeFileSync(configFile, '{ not json', { mode: 0o600 });
      const n2 = await run('config');
      assert.ok(n2.some((c) => c.startsWith('mv ')), n2.join('\n'));
      assert.ok(!fs.existsSync(configFile) && fs.readFileSync(configFile + '.bad', 'utf8') === '{ not json', `moved to ${configFile}.bad`);
      fs.rmSync(configFile + '.bad');
      decoysIntact();

      // A loose mode on the home: chmod 700 <home>.
      fs.chmodSync(optaHome, 0o777);
      const n3 = await run('permissions');
      assert.ok(n3.some((c) => c.startsWith('chmod ')), n3.join('\n'));
      assert.equal(fs.statSync(optaHome).mode & 0o777, 0o700);
      decoysIntact();

      // sessions/ owned by someone else (root can arrange it): sudo chown -R "$(id -un)" <home>.
      if (process.getuid?.() === 0) {
        fs.chownSync(path.join(optaHome, 'sessions'), 65534, 65534);
        const n4 = await run('permissions');
        assert.ok(n4.some((c) => c.startsWith('sudo chown')), n4.join('\n'));
        assert.equal(fs.statSync(path.join(optaHome, 'sessions')).uid, 0);
        decoysIntact();
      }
    } finally {
      await h.cleanup();
    }
  });
}
