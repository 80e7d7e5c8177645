// The bin and its bundles as they ship: --version without any bundle, the code cache (written, reused, refused when corrupt, foreign or stale, never required), --debug traces in TypeScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { makeHome, OPTA_BIN, PKG_VERSION, ROOT, runOpta, type TestHome } from './helpers/env.js';
import { dependencies } from '../src/build/bundle.js';
import { bundleFor, libBundle } from '../src/bin/opta.js';
import * as groups from '../src/cli/groups.js';
import { childOutput } from './helpers/wait.js';

/** A home whose opta caches compiled code in a directory of this test's own. */
function cachedHome(t: { after(fn: () => unknown): void }): { h: TestHome; cache: string; files(prefix: string): string[] } {
  const h = makeHome();
  const xdg = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-cache-test-'));
  t.after(async () => {
    await h.cleanup();
    fs.rmSync(xdg, { recursive: true, force: true });
  });
  h.env.XDG_CACHE_HOME = xdg;
  const cache = path.join(xdg, 'opta');
  const files = (prefix: string) => (fs.existsSync(cache) ? fs.readdirSync(cache).filter((f) => f.startsWith(prefix) && f.endsWith('.cache')).sort() : []);
  return { h, cache, files };
}

/** `opta config path` prints where config.json lives: a command whose output is known and cheap to check. */
async function configPath(h: TestHome, extra: { node?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const c = spawn(process.execPath, [...(extra.node ?? []), OPTA_BIN, 'config', 'path'], { env: { ...h.env, ...extra.env } });
  const r = await childOutput(c, 30000, 'opta config path to finish').then(({ code, stdout: out, stderr: err }) => ({ code, out, err }));
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '', 'nothing on stderr: a cache problem is not the user\'s problem');
  assert.equal(r.out.trim(), h.paths.configFile);
  return r.out;
}

const stamp = (f: string) => {
  const s = fs.statSync(f);
  return `${s.ino}:${s.mtimeMs}`;
};

test('opta --version and -V are answered by the bin alone, before any bundle is read', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-bin-only-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The bin without its bundles: --version still works; a command says the installation is broken (exit 2).
  fs.copyFileSync(OPTA_BIN, path.join(dir, 'opta.cjs'));
  const h = makeHome();
  t.after(() => h.cleanup());
  for (const flag of ['--version', '-V']) {
    const r = await runOpta(h, [flag], { env: {} });
    assert.equal(r.stdout, `${PKG_VERSION}\n`);
    const c = spawn(process.execPath, [path.join(dir, 'opta.cjs'), flag], { env: h.env });
    const alone = (await childOutput(c, 30000, `opta ${flag} without its bundles to finish`)).stdout;
    assert.equal(alone, `${PKG_VERSION}\n`, `${flag} needs no bundle`);
  }
  const c = spawn(process.execPath, [path.join(dir, 'opta.cjs'), 'config', 'path'], { env: h.env });
  const broken = await childOutput(c, 30000, 'opta config path without its bundles to finish').then(({ code, stderr: err }) => ({ code, err }));
  assert.equal(broken.code, 2);
  assert.match(broken.err, /^opta: cannot start: .*cli-config\.cjs.*Rebuild opta \(npm run build\) or reinstall it\.\n$/);
});

test('the code cache: written after the first run (0600 in a 0700 directory), then taken as it is', async (t) => {
  const { h, cache, files } = cachedHome(t);
  await configPath(h);
  const [file] = files('cli-config-');
  assert.ok(file, `a cache of cli-config in ${cache}: ${fs.existsSync(cache) ? fs.readdirSync(cache).join(', ') : 'none'}`);
  assert.equal(fs.statSync(cache).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(cache, file)).mode & 0o777, 0o600);
  const before = stamp(path.join(cache, file));
  await configPath(h);
  await configPath(h);
  assert.equal(stamp(path.join(cache, file)), before, 'a cache V8 took is not written again');
  assert.deepEqual(files('cli-config-'), [file]);
});

