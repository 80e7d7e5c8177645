// `opta daemon install|uninstall|status` against a stand-in systemctl on PATH that records its calls (issue 25).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeHome, runOpta, ROOT, type TestHome } from './helpers/env.js';

/** A `systemctl` that logs its argv and answers `show` with a captured fixture (or the file named in $SHOW). */
function fakeSystemctl(h: TestHome, show = 'running.txt'): { log: string; env: NodeJS.ProcessEnv } {
  const bin = path.join(h.home, 'fakebin');
  fs.mkdirSync(bin);
  const log = path.join(h.home, 'systemctl.log');
  fs.writeFileSync(
    path.join(bin, 'systemctl'),
    `#!/bin/sh\necho "$*" >> '${log}'\ncase "$*" in *" show "*) cat '${path.join(ROOT, 'fixtures', 'service', 'systemd', show)}';; esac\nexit 0\n`,
    { mode: 0o755 },
  );
  return { log, env: { ...h.env, PATH: `${bin}:${h.env.PATH}` } };
}

const unitFile = (h: TestHome) => path.join(h.home, '.config', 'systemd', 'user', 'opta-daemon.service');
const calls = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);

test('install --dry-run prints the unit and the commands, and changes nothing', async () => {
  const h = makeHome();
  try {
    const { log, env } = fakeSystemctl(h);
    const r = await runOpta(h, ['daemon', 'install', '--now', '--dry-run'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# would create: .*\/\.config\/systemd\/user\/opta-daemon\.service$/m);
    assert.match(r.stdout, /^ExecStart=\/\S+ \/\S+ daemon run$/m);
    assert.ok(r.stdout.includes(`Environment=OPTA_HOME=${h.optaHome}`));
    assert.match(r.stdout, /^systemctl --user daemon-reload\nsystemctl --user enable --now opta-daemon\.service$/m);
    assert.equal(fs.existsSync(unitFile(h)), false);
    assert.deepEqual(calls(log), []);
  } finally {
    await h.cleanup();
  }
});

test('install writes the unit once, runs daemon-reload and enable, is idempotent; uninstall disables and removes it', async () => {
  const h = makeHome();
  try {
    const { log, env } = fakeSystemctl(h);
    const r1 = await runOpta(h, ['daemon', 'install'], { env });
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, /^Installed: ~\/\.config\/systemd\/user\/opta-daemon\.service$/m);
    assert.deepEqual(calls(log), ['--user daemon-reload', '--user enable opta-daemon.service']);
    const text = fs.readFileSync(unitFile(h), 'utf8');
    const r2 = await runOpta(h, ['daemon', 'install'], { env });
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stdout, /^Service file unchanged: /m);
    assert.equal(fs.readFileSync(unitFile(h), 'utf8'), text);
    // No temp file left beside it.
    assert.deepEqual(fs.readdirSync(path.dirname(unitFile(h))), ['opta-daemon.service']);
    fs.writeFileSync(log, '');
    const u = await runOpta(h, ['daemon', 'uninstall'], { env });
    assert.equal(u.code, 0, u.stderr);
    assert.equal(fs.existsSync(unitFile(h)), false);
    assert.deepEqual(calls(log), ['--user disable --now opta-daemon.service', '--user daemon-reload']);
    const again = await runOpta(h, ['daemon', 'uninstall'], { env });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /No service installed/);
  } finally {
    await h.cleanup();
  }
});

test('install and uninstall refuse a unit file opta did not write, and leave it as it was', async () => {
  const h = makeHome();
  try {
    const { log, env } = fakeSystemctl(h);
    fs.mkdirSync(path.dirname(unitFile(h)), { recursive: true });
    const mine = '[Service]\nExecStart=/usr/bin/true\n';
    fs.writeFileSync(unitFile(h), mine);
    const r = await runOpta(h, ['daemon', 'install', '--now'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /opta did not write it .*not overwriting it\. Move it aside/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const u = await runOpta(h, ['daemon', 'uninstall'], { env });
    assert.equal(u.code, 1);
    assert.match(u.stderr, /not written by opta .*not removing it/);
    assert.equal(fs.readFileSync(unitFile(h), 'utf8'), mine);
    assert.deepEqual(calls(log), []);
  } finally {
    await h.cleanup();
  }
});

test('daemon status says who supervises the daemon when a service is installed, and nothing more when none is', async () => {
  const h = makeHome();
  try {
    const plain = await runOpta(h, ['daemon', 'status']);
    assert.doesNotMatch(plain.stdout, /Supervisor/);
    const { env } = fakeSystemctl(h, 'crashloop-failed-exit-code.full.txt');
    assert.equal((await runOpta(h, ['daemon', 'install'], { env })).code, 0);
    const r = await runOpta(h, ['daemon', 'status'], { env });
    assert.match(r.stdout, /^Supervisor: systemd \(opta-daemon\.service\), failed, 5 restarts, crash-looping \(~\/\.config\/systemd\/user\/opta-daemon\.service\)/m);
    const j = await runOpta(h, ['daemon', 'status', '--json'], { env });
    assert.equal(JSON.parse(j.stdout).supervisor.manager, 'systemd');
  } finally {
    await h.cleanup();
  }
});

test('the support bundle carries the service section: the manager\'s view and the unit file, redacted', async () => {
  const h = makeHome();
  try {
    const { env } = fakeSystemctl(h);
    const none = await runOpta(h, ['support', 'bundle', '--out', path.join(h.home, 'none.txt')], { env });
    assert.equal(none.code, 0, none.stderr);
    assert.match(fs.readFileSync(path.join(h.home, 'none.txt'), 'utf8'), /^## service \(.*\)\nno service installed \(~\/\.config\/systemd\/user\/opta-daemon\.service does not exist\); the daemon is not supervised$/m);
    assert.equal((await runOpta(h, ['daemon', 'install'], { env })).code, 0);
    const secret = 'sk-proj-PlantedServiceKey0123456789abcdef';
    fs.appendFileSync(unitFile(h), `Environment=OPENAI_API_KEY=${secret}\n`);
    const r = await runOpta(h, ['support', 'bundle', '--out', path.join(h.home, 'b.txt')], { env });
    assert.equal(r.code, 0, r.stderr);
    const text = fs.readFileSync(path.join(h.home, 'b.txt'), 'utf8');
    const section = text.slice(text.indexOf('## service ('), text.indexOf('\n## ', text.indexOf('## service (') + 5));
    assert.match(section, /^Supervisor: systemd \(opta-daemon\.service\), running, 0 restarts/m);
    assert.match(section, /^ExecStart=\/\S+ \/\S+ daemon run$/m);
    assert.match(section, /^Restart=on-failure$/m);
    assert.ok(!text.includes(secret), 'the secret in the unit file was redacted');
  } finally {
    await h.cleanup();
  }
});
