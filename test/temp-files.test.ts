// Temp files of a killed writer: 0600, and swept by the next run in that directory (only opta's names, only of dead writers).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeHome, OPTA_BIN, runOpta, type TestHome } from './helpers/env.js';
import { childEnd } from './helpers/wait.js';
import { sweepTemps } from '../src/core/temp-files.js';

/** opta's temp names in a directory (.<name>.<pid>.<8 hex>.tmp). */
const temps = (dir: string) => fs.readdirSync(dir).filter((n) => /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/.test(n));

/** Each writer: the directory it writes in, and its command line. */
const WRITERS: Array<{ name: string; dir: (h: TestHome) => string; args: (h: TestHome) => string[] }> = [
  { name: 'support bundle', dir: (h) => path.join(h.home, 'out'), args: (h) => ['support', 'bundle', '--out', path.join(h.home, 'out'), '--timeout', '3000'] },
  { name: 'doctor --output', dir: (h) => path.join(h.home, 'reports'), args: (h) => ['doctor', '--json', '--output', path.join(h.home, 'reports', 'report.json')] },
  { name: 'config set', dir: (h) => h.optaHome, args: () => ['config', 'set', 'lmx.timeoutMs', '4000'] },
];

for (const w of WRITERS) {
  test(`${w.name}: SIGKILLed at 10 moments, then run again: no opta temp file outlives the next run in its directory`, async () => {
    const h = makeHome();
    try {
      const dir = w.dir(h);
      fs.mkdirSync(dir, { recursive: true });
      // What a writer killed mid-write leaves, planted too (a kill does not always land inside the write): a dead
      // writer's temp, which must go; a live writer's (this test process), and files that are not opta's, which stay.
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      const deadTemp = path.join(dir, `.report.json.${dead}.0badf00d.tmp`);
      const liveTemp = path.join(dir, `.report.json.${process.pid}.0badf00d.tmp`);
      const notOurs = [path.join(dir, `.someone-else.${dead}.tmp`), path.join(dir, 'notes.tmp')];
      for (const f of [deadTemp, liveTemp, ...notOurs]) fs.writeFileSync(f, 'x', { mode: 0o600 });
      for (let i = 0; i < 10; i++) {
        const child = spawn(process.execPath, [OPTA_BIN, ...w.args(h)], { env: h.env, stdio: 'ignore' });
        const ended = childEnd(child, 30_000, `${w.name} to end`);
        await new Promise((r) => setTimeout(r, 40 + i * 30));
        child.kill('SIGKILL');
        await ended;
        for (const t of temps(dir)) assert.equal(fs.statSync(path.join(dir, t)).mode & 0o077, 0, `${t} is 0600 from creation`);
      }
      const r = await runOpta(h, w.args(h));
      assert.ok(r.code !== null && r.code <= 1, `${w.name} ran: ${r.stderr}`);
      assert.deepEqual(temps(dir), [path.basename(liveTemp)], `only the live writer's temp file is left in ${dir}`);
      for (const f of notOurs) assert.ok(fs.existsSync(f), `${f} is not opta's: left alone`);
    } finally {
      await h.cleanup();
    }
  });
}

test('sweepTemps removes only a dead writer\'s regular files of opta\'s temp shape', () => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'opta-sweep-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    fs.writeFileSync(path.join(dir, `.state.json.${dead}.deadbeef.tmp`), 'x');
    fs.mkdirSync(path.join(dir, `.dir.${dead}.deadbeef.tmp`));
    fs.writeFileSync(path.join(dir, `.state.json.${process.pid}.deadbeef.tmp`), 'x');
    fs.writeFileSync(path.join(dir, `.state.json.${dead}.nothex!!.tmp`), 'x');
    fs.symlinkSync('/etc/hostname', path.join(dir, `.link.${dead}.deadbeef.tmp`));
    sweepTemps(dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), [`.dir.${dead}.deadbeef.tmp`, `.link.${dead}.deadbeef.tmp`, `.state.json.${dead}.nothex!!.tmp`, `.state.json.${process.pid}.deadbeef.tmp`].sort());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