test('a corrupt, cut or foreign cache is never used (a flipped byte V8 accepted would crash node) and is replaced', async (t) => {
  const { h, cache, files } = cachedHome(t);
  await configPath(h);
  const file = path.join(cache, files('cli-config-')[0]);
  const good = fs.readFileSync(file);
  // Same length, bytes changed in the middle of V8's data (either copy): only our second copy can tell.
  for (const at of [0.3, 0.5, 0.8]) {
    const bad = Buffer.from(good);
    const i = Math.floor(bad.length * at);
    bad.fill(0xa5, i, i + 16);
    fs.writeFileSync(file, bad, { mode: 0o600 });
    await configPath(h);
    assert.notDeepEqual(fs.readFileSync(file), bad, `the corrupt cache (bytes at ${i}) was replaced`);
    const replaced = stamp(file);
    await configPath(h);
    assert.equal(stamp(file), replaced, 'by one V8 takes');
  }
  fs.writeFileSync(file, good.subarray(0, 20), { mode: 0o600 });
  await configPath(h);
  assert.ok(fs.statSync(file).size > good.length / 2, 'a cut cache was replaced');
  // Writable by others: code from it would run as this user. Not used, and replaced by a private one.
  fs.chmodSync(file, 0o666);
  await configPath(h);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('no usable cache directory is no error: the command just compiles (unwritable, a file, relative, no HOME)', async (t) => {
  const { h } = cachedHome(t);
  const plain = path.join(h.home, 'not-a-dir');
  fs.writeFileSync(plain, 'x');
  await configPath(h, { env: { XDG_CACHE_HOME: plain } });
  const ro = path.join(h.home, 'read-only');
  fs.mkdirSync(ro, { mode: 0o500 });
  await configPath(h, { env: { XDG_CACHE_HOME: ro } });
  if (process.getuid?.() !== 0) assert.deepEqual(fs.readdirSync(ro), [], 'nothing written where it may not write');
  // A relative XDG_CACHE_HOME is ignored (XDG says absolute): HOME/.cache is used.
  await configPath(h, { env: { XDG_CACHE_HOME: 'relative/dir' } });
  assert.ok(fs.readdirSync(path.join(h.home, '.cache', 'opta')).some((f) => f.startsWith('cli-config-')));
  await configPath(h, { env: { XDG_CACHE_HOME: '', HOME: '' } });
});

test('caches are per build and per node flags: another build of a bundle replaces its cache, other flags keep their own', async (t) => {
  const { h, cache, files } = cachedHome(t);
  await configPath(h);
  const [mine] = files('cli-config-');
  const key = mine.split('-').pop();
  // What an older build left: same bundle, another content hash.
  const old = path.join(cache, `cli-config-0123456789abcdef-${key}`);
  fs.writeFileSync(old, 'stale', { mode: 0o600 });
  fs.rmSync(path.join(cache, mine));
  await configPath(h);
  assert.ok(!fs.existsSync(old), 'the other build\'s cache was removed when this one was written');
  await configPath(h, { node: ['--stack-size=2000'] });
  const both = files('cli-config-');
  assert.equal(both.length, 2, `one cache per flag set: ${both.join(', ')}`);
  const stamps = both.map((f) => stamp(path.join(cache, f)));
  await configPath(h);
  await configPath(h, { node: ['--stack-size=2000'] });
  assert.deepEqual(both.map((f) => stamp(path.join(cache, f))), stamps, 'taking turns, neither replaces the other');
});

test('--debug: an internal error prints its stack trace in TypeScript sources; without it, one line', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  // A command run in a directory that was removed: process.cwd() throws, which opta does not expect (an internal error).
  const inGone = (args: string) =>
    childOutput(spawn('sh', ['-c', `mkdir gone && cd gone && rmdir ../gone && exec "${process.execPath}" "${OPTA_BIN}" ${args}`], { cwd: h.home, env: h.env }), 30000, `opta ${args} in a removed directory to finish`)
      .then(({ code, stderr: err }) => ({ code, err }));
  const plain = await inGone('logs analyze daemon.log');
  assert.equal(plain.code, 2);
  assert.equal(plain.err, 'opta: internal error: ENOENT: no such file or directory, uv_cwd (run again with --debug for details)\n');
  const debug = await inGone('--debug logs analyze daemon.log');
  assert.equal(debug.code, 2);
  assert.match(debug.err, /^opta: internal error: ENOENT: no such file or directory, uv_cwd\n/);
  assert.match(debug.err, new RegExp(`\\n +at .*\\(${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/src/cli/logs\\.ts:\\d+:\\d+\\)`), debug.err);
  assert.doesNotMatch(debug.err, /dist\/bundle/, 'no frame left in the bundle');
});

test('the build: a bundle per command group (groups.ts) and per dependency (package.json), and the bin knows them all', () => {
  const dir = path.dirname(OPTA_BIN);
  const bin = fs.readFileSync(OPTA_BIN, 'utf8');
  for (const g of Object.keys(groups)) {
    assert.ok(fs.existsSync(path.join(dir, `cli-${g}.cjs`)), `cli-${g}.cjs`);
    assert.ok(bin.includes(JSON.stringify(g)), `the bin routes ${g}`);
  }
  for (const d of dependencies().keys()) {
    assert.ok(fs.existsSync(path.join(dir, `${libBundle(d)}.cjs`)), `${libBundle(d)}.cjs`);
    // A group bundle requires a dependency, never carries a copy of it.
    assert.ok(!fs.readFileSync(path.join(dir, 'cli.cjs'), 'utf8').includes(`node_modules/${d}/`), `cli.cjs has no copy of ${d}`);
  }
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.cjs'))) {
    const text = fs.readFileSync(path.join(dir, f));
    assert.ok(!text.some((b) => b > 0x7f), `${f} is ASCII (the bin reads bundles as one-byte strings)`);
    assert.ok(fs.existsSync(path.join(dir, `${f}.map`)), `${f} has a source map`);
  }
});

