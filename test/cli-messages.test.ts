// What a new user reads from the CLI itself: an unknown command, the config file's place in --help, rule file paths.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeHome, ROOT, runOpta, type TestHome } from './helpers/env.js';

describe('CLI messages (issue 26)', () => {
  let h: TestHome;
  before(() => {
    h = makeHome();
  });
  after(async () => {
    await h?.cleanup();
  });

  test("an unknown command: opta's error prefix, the commands listed, no edit-distance guess; exit 2", async () => {
    const r = await runOpta(h, ['bogus']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^opta: unknown command 'bogus'; the commands are: config, daemon, doctor, logs, permissions, rules, sessions, support\n/);
    assert.doesNotMatch(r.stderr, /Did you mean|^error:/m);
    // Every commander error has the prefix, an unknown option too.
    const o = await runOpta(h, ['doctor', '--bogus']);
    assert.equal(o.code, 2);
    assert.match(o.stderr, /^opta: unknown option '--bogus'/);
  });

  test('opta config --help names config.json without a path that OPTA_HOME or XDG_CONFIG_HOME would make wrong', async () => {
    const r = await runOpta(h, ['config', '--help'], { env: { OPTA_HOME: path.join(h.home, 'elsewhere') } });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /config\.json/);
    assert.doesNotMatch(r.stdout, /~\/\.config\/opta/);
  });

  test('opta rules list prints where the rule files are, not a path relative to the current directory', async () => {
    const cwd = fs.mkdtempSync(path.join(h.home, 'cwd-'));
    const r = await runOpta(h, ['rules', 'list', '--kind', 'logs', '--json'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ id: string; file: string }>;
    assert.equal(rows.find((x) => x.id === 'daemon-started')?.file, path.join(ROOT, 'rules', 'logs', 'daemon-started.json'));
    const text = await runOpta(h, ['rules', 'list', '--kind', 'logs'], { cwd });
    assert.match(text.stdout, new RegExp(`^logs \\(${path.join(ROOT, 'rules', 'logs').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): `, 'm'));
  });
});
