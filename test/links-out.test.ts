// Symlinks inside the opta home that point out of it: never read through, never chmodded through, reported.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeHome, runOpta } from './helpers/env.js';

const SECRET = 'OUTSIDE-THE-HOME-4c1f';

test('a daemon.log linked out of the home: daemon logs, logs analyze and the bundle never print its target; doctor reports it', async () => {
  const h = makeHome();
  try {
    const outside = path.join(h.home, 'elsewhere.txt');
    fs.writeFileSync(outside, `2026-01-01T00:00:00.000Z ERROR ${SECRET}\n`);
    fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
    fs.symlinkSync(outside, h.paths.logFile);
    for (const args of [['daemon', 'logs'], ['logs', 'analyze'], ['support', 'bundle', '--out', '-', '--timeout', '5000']]) {
      const r = await runOpta(h, args);
      assert.ok(!(r.stdout + r.stderr).includes(SECRET), `${args.join(' ')} printed the link's target:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, /daemon\.log is a link to .*elsewhere\.txt, outside the opta home/, args.join(' '));
      if (args[0] !== 'support') assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const d = await runOpta(h, ['doctor', '--only', 'permissions']);
    assert.equal(d.code, 1, d.stdout);
    assert.match(d.stdout, /a link out of the opta home: .*daemon\.log -> .*elsewhere\.txt/);
    assert.equal(fs.readFileSync(outside, 'utf8').includes(SECRET), true, 'the target is untouched');
  } finally {
    await h.cleanup();
  }
});

test('config.json and state.json linked out of the home: doctor --fix --ci chmods nothing through them, and says so', async () => {
  const h = makeHome();
  try {
    const cfg = path.join(h.home, 'their-config.json');
    const st = path.join(h.home, 'their-notes.txt');
    fs.writeFileSync(cfg, JSON.stringify({ lmx: { apiKey: 'sk-outside' } }));
    fs.writeFileSync(st, 'not json at all');
    fs.chmodSync(cfg, 0o644);
    fs.chmodSync(st, 0o664);
    fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
    fs.symlinkSync(cfg, h.paths.configFile);
    fs.symlinkSync(st, h.paths.stateFile);
    const before = await runOpta(h, ['doctor', '--only', 'permissions']);
    assert.match(before.stdout, /a link out of the opta home: .*state\.json -> .*their-notes\.txt, .*config\.json -> .*their-config\.json/);
    assert.doesNotMatch(before.stdout, /holds the daemon token|lmx\.apiKey/, 'nothing is judged through the link');
    await runOpta(h, ['doctor', '--fix', '--ci']);
    assert.equal(fs.statSync(cfg).mode & 0o777, 0o644, 'config.json\'s target kept its mode');
    assert.equal(fs.statSync(st).mode & 0o777, 0o664, 'state.json\'s target kept its mode');
    assert.equal(fs.readFileSync(st, 'utf8'), 'not json at all');
  } finally {
    await h.cleanup();
  }
});