test("the daemon's undici bundle is its Agent and request API only: loading it loads no HTTP/2, TLS or fetch (~40 ms on the daemon's thread at its first turn)", () => {
  const file = path.join(path.dirname(OPTA_BIN), `${libBundle('undici')}.cjs`);
  const text = fs.readFileSync(file, 'utf8');
  for (const left of ['lib/web/fetch/index', 'lib/web/websocket/', 'lib/mock/', 'lib/cache/', 'lib/dispatcher/proxy-agent', 'node:http2']) assert.ok(!text.includes(left), `${path.basename(file)} carries ${left}`);
  const code = `const before = new Set(process.moduleLoadList);
const u = require(${JSON.stringify(file)});
const a = new u.Agent();
const loaded = process.moduleLoadList.filter((m) => !before.has(m));
process.stdout.write(JSON.stringify({ request: typeof a.request, loaded }));
a.close();`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { request: string; loaded: string[] };
  assert.equal(got.request, 'function', 'an Agent with the request API');
  for (const m of ['NativeModule http2', 'NativeModule tls']) assert.ok(!got.loaded.includes(m), `loading ${path.basename(file)} loaded ${m}`);
});

test('bundleFor: a subcommand of its own only when named first (daemon logs), else its group, the daemon, a worker or cli', () => {
  const info = { groups: ['daemon', 'doctor'], programs: ['tool-worker'], subcommands: ['daemon logs'] };
  assert.equal(bundleFor(['daemon', 'logs', '--lines', '200'], info), 'cli-daemon-logs');
  assert.equal(bundleFor(['daemon', 'logs'], info), 'cli-daemon-logs');
  assert.equal(bundleFor(['--debug', 'daemon', 'logs'], info), 'cli-daemon');
  assert.equal(bundleFor(['daemon', 'status'], info), 'cli-daemon');
  assert.equal(bundleFor(['daemon'], info), 'cli-daemon');
  assert.equal(bundleFor(['doctor', 'logs'], info), 'cli-doctor');
  assert.equal(bundleFor(['--opta-daemon', '--home', '/x'], info), 'daemon');
  assert.equal(bundleFor(['--opta-worker', 'tool-worker'], info), 'tool-worker');
  assert.equal(bundleFor(['nonsense'], info), 'cli');
});

