// Issue 20 end to end: the secret corpus planted in config, state, the log, the environment and a proxy URL never reaches support bundle, daemon logs or the guide's one-liner; header counts are the file's own; support redact gives the bundle's placeholders; a host is a host.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { corpusLookalikes, corpusSecrets } from '../fixtures/secrets/corpus.js';
import { makeHome, OPTA_BIN, ROOT, runOpta } from './helpers/env.js';

const PARANOID_ONLY = new Set(
  fs
    .readdirSync(path.join(ROOT, 'rules', 'redact'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', 'redact', f), 'utf8')) as { id: string; profile?: string })
    .filter((r) => r.profile === 'paranoid')
    .map((r) => r.id),
);
// Entries whose known value is their own (a token of another home) are covered by the corpus test; here the home's own are planted.
const corpus = corpusSecrets().filter((c) => !c.known);
const standard = corpus.filter((c) => !PARANOID_ONLY.has(c.shape));
const paranoidOnly = corpus.filter((c) => PARANOID_ONLY.has(c.shape));
const lookalikes = corpusLookalikes();

const TOKEN = '5e1f0c9a7b3d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f2a4c6e8b0d1f';
const API_KEY = 'lmx/Q7vR2pX9+kT4mW8z=';
const PROXY_PASS = 'pr0xy:P@ss w0rd';
const HOST_PASS = 'H0stPassw0rd9';
const BARE = 'bareValue-77Zq4Kx9';
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** The home's known secrets as they turn up elsewhere: URL-encoded, JSON-escaped, base64. */
const ENCODED = [
  encodeURIComponent(API_KEY),
  JSON.stringify(JSON.stringify(API_KEY)).slice(1, -1),
  b64(API_KEY),
  b64(TOKEN),
  b64(TOKEN).replace(/=+$/, ''),
  encodeURIComponent(PROXY_PASS),
  b64(PROXY_PASS),
];
const KNOWN = [TOKEN, API_KEY, PROXY_PASS, encodeURIComponent(PROXY_PASS), HOST_PASS, BARE, ...ENCODED];

/** Each corpus text as the value of its own OPTA_* variable: the bundle's environment section shows them all. */
const varName = (i: number) => `OPTA_CORPUS_${String(i).padStart(3, '0')}`;

function plant() {
  const h = makeHome({ viaDefault: true, config: { lmx: { host: `admin:${HOST_PASS}@127.0.0.1`, port: 1, apiKey: API_KEY } } });
  fs.mkdirSync(path.join(h.home, 'Desktop'));
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(h.paths.stateFile, JSON.stringify({ pid: 999999, port: 9999, host: '127.0.0.1', token: TOKEN, daemonId: 'd-1', startedAt: '2026-11-25T10:00:01Z', version: '1.1.0' }), { mode: 0o600 });
  const log = [
    '[10:00:01] INFO  daemon started on 127.0.0.1:9999',
    ...standard.map((c) => c.text),
    // In the last 200 lines (the bundle's log section): a value printed bare before the section that shows it is a
    // secret (the environment, later in the bundle), the known secrets encoded, then the look-alikes.
    `[10:00:02] WARN  retrying as ${BARE}`,
    ...ENCODED.map((e, i) => `[10:00:0${i % 10}] WARN  upstream echoed ${e}`),
    ...lookalikes,
  ];
  fs.writeFileSync(h.paths.logFile, log.join('\n') + '\n', { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    HTTPS_PROXY: `http://proxyuser:${encodeURIComponent(PROXY_PASS)}@127.0.0.1:3128`,
    OPTA_NOTE: `db password=${BARE}`,
    ...Object.fromEntries(corpus.map((c, i) => [varName(i), c.text])),
  };
  return { h, env, logLines: log.length };
}

function leaks(where: string, text: string, secrets: string[]): string[] {
  return secrets.filter((s) => text.includes(s)).map((s) => `${where}: ${s}`);
}

function section(bundle: string, title: string): string {
  const start = bundle.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `section ${title}`);
  const rest = bundle.slice(start + title.length + 5);
  return rest.slice(0, rest.search(/\n\n(## |# End of Opta Support Bundle)/));
}

/** The placeholders a text holds, counted as the header must count them. */
function placeholders(text: string): { values: number; occurrences: number; byLabel: Record<string, number> } {
  const all = [...text.matchAll(/\[REDACTED:([a-z0-9-]+?)-\d+\]/g)];
  const distinct = new Map(all.map((m) => [m[0], m[1]]));
  const byLabel: Record<string, number> = {};
  for (const label of distinct.values()) byLabel[label] = (byLabel[label] ?? 0) + 1;
  return { values: distinct.size, occurrences: all.length, byLabel };
}

function header(text: string): { values: number; occurrences: number; byLabel: Record<string, number> } {
  const line = text.split('\n').find((l) => l.startsWith('# Redacted:'))!;
  const m = /^# Redacted: (\d+) values? in (\d+) places? \(([^)]*)\)/.exec(line);
  assert.ok(m, line);
  const byLabel = Object.fromEntries(m[3].split(', ').filter((kv) => !kv.startsWith('--')).map((kv) => [kv.split(' ')[0], Number(kv.split(' ')[1])]));
  return { values: Number(m[1]), occurrences: Number(m[2]), byLabel };
}

/** OPTA_CORPUS_nnn=<redacted text> per variable, from the environment section or a redacted file of the same lines. */
function byVar(text: string): Map<string, string> {
  return new Map(
    text
      .split(/\n(?=OPTA_CORPUS_\d{3}=)/)
      .filter((chunk) => /^OPTA_CORPUS_\d{3}=/.test(chunk))
      .map((chunk) => [chunk.slice(0, 15), chunk.slice(16).replace(/\n(?:HTTPS_PROXY|OPTA_NOTE)=[^\n]*/g, '').replace(/\n$/, '')]),
  );
}

test(`the corpus (${standard.length} secrets over ${new Set(standard.map((c) => c.shape)).size} shapes, plus the home's token, API key, proxy and host passwords in ${ENCODED.length} encoded forms) reaches no bundle, no daemon logs, no one-liner; header counts are the file's; ${lookalikes.length} look-alikes survive; support redact gives the bundle's placeholders`, async (t) => {
  assert.ok(standard.length >= 150, `${standard.length} secrets`);
  assert.ok(new Set(standard.map((c) => c.shape)).size >= 40);
  assert.ok(lookalikes.length >= 50);
  const { h, env } = plant();
  t.after(() => h.cleanup());
  const secrets = [...standard.map((c) => c.secret), ...KNOWN];

  // The text bundle: nothing leaks, every kind counted, the header's counts are the placeholders of the file.
  const file = path.join(h.home, 'bundle.txt');
  const made = await runOpta(h, ['support', 'bundle', '--out', file], { env, timeoutMs: 60000 });
  assert.equal(made.code, 0, made.stderr);
  const text = fs.readFileSync(file, 'utf8');
  assert.deepEqual(leaks('text bundle', text, secrets), []);
  const body = text.slice(text.indexOf('\n## '));
  const counted = placeholders(body);
  assert.deepEqual(header(text), counted, 'the header counts exactly the placeholders in the file');
  assert.equal(placeholders(text.slice(0, text.indexOf('\n## '))).occurrences, 0, 'the header holds no placeholder');
  assert.ok(counted.values >= standard.length, `${counted.values} distinct values for ${standard.length} planted secrets`);
  const labels = new Set(Object.keys(counted.byLabel));
  for (const l of ['daemon-token', 'lmx-api-key', 'proxy-password', 'aws-secret-key', 'slack-webhook', 'gitlab-token', 'dsn-password', 'cookie', 'kv-secret']) assert.ok(labels.has(l), `${l} in ${[...labels].join(', ')}`);
  // The bare value printed in the log before the environment section revealed it: the same placeholder in both.
  const bare = /retrying as (\[REDACTED:[a-z-]+-\d+\])/.exec(section(text, 'opta daemon logs --lines 200'));
  assert.ok(bare, 'the bare value is replaced in the log section');
  assert.ok(section(text, 'environment (OPTA_* and proxy variables)').includes(`OPTA_NOTE=db password=${bare[1]}`));
  // Look-alikes in the log's last 200 lines survive as they were.
  const logSection = section(text, 'opta daemon logs --lines 200');
  const kept = lookalikes.filter((l) => logSection.includes(l));
  assert.equal(kept.length, lookalikes.length, `lost: ${lookalikes.filter((l) => !logSection.includes(l)).join(' | ')}`);
  // lmx.host with a password is refused as config, and the password shows nowhere (not in the fix plan either).
  assert.match(section(text, 'opta doctor --fix --dry-run (the plan only: nothing was run)'), /rewritten without lmx\.host/);

  // The JSON bundle: the same, its redaction block counting its own sections.
  const jsonFile = path.join(h.home, 'bundle.json');
  const mj = await runOpta(h, ['support', 'bundle', '--json', '--out', jsonFile], { env, timeoutMs: 60000 });
  assert.equal(mj.code, 0, mj.stderr);
  const json = fs.readFileSync(jsonFile, 'utf8');
  assert.deepEqual(leaks('JSON bundle', json, secrets), []);
  const doc = JSON.parse(json) as { redaction: { values: number; occurrences: number; byLabel: Record<string, number>; profile: string }; sections: unknown[] };
  const inJson = placeholders(JSON.stringify(doc.sections));
  assert.deepEqual({ values: doc.redaction.values, occurrences: doc.redaction.occurrences, byLabel: doc.redaction.byLabel }, inJson);
  assert.equal(doc.redaction.profile, 'standard');

  // opta daemon logs, the whole log: nothing leaks, every look-alike survives.
  const logs = await runOpta(h, ['daemon', 'logs', '--lines', '100000'], { env });
  assert.equal(logs.code, 0, logs.stderr);
  // (Not the bare value: only the bundle's environment section shows it is a secret.)
  const alone = secrets.filter((x) => x !== BARE);
  assert.deepEqual(leaks('daemon logs', logs.stdout + logs.stderr, alone), []);
  assert.deepEqual(lookalikes.filter((l) => !logs.stdout.includes(l)), []);
  // --redact minimal leaves key-name rules out (so it is not what the one-liner uses); paranoid takes e-mails and addresses too.
  const minimal = await runOpta(h, ['daemon', 'logs', '--lines', '100000', '--redact', 'minimal'], { env });
  assert.ok(leaks('minimal', minimal.stdout, standard.map((c) => c.secret)).length > 0, 'minimal redacts less');
  assert.deepEqual(leaks('minimal', minimal.stdout, [TOKEN, API_KEY, ...ENCODED]), [], 'minimal still keeps the known secrets out');
  const bad = await runOpta(h, ['daemon', 'logs', '--redact', 'everything'], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--redact takes one of minimal, standard, paranoid, not "everything"/);

  // The guide's one-liner, verbatim, with opta on PATH and ~/Desktop in the throwaway HOME (its opta config list
  // fails on an invalid config, so the host goes back to a host first).
  fs.writeFileSync(h.paths.configFile, JSON.stringify({ lmx: { host: '127.0.0.1', port: 1, apiKey: API_KEY } }), { mode: 0o600 });
  const bin = path.join(h.home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'opta'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(OPTA_BIN)} "$@"\n`, { mode: 0o755 });
  const guide = fs.readFileSync(path.join(ROOT, 'docs', 'opta-troubleshooting.txt'), 'utf8');
  const oneLiner = guide.split('\n').find((l) => l.startsWith('OUT=~/Desktop/opta-support-'))!;
  const r = spawnSync('bash', ['-c', oneLiner], { env: { ...h.env, ...env, PATH: `${bin}:${h.env.PATH}` }, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const saved = /^Saved (.*)\n$/.exec(r.stdout)![1];
  assert.equal(path.dirname(saved), path.join(h.home, 'Desktop'));
  assert.deepEqual(leaks('the one-liner', fs.readFileSync(saved, 'utf8') + r.stderr, alone), []);

  // opta support redact on the same lines after other secrets of the same kinds (which, numbered afresh, would take
  // bearer-1, kv-secret-1, ...): each value gets the placeholder the bundle gave it (the local placeholder map).
  const lines = path.join(h.home, 'env-lines.txt');
  const others = corpusSecrets(99).filter((c) => !c.known && !PARANOID_ONLY.has(c.shape));
  fs.writeFileSync(lines, [...others.map((c, i) => `OTHER_${i}=${c.text}`), ...corpus.map((c, i) => `${varName(i)}=${c.text}`)].join('\n') + '\n');
  const red = await runOpta(h, ['support', 'redact', lines], { env });
  assert.equal(red.code, 0, red.stderr);
  assert.deepEqual(leaks('support redact', red.stdout, [...standard, ...others].map((c) => c.secret)), []);
  const fromBundle = byVar(section(text, 'environment (OPTA_* and proxy variables)'));
  const fromRedact = byVar(red.stdout);
  assert.equal(fromRedact.size, corpus.length);
  const differ = standard.map((c) => varName(corpus.indexOf(c))).filter((v) => fromBundle.get(v) !== fromRedact.get(v));
  assert.deepEqual(differ.map((v) => `${v}: bundle ${fromBundle.get(v)} / redact ${fromRedact.get(v)}`), []);
  const summary = /opta: redacted (\d+) values? in (\d+) places?/.exec(red.stderr);
  assert.ok(summary, red.stderr);
  assert.deepEqual([Number(summary[1]), Number(summary[2])], [placeholders(red.stdout).values, placeholders(red.stdout).occurrences]);

  // --redact paranoid: e-mails, addresses and host names go too, and the header says which profile ran.
  const pfile = path.join(h.home, 'paranoid.txt');
  const mp = await runOpta(h, ['support', 'bundle', '--redact', 'paranoid', '--out', pfile], { env, timeoutMs: 60000 });
  assert.equal(mp.code, 0, mp.stderr);
  const ptext = fs.readFileSync(pfile, 'utf8');
  assert.deepEqual(leaks('paranoid bundle', ptext, [...secrets, ...paranoidOnly.map((c) => c.secret)]), []);
  assert.match(ptext, /^# Redacted: \d+ values in \d+ places \(.*, --redact paranoid\)/m);
  assert.deepEqual(header(ptext), placeholders(ptext.slice(ptext.indexOf('\n## '))));
});

test('opta support redact: stdout or --out, never over a file, bounded, clear errors (exit 2, nothing written)', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const input = path.join(h.home, 'compose.txt');
  fs.writeFileSync(input, 'environment:\n  - name: SMTP_PASSWORD\n    value: sm7pPassw0rdX\nimage: node:20\n');
  const r = await runOpta(h, ['support', 'redact', input]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'environment:\n  - name: SMTP_PASSWORD\n    value: [REDACTED:kv-secret-1]\nimage: node:20\n');
  assert.match(r.stderr, /redacted 1 value in 1 place \(kv-secret 1\)/);
  const out = path.join(h.home, 'compose.redacted.txt');
  const w = await runOpta(h, ['support', 'redact', input, '--out', out]);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(fs.readFileSync(out, 'utf8'), r.stdout);
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  const again = await runOpta(h, ['support', 'redact', input, '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /a file is already there, and opta support redact never replaces a file/);
  const self = await runOpta(h, ['support', 'redact', input, '--out', input]);
  assert.equal(self.code, 2);
  assert.equal(fs.readFileSync(input, 'utf8').includes('sm7pPassw0rdX'), true, 'the input is untouched');
  const binary = path.join(h.home, 'core.bin');
  fs.writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]));
  const b = await runOpta(h, ['support', 'redact', binary]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /is not a text file \(it holds NUL bytes\)/);
  const dir = await runOpta(h, ['support', 'redact', h.home]);
  assert.equal(dir.code, 2);
  assert.match(dir.stderr, /is a directory, not a text file/);
  const missing = await runOpta(h, ['support', 'redact', path.join(h.home, 'nope.txt')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.txt: ENOENT/);
  const big = path.join(h.home, 'big.txt');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, 64 * 1024 * 1024 + 1);
  const tooBig = await runOpta(h, ['support', 'redact', big]);
  assert.equal(tooBig.code, 2);
  assert.match(tooBig.stderr, /larger than 64 MiB/);
  const two = await runOpta(h, ['support', 'redact', input, binary, '--out', path.join(h.home, 'one.txt')]);
  assert.equal(two.code, 2);
  assert.match(two.stderr, /names one file, but 2 files were given/);
  for (const stray of ['one.txt', 'core.redacted.bin']) assert.equal(fs.existsSync(path.join(h.home, stray)), false);
  const stdin = await runOpta(h, ['support', 'redact', '-'], { input: 'Authorization: Bearer 9f8e7d6c5b4a39281706\n' });
  assert.equal(stdin.stdout, 'Authorization: Bearer [REDACTED:bearer-1]\n');
});

test('a host is a host: lmx.host with user:password@ is refused (exit 2) without repeating the password, and nothing shows it later', async (t) => {
  const h = makeHome({ config: { lmx: { host: '127.0.0.1', port: 1 } } });
  t.after(() => h.cleanup());
  const set = await runOpta(h, ['config', 'set', 'lmx.host', 'admin:Pass123@127.0.0.1']);
  assert.equal(set.code, 2);
  assert.match(set.stderr, /invalid value for lmx\.host: must be a host name or address only, without user:password@/);
  assert.ok(!set.stderr.includes('Pass123'), set.stderr);
  assert.equal(JSON.parse(fs.readFileSync(h.paths.configFile, 'utf8')).lmx.host, '127.0.0.1', 'nothing was changed');
  for (const v of ['http://lmx-host.local', 'lmx host', 'lmx-host.local/v1']) assert.equal((await runOpta(h, ['config', 'set', 'lmx.host', v])).code, 2, v);
  for (const v of ['lmx-host.local', '192.168.1.20', '::1']) assert.equal((await runOpta(h, ['config', 'set', 'lmx.host', v])).code, 0, v);
  // Written by hand: the doctor calls the config invalid, probes the default host, and the plan masks the value.
  fs.writeFileSync(h.paths.configFile, JSON.stringify({ lmx: { host: 'admin:Pass123@127.0.0.1', port: 1 } }));
  const doctor = await runOpta(h, ['doctor']);
  assert.ok(!doctor.stdout.includes('Pass123'), doctor.stdout);
  assert.match(doctor.stdout, /lmx\.host: must be a host name or address only/);
  const plan = await runOpta(h, ['doctor', '--fix', '--dry-run']);
  assert.ok(!(plan.stdout + plan.stderr).includes('Pass123'), plan.stdout);
  // Even unredacted, the fix plan of a bundle does not carry the invalid value's user:password@ (it names ********@host).
  const raw = await runOpta(h, ['support', 'bundle', '--json', '--no-redact', '--out', '-']);
  const fixPlan = JSON.stringify((JSON.parse(raw.stdout) as { sections: Array<{ id: string; data?: unknown }> }).sections.find((x) => x.id === 'fix-plan')?.data);
  assert.match(fixPlan, /reset lmx\.host \\"\*{8}@127\.0\.0\.1\\" -> default/);
  assert.ok(!fixPlan.includes('Pass123'), fixPlan);
});