test('opta daemon logs runs its own small bundle; --help, a bad value or an unknown option are handed to the daemon group, which answers as always', async (t) => {
  const { h, files } = cachedHome(t);
  fs.mkdirSync(path.dirname(h.paths.logFile), { recursive: true, mode: 0o700 });
  fs.writeFileSync(h.paths.logFile, ['[10:00:00] INFO  one', '[10:00:01] WARN  two', '[10:00:02] INFO  three'].join('\n') + '\n');
  const group = () => files('cli-daemon-').filter((f) => /^cli-daemon-[0-9a-f]{16}-/.test(f));
  const plain = await runOpta(h, ['daemon', 'logs', '-n', '2']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, '[10:00:01] WARN  two\n[10:00:02] INFO  three\n');
  assert.equal(files('cli-daemon-logs-').length, 1, 'the plain command ran cli-daemon-logs.cjs');
  assert.deepEqual(group(), [], 'and not the daemon group\'s bundle');
  assert.ok(
    fs.statSync(path.join(path.dirname(OPTA_BIN), 'cli-daemon-logs.cjs')).size < fs.statSync(path.join(path.dirname(OPTA_BIN), 'cli-daemon.cjs')).size,
    'the subcommand\'s bundle is smaller than its group\'s (what it is for)',
  );

  const help = await runOpta(h, ['daemon', 'logs', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: opta daemon logs \[options\]/);
  assert.match(help.stdout, /-f, --follow/);
  assert.equal(group().length, 1, '--help is answered by the group\'s bundle (commander)');
  const bad = await runOpta(h, ['daemon', 'logs', '--lines', '0']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'opta: --lines takes a whole number of at least 1, not "0"\n');
  assert.equal(bad.stdout, '');
  const unknown = await runOpta(h, ['daemon', 'logs', '--bogus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--bogus'/);
  assert.equal(unknown.stdout, '');
});

test('a built-in rule file edited in place after the build takes effect, even an edit that keeps its size', { timeout: 60_000 }, async (t) => {
  // A copy of the package, built where it is (the build records each rule file's stamp), then one rule edited.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-built-copy-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const entry of ['package.json', 'dist/src', 'dist/bundle', 'rules', 'schemas', 'src']) fs.cpSync(path.join(ROOT, entry), path.join(root, entry), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
  const build = (script: string) => {
    const r = spawnSync(process.execPath, [path.join(root, script)], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `${script}: ${r.stderr}`);
  };
  build('dist/src/build/build-artifacts.js');
  build('dist/src/build/bundle.js');
  const h = makeHome();
  t.after(() => h.cleanup());
  const why = () => {
    const r = spawnSync(process.execPath, [path.join(root, 'dist/bundle/opta.cjs'), 'rules', 'list', '--kind', 'doctor', '--json'], { env: h.env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as Array<{ id: string; guide?: unknown }>).find((x) => x.id === 'disk-low');
  };
  assert.ok(why(), 'disk-low is listed');
  const file = path.join(root, 'rules/doctor/disk-low.json');
  const text = fs.readFileSync(file, 'utf8');
  const edited = text.replace('"severity": "warn"', '"severity": "info"');
  assert.notEqual(edited, text);
  assert.equal(Buffer.byteLength(edited), Buffer.byteLength(text), 'the same size');
  fs.writeFileSync(file, edited);
  const r = spawnSync(process.execPath, [path.join(root, 'dist/bundle/opta.cjs'), 'rules', 'list', '--kind', 'doctor', '--json'], { env: h.env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as Array<{ id: string; severity: string }>).find((x) => x.id === 'disk-low')!.severity, 'info');
});

/** Files a source file imports statically (not `import type`, not `import()`): what loads with it. */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^;'"]*?\s+from\s+)?'(\.[^']+)'/gm)) walk(path.join(path.dirname(file), m[1].replace(/\.js$/, '.ts')));
  };
  walk(path.join(ROOT, entry));
  return seen;
}

test('explain code loads lazily: opta doctor and opta support reach it only through import() under --explain', () => {
  const lazy = ['src/doctor/explain.ts', 'src/render/explain.ts', 'src/fix/explain-plan.ts', 'src/logs/explain-pattern.ts', 'src/support/explain-bundle.ts'];
  for (const entry of ['src/cli/doctor.ts', 'src/cli/support.ts']) {
    const closure = staticClosure(entry);
    assert.ok(closure.has(path.join(ROOT, 'src/cli/doctor-command.ts')) || entry !== 'src/cli/doctor.ts', 'the walk follows imports');
    for (const f of lazy) assert.ok(!closure.has(path.join(ROOT, f)), `${entry} loads ${f} at start-up`);
  }
});

test("the daemon serves without loading zod: nothing it loads before it serves imports it (request schemas, the config's wording: on first use)", () => {
  // main.ts and what startDaemon awaits before serving (the log scrubber's shapes).
  const files = new Set([...staticClosure('src/daemon/main.ts'), ...staticClosure('src/redact/load-shapes.ts'), ...staticClosure('src/redact/redactor.ts')]);
  assert.ok(files.has(path.join(ROOT, 'src/daemon/server/session-routes.ts')), 'the walk reaches the routes');
  const eager = [...files].filter((f) => /^import\s+(?!type\s)[^;]*from\s+'zod'/m.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(eager.map((f) => path.relative(ROOT, f)), []);
});
