// opta support bundle/analyze on real stacks: planted secrets never leak (bundle and the guide's one-liner), a broken stack bundles in time and unchanged, analyze replays it offline.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { spawnLmxSim } from '../fixtures/lmx-sim/client.js';
import { SupportBundleSchema } from '../src/support/bundle-schema.js';
import { daemonConfig, freePortBlock, killAndWait, makeHome, OPTA_BIN, readJson, ROOT, runOpta, spawnOpta, waitUntil } from './helpers/env.js';

const TITLES = [
  'opta doctor',
  'opta daemon status',
  'opta daemon logs --lines 200',
  'opta config list',
  'opta logs analyze --since-start',
  'versions',
  'paths',
  'environment (OPTA_* and proxy variables)',
  'listening ports and their owners',
  'service (the unit/plist opta daemon install wrote, and what its manager says)',
  'opta doctor --fix --dry-run (the plan only: nothing was run)',
  'crash reports (daemon/crashes/: the newest, redacted)',
  'doctor report (JSON: the facts opta support analyze reads)',
];

const API_KEY = 'plantedLmxKey-7c1f-9e2d';
const BEARER = 'b3arerTok3n0123456789abcdef';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvcHRhLXRlc3QiLCJpYXQiOjE3MDB9.cGxhbnRlZC1zaWduYXR1cmUtMDEyMzQ1';
const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const GITHUB = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const PEM_BODY = 'MIIEowIBAAKCAQEAplantedkeyplantedkey0123';
const ENV_SECRET = 'envSecretValue-4242';
const PROXY_PASS = 'pr0xyPassw0rd';
const LOG_PASSWORD = 'l0gLinePassw0rd';

function headerCounts(text: string): Record<string, number> {
  const line = text.split('\n').find((l) => l.startsWith('# Redacted:')) ?? '';
  const inner = /\(([^)]*)\)/.exec(line)?.[1] ?? '';
  return Object.fromEntries(inner.split(', ').filter(Boolean).map((kv) => { const [k, n] = kv.split(' '); return [k, Number(n)]; }));
}

function sectionText(bundle: string, title: string): string {
  const start = bundle.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `section ${title}`);
  const rest = bundle.slice(start + title.length + 5);
  const end = rest.search(/\n\n(## |# End of Opta Support Bundle)/);
  return rest.slice(0, end);
}

/** Every file under a directory: path, mode, size, mtime and content hash. */
function hashTree(dir: string): string {
  const h = crypto.createHash('sha256');
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      h.update(`${path.relative(dir, p)} ${st.mode} ${st.size} ${st.mtimeMs}\n`);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

function noSecrets(where: string, text: string, secrets: string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} leaks ${s}`);
}

test('planted secrets (config, state.json, the log, the environment, a proxy URL) appear nowhere: not in the bundle, not in the one-liner\'s four commands; each kind is counted; look-alikes survive', async (t) => {
  const sim = await spawnLmxSim({ port: 0 });
  t.after(() => sim.stop());
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port, 2, { lmx: { host: '127.0.0.1', port: sim.port, apiKey: API_KEY, timeoutMs: 2000 } }) });
  t.after(() => h.cleanup());
  assert.equal((await runOpta(h, ['daemon', 'start'])).code, 0);
  const state = readJson<{ token: string; daemonId: string; pid: number }>(h.paths.stateFile);
  const ownLog = fs.readFileSync(h.paths.logFile, 'utf8');
  noSecrets('the daemon\'s own log', ownLog, [state.token, API_KEY]);
  fs.appendFileSync(
    h.paths.logFile,
    [
      `[10:00:02] WARN  upstream 401, will retry as ${BEARER}`,
      `[10:00:03] ERROR request failed: upstream said Authorization: Bearer ${BEARER}`,
      `[10:00:04] WARN  lmx answered 401 for ${JWT}`,
      `[10:00:05] ERROR tool output: AWS_ACCESS_KEY_ID=${AWS_ID} aws_secret_access_key=${AWS_SECRET}`,
      `[10:00:06] ERROR clone failed: GITHUB_TOKEN=${GITHUB}`,
      `[10:00:07] WARN  client sent GET /v3/ws?sessionId=sess-2026-01&token=${state.token}`,
      `[10:00:08] ERROR lmx rejected key ${API_KEY}`,
      `[10:00:09] ERROR tool output: -----BEGIN RSA PRIVATE KEY-----`,
      PEM_BODY,
      '-----END RSA PRIVATE KEY-----',
      `[10:00:10] ERROR retry: Authorization: Bearer ${BEARER}`,
      `[10:00:11] ERROR login rejected password: ${LOG_PASSWORD}`,
      '[10:05:00] WARN  permission request perm_001 timed out (5m), auto-denying',
      '[10:10:00] ERROR tool worker crashed: heap out of memory',
    ].join('\n') + '\n',
  );
  const env = { OPTA_LMX_TOKEN: ENV_SECRET, HTTPS_PROXY: `http://proxyuser:${PROXY_PASS}@127.0.0.1:3128`, NO_PROXY: '127.0.0.1,localhost' };
  const secrets = [state.token, API_KEY, BEARER, JWT, AWS_ID, AWS_SECRET, GITHUB, PEM_BODY, ENV_SECRET, PROXY_PASS, LOG_PASSWORD];

  const file = path.join(h.home, 'bundle.txt');
  const made = await runOpta(h, ['support', 'bundle', '--out', file], { env });
  assert.equal(made.code, 0, made.stderr);
  assert.equal(made.stdout, `Saved ${file}\n`);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const text = fs.readFileSync(file, 'utf8');
  noSecrets('the text bundle', text, secrets);
  assert.match(text, /^# Opta Support Bundle\n# Generated: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/);
  assert.deepEqual([...text.matchAll(/^## (.*)$/gm)].map((m) => m[1]), TITLES);
  const counts = headerCounts(text);
  for (const label of ['daemon-token', 'lmx-api-key', 'bearer', 'jwt', 'aws-access-key', 'kv-secret', 'github-token', 'private-key', 'proxy-password', 'env-secret']) {
    assert.ok(counts[label] >= 1, `${label} counted in the header: ${JSON.stringify(counts)}`);
  }
  // One value, one placeholder: the bearer token twice in the log, the daemon token in the log and (masked) elsewhere.
  const logs = sectionText(text, 'opta daemon logs --lines 200');
  const bearerPlaceholders = [...logs.matchAll(/Bearer (\[REDACTED:[a-z-]+-\d+\])/g)].map((m) => m[1]);
  assert.equal(bearerPlaceholders.length, 2);
  assert.equal(bearerPlaceholders[0], bearerPlaceholders[1]);
  assert.match(logs, /&token=\[REDACTED:daemon-token-1\]/);
  assert.match(logs, /rejected key \[REDACTED:lmx-api-key-1\]/);
  // Look-alikes a person needs to quote survive.
  for (const keep of [`daemon started on 127.0.0.1:${port}`, 'permission request perm_001 timed out (5m), auto-denying', 'sess-2026-01', '[10:10:00] ERROR tool worker crashed: heap out of memory', `daemonId: ${state.daemonId}`, 'qwen3-30b-a3b', 'opta:    1.1.0', `running (pid ${state.pid}, port ${port})`, `NO_PROXY=127.0.0.1,localhost`, 'HTTPS_PROXY=http://proxyuser:[REDACTED:proxy-password-1]@127.0.0.1:3128']) {
    assert.ok(text.includes(keep), `look-alike kept: ${keep}`);
  }
  assert.match(sectionText(text, 'listening ports and their owners'), new RegExp(`127\\.0\\.0\\.1:${port} \\(daemon\\.port\\) listening: pid ${state.pid}: `));

  const jsonFile = path.join(h.home, 'bundle.json');
  const mj = await runOpta(h, ['support', 'bundle', '--json', '--out', jsonFile], { env });
  assert.equal(mj.code, 0, mj.stderr);
  const json = fs.readFileSync(jsonFile, 'utf8');
  noSecrets('the JSON bundle', json, secrets);
  const parsed = SupportBundleSchema.parse(JSON.parse(json));
  assert.deepEqual(parsed.sections.map((s) => s.title), TITLES);
  assert.ok(parsed.sections.every((s) => s.status === 'ok'), JSON.stringify(parsed.sections.map((s) => [s.id, s.status, s.error])));
  assert.ok(parsed.redaction.byLabel['daemon-token'] >= 1 && parsed.redaction.byLabel.jwt >= 1);

  // The guide's one-liner runs these four: each keeps every secret out of what it prints.
  for (const args of [['doctor'], ['daemon', 'status'], ['daemon', 'logs', '--lines', '200'], ['config', 'list']]) {
    const r = await runOpta(h, args, { env });
    noSecrets(`opta ${args.join(' ')}`, r.stdout + r.stderr, secrets);
  }
  const logsOut = await runOpta(h, ['daemon', 'logs', '--lines', '200'], { env });
  assert.match(logsOut.stdout, /Authorization: Bearer \[REDACTED:bearer-1\]/);
  assert.ok(logsOut.stdout.includes('permission request perm_001 timed out (5m), auto-denying'));
  const shown = await runOpta(h, ['daemon', 'logs', '--lines', '200', '--show-secrets'], { env });
  assert.ok(shown.stdout.includes(BEARER) && shown.stdout.includes(state.token), 'a person who asks sees the lines as they are');

  const open = await runOpta(h, ['support', 'bundle', '--no-redact', '--out', path.join(h.home, 'raw.txt')], { env });
  assert.equal(open.code, 0);
  assert.match(open.stderr, /warning: --no-redact/);
  const rawFile = path.join(h.home, 'raw-UNREDACTED.txt');
  assert.equal(open.stdout, `Saved ${rawFile}\n`);
  assert.ok(fs.readFileSync(rawFile, 'utf8').includes(BEARER));
  assert.match(fs.readFileSync(rawFile, 'utf8'), /^# Redacted: NOTHING/m);

  const intoDir = await runOpta(h, ['support', 'bundle', '--json', '--out', h.home], { env });
  assert.match(intoDir.stdout, new RegExp(`^Saved ${h.home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/opta-support-\\d{8}-\\d{6}\\.json\n$`));
  const nowhere = await runOpta(h, ['support', 'bundle', '--out', path.join(h.home, 'no', 'such', 'dir', 'b.txt')], { env });
  assert.equal(nowhere.code, 2);
  assert.match(nowhere.stderr, /the directory .*no\/such\/dir does not exist/);

  const stdout = await runOpta(h, ['support', 'bundle', '--out', '-'], { env });
  assert.match(stdout.stdout, /^# Opta Support Bundle\n/);
  noSecrets('the bundle on stdout', stdout.stdout, secrets);
});

test('a dead daemon with a corrupt state file and a hung LMX: the bundle finishes before its deadline, every section present, nothing changed; analyze reports what the live doctor did', async (t) => {
  const sim = await spawnLmxSim({ port: 0, mode: 'hang' });
  t.after(() => sim.stop());
  const port = await freePortBlock(3);
  const h = makeHome({ config: daemonConfig(port, 2, { lmx: { host: '127.0.0.1', port: sim.port, timeoutMs: 2000 } }) });
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(h.paths.sessionsDir, { recursive: true, mode: 0o700 });
  const token = 'c0ffee'.repeat(11);
  // Cut off mid-write, the token already in it: Node's JSON error quotes the start of the text.
  fs.writeFileSync(h.paths.stateFile, `{"pid": 999999, "port": ${port}, "token": "${token}", "host": "127.0.0.1", "da`, { mode: 0o600 });
  fs.writeFileSync(h.paths.logFile, '[10:00:01] INFO  daemon started on 127.0.0.1:9999\n[10:00:05] ERROR lmx preflight failed: TIMEOUT lmx-host.local:1234\n', { mode: 0o600 });
  const before = hashTree(h.optaHome);

  const file = path.join(h.home, 'broken.txt');
  const deadline = 6000;
  const r = await runOpta(h, ['support', 'bundle', '--out', file, '--timeout', String(deadline)]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < deadline + 1500, `the whole command took ${r.ms} ms against a ${deadline} ms deadline`);
  assert.equal(hashTree(h.optaHome), before, 'the bundle changed nothing in the home');
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(!text.includes(token), 'the corrupt state file\'s token is redacted');
  assert.deepEqual([...text.matchAll(/^## (.*)$/gm)].map((m) => m[1]), TITLES);
  assert.match(text, /^# Sections: 13, all complete in \d+\.\d s \(deadline 6\.0 s\)$/m);
  // What --fix would do for this stack, planned from the same doctor run; nothing of it ran (the hash above).
  const plan = sectionText(text, 'opta doctor --fix --dry-run (the plan only: nothing was run)');
  assert.match(plan, /fix-corrupt-state/);
  assert.match(plan, /lmx-timeout/, 'LMX, on another host, needs a person');
  assert.match(sectionText(text, 'opta daemon status'), /^Daemon: corrupt-state \(not-json/);
  assert.match(sectionText(text, 'opta doctor'), /Checking LMX\.\.\. +● .*(timed out|no answer)/);

  // The doctor run live on the same broken stack, then the bundle analysed offline: the same findings.
  const live = JSON.parse((await runOpta(h, ['doctor', '--json'])).stdout) as { findings: Array<{ id: string; message: string; remediation: string }> };
  assert.equal(hashTree(h.optaHome), before);
  const a = await runOpta(h, ['support', 'analyze', file, '--json']);
  assert.equal(a.code, 1, a.stderr);
  const analysis = JSON.parse(a.stdout) as { report: typeof live & { facts: Array<{ overridden: boolean }> }; missingFacts: unknown[]; comparedWithBundle: { same: boolean } };
  const pick = (fs_: typeof live.findings) => fs_.map((f) => `${f.id}: ${f.message} / ${f.remediation}`).sort();
  assert.deepEqual(pick(analysis.report.findings), pick(live.findings));
  assert.ok(live.findings.some((f) => f.id === 'daemon-state-corrupt') && live.findings.some((f) => f.id === 'lmx-timeout'), JSON.stringify(live.findings.map((f) => f.id)));
  assert.deepEqual(analysis.missingFacts, []);
  assert.ok(analysis.comparedWithBundle.same);
  assert.ok(analysis.report.facts.every((f) => f.overridden), 'every fact came from the bundle, none from this machine');
  const textAnalysis = await runOpta(h, ['support', 'analyze', file]);
  assert.match(textAnalysis.stdout, /^Analysis of .*broken\.txt\n/);
  assert.match(textAnalysis.stdout, /Checking daemon\.\.\. +● /);
  assert.match(textAnalysis.stdout, /Facts missing from the bundle: none\./);

  // A rule written after the bundle was made fires on it, from the facts the bundle holds.
  const rules = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-newrules-'));
  t.after(() => fs.rmSync(rules, { recursive: true, force: true }));
  for (const f of fs.readdirSync(path.join(ROOT, 'rules', 'doctor'))) fs.copyFileSync(path.join(ROOT, 'rules', 'doctor', f), path.join(rules, f));
  fs.writeFileSync(
    path.join(rules, 'lmx-hung-with-corrupt-state.json'),
    JSON.stringify({
      $schema: '../../schemas/rule.schema.json',
      name: 'lmx-hung-with-corrupt-state',
      conditions: { all: [{ fact: 'lmx', path: '$.error', operator: 'equal', value: 'timeout' }, { fact: 'state-file', path: '$.class', operator: 'equal', value: 'not-json' }] },
      event: { type: 'finding', params: { id: 'lmx-hung-with-corrupt-state', check: 'lmx', severity: 'warn', message: 'LMX {{lmx.address}} hangs while state.json is {{state-file.class}}', why: 'A rule support added after the bundle was made, to spot this combination.', remediation: 'opta daemon start', guide: 'State File Corrupt', fix: null } },
    }),
  );
  const again = await runOpta(h, ['support', 'analyze', file, '--json', '--rules', rules]);
  const later = JSON.parse(again.stdout) as { report: { findings: Array<{ id: string; message: string }> }; comparedWithBundle: { newFindings: string[] } };
  const fired = later.report.findings.find((f) => f.id === 'lmx-hung-with-corrupt-state');
  assert.ok(fired, JSON.stringify(later.report.findings.map((f) => f.id)));
  assert.equal(fired.message, `LMX 127.0.0.1:${sim.port} hangs while state.json is not-json`);
  assert.deepEqual(later.comparedWithBundle.newFindings, ['lmx-hung-with-corrupt-state']);
});

test("the guide's one-liner, verbatim, in a throwaway HOME with opta on PATH: a bundle on ~/Desktop with no secret in it", async (t) => {
  const h = makeHome({ viaDefault: true, config: { lmx: { host: '127.0.0.1', port: 1, apiKey: API_KEY } } });
  t.after(() => h.cleanup());
  fs.mkdirSync(path.join(h.home, 'Desktop'));
  const bin = path.join(h.home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'opta'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(OPTA_BIN)} "$@"\n`, { mode: 0o755 });
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  const token = 'feed'.repeat(16);
  fs.writeFileSync(h.paths.stateFile, JSON.stringify({ pid: 999999, port: 9999, host: '127.0.0.1', token, daemonId: 'd-1', startedAt: '2026-11-25T10:00:01Z', version: '1.1.0' }), { mode: 0o600 });
  fs.writeFileSync(h.paths.logFile, `[10:00:01] INFO  daemon started on 127.0.0.1:9999\n[10:00:02] ERROR upstream: Authorization: Bearer ${BEARER}\n[10:00:03] WARN  key ${API_KEY} and token=${token}\n`, { mode: 0o600 });
  const guide = fs.readFileSync(path.join(ROOT, 'docs', 'opta-troubleshooting.txt'), 'utf8');
  const oneLiner = guide.split('\n').find((l) => l.startsWith('OUT=~/Desktop/opta-support-'))!;
  assert.ok(oneLiner.endsWith('&& echo "Saved $OUT"'));
  const r = spawnSync('bash', ['-c', oneLiner], { env: { ...h.env, PATH: `${bin}:${h.env.PATH}` }, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const saved = /^Saved (.*opta-support-\d{8}-\d{6}\.txt)\n$/.exec(r.stdout);
  assert.ok(saved, r.stdout);
  assert.equal(path.dirname(saved[1]), path.join(h.home, 'Desktop'));
  const text = fs.readFileSync(saved[1], 'utf8');
  assert.match(text, /^# Opta Support Bundle\n# Generated: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n\nChecking daemon\.\.\. +● stale/);
  assert.match(text, /\nDaemon: stale \(state\.json names pid 999999/);
  assert.match(text, /\[10:00:02\] ERROR upstream: Authorization: Bearer \[REDACTED:bearer-1\]/);
  assert.match(text, /\nlmx\.apiKey +?= "\*+"/);
  noSecrets('the one-liner\'s bundle', text, [token, API_KEY, BEARER]);

  // The command the one-liner grew into: the same place, the same name, more inside.
  const b = await runOpta(h, ['support', 'bundle']);
  assert.equal(b.code, 0, b.stderr);
  const file = /^Saved (.*)\n$/.exec(b.stdout)![1];
  assert.match(path.basename(file), /^opta-support-\d{8}-\d{6}(-\d+)?\.txt$/);
  assert.notEqual(file, saved[1], "the one-liner's bundle is never overwritten, even within the same second");
  assert.equal(fs.readFileSync(saved[1], 'utf8'), text);
  assert.equal(path.dirname(file), path.join(h.home, 'Desktop'));
  noSecrets('opta support bundle', fs.readFileSync(file, 'utf8'), [token, API_KEY, BEARER]);
  // A one-liner bundle holds no facts: analyze says so instead of guessing.
  const a = await runOpta(h, ['support', 'analyze', saved[1]]);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /no bundle format line: it was made by the troubleshooting guide's shell one-liner/);
});

test('opta daemon logs --follow redacts what it follows', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(h.paths.logFile, '[10:00:01] INFO  daemon started on 127.0.0.1:9999\n');
  const f = spawnOpta(h, ['daemon', 'logs', '--follow', '--lines', '5']);
  t.after(() => killAndWait(f.child.pid!));
  await waitUntil(() => f.output().includes('daemon started'), 10000, 'the first line');
  fs.appendFileSync(h.paths.logFile, `[10:00:02] ERROR upstream: Authorization: Bearer ${BEARER}\n[10:00:03] WARN  permission request perm_001 timed out (5m), auto-denying\n`);
  await waitUntil(() => f.output().includes('perm_001'), 10000, 'the lines after the secret');
  assert.ok(!f.output().includes(BEARER), f.output());
  assert.match(f.output(), /Authorization: Bearer \[REDACTED:bearer-1\]\n/);
});

test('a bundle name opta chooses never replaces an earlier bundle of the same second', async () => {
  const { unusedName } = await import('../src/cli/support.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-names-'));
  try {
    const first = path.join(dir, 'opta-support-20261125-100001.txt');
    assert.equal(unusedName(first), first);
    fs.writeFileSync(first, 'one-liner');
    assert.equal(unusedName(first), path.join(dir, 'opta-support-20261125-100001-2.txt'));
    fs.writeFileSync(path.join(dir, 'opta-support-20261125-100001-2.txt'), 'second');
    assert.equal(unusedName(first), path.join(dir, 'opta-support-20261125-100001-3.txt'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('opta support bundle never replaces a bundle already there with the name it picks', async () => {
  const h = makeHome();
  try {
    const out = path.join(h.home, 'bundles');
    fs.mkdirSync(out);
    const { bundleFileName } = await import('../src/cli/support.js');
    // Earlier bundles under every name the next few seconds could give (the one-liner's, say).
    const t0 = Date.now();
    const taken = Array.from({ length: 8 }, (_, i) => path.join(out, bundleFileName(new Date(t0 + i * 1000))));
    for (const f of taken) fs.writeFileSync(f, `earlier ${f}`);
    const r = await runOpta(h, ['support', 'bundle', '--out', out, '--timeout', '4000']);
    assert.equal(r.code, 0, r.stderr);
    const saved = /^Saved (.*)\n$/.exec(r.stdout)![1];
    assert.ok(!taken.includes(saved), `wrote over ${saved}`);
    assert.match(path.basename(saved), /^opta-support-\d{8}-\d{6}-2\.txt$/);
    for (const f of taken) assert.equal(fs.readFileSync(f, 'utf8'), `earlier ${f}`);
  } finally {
    await h.cleanup();
  }
});

test('--out never replaces a file already there (a bundle, a config, a link): exit 2 before any section runs, the file as it was', async () => {
  const h = makeHome();
  try {
    const keep = path.join(h.home, 'notes.txt');
    fs.writeFileSync(keep, 'precious notes\n', { mode: 0o644 });
    const link = path.join(h.home, 'link.txt');
    fs.symlinkSync(keep, link);
    const dangling = path.join(h.home, 'dangling.txt');
    fs.symlinkSync(path.join(h.home, 'nowhere.txt'), dangling);
    fs.writeFileSync(path.join(h.home, 'raw-UNREDACTED.txt'), 'an earlier unredacted bundle\n');
    // Each says what is there: a dangling link is not "a file" (issue 26).
    const cases: Array<[string[], string, string]> = [
      [['--out', keep], keep, 'a file is already there'],
      [['--out', link], link, `a symbolic link to ${keep} is already there`],
      [['--out', dangling], dangling, `a symbolic link to a missing target (${path.join(h.home, 'nowhere.txt')}) is already there`],
      [['--json', '--out', keep], keep, 'a file is already there'],
      [['--no-redact', '--out', path.join(h.home, 'raw.txt')], path.join(h.home, 'raw-UNREDACTED.txt'), 'a file is already there'],
    ];
    for (const [args, shown, what] of cases) {
      const r = await runOpta(h, ['support', 'bundle', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.includes(`cannot write the bundle to ${shown}: ${what}, `), r.stderr);
      assert.doesNotMatch(r.stderr, /note: section|\n\s+at /, 'refused before the sections ran, no stack trace');
    }
    assert.equal(fs.readFileSync(keep, 'utf8'), 'precious notes\n');
    assert.equal(fs.statSync(keep).mode & 0o777, 0o644);
    assert.equal(fs.readlinkSync(link), keep);
    assert.equal(fs.readlinkSync(dangling), path.join(h.home, 'nowhere.txt'));
    assert.ok(!fs.existsSync(path.join(h.home, 'nowhere.txt')));
    assert.equal(fs.readFileSync(path.join(h.home, 'raw-UNREDACTED.txt'), 'utf8'), 'an earlier unredacted bundle\n');
    // A place nothing can be written to: one plain sentence, before the sections ran.
    const proc = await runOpta(h, ['support', 'bundle', '--out', '/proc/opta-bundle.txt']);
    assert.equal(proc.code, 2);
    assert.match(proc.stderr, /^opta: cannot write the bundle to \/proc\/opta-bundle\.txt: ENOENT[^\n]*\. Choose another place with --out \(or --out - for stdout\)\.\n$/);
    assert.doesNotMatch(proc.stderr, /unchanged|\.\.|failed to write|note: section/);
    // A name not taken is written, once.
    const fresh = path.join(h.home, 'fresh.txt');
    const ok = await runOpta(h, ['support', 'bundle', '--out', fresh, '--timeout', '4000']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `Saved ${fresh}\n`);
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(h.home).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
  } finally {
    await h.cleanup();
  }
});

test('a daemon.log that is a FIFO (no writer) cannot stall the bundle past its deadline, nor opta daemon logs: the section says what it is', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  const mk = spawnSync('mkfifo', [h.paths.logFile]);
  assert.equal(mk.status, 0, String(mk.stderr));
  const b = await runOpta(h, ['support', 'bundle', '--out', '-', '--timeout', '4000'], { timeoutMs: 15000 });
  assert.equal(b.code, 0, b.stderr);
  assert.ok(b.ms < 4000 + 3000, `took ${b.ms} ms`);
  assert.match(sectionText(b.stdout, 'opta daemon logs --lines 200'), /^\(not available: failed to read log file .*daemon\.log: .*daemon\.log is a FIFO, not a file opta wrote/);
  assert.match(b.stdout, /\n## doctor report \(JSON/);
  const l = await runOpta(h, ['daemon', 'logs', '--lines', '5'], { timeoutMs: 15000 });
  assert.notEqual(l.code, 0);
  assert.match(l.stderr, /daemon\.log is a FIFO, not a file opta wrote/);
  assert.doesNotMatch(l.stderr, /\n\s+at /);
});

test('a section that runs out of time is named once on stderr: "ran out of time: no answer within N ms"', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const r = await runOpta(h, ['support', 'bundle', '--out', '-', '--timeout', '100']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^opta: note: section "doctor report \(JSON: the facts opta support analyze reads\)" ran out of time: no answer within \d+ ms$/m);
  assert.doesNotMatch(r.stderr, /ran out of time: ran out of time/);
});

test('a huge daemon.log without line breaks (NULs after a power loss): the bundle keeps its deadline and takes only the log\'s last MiB, saying so', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  // Sparse: 200 MiB on the clock, nothing on the disk.
  fs.writeFileSync(h.paths.logFile, '[10:00:01] INFO  daemon started on 127.0.0.1:9999\n');
  fs.truncateSync(h.paths.logFile, 200 * 1024 * 1024);
  fs.appendFileSync(h.paths.logFile, '\n[10:00:02] WARN  permission request perm_001 timed out (5m), auto-denying\n');
  const r = await runOpta(h, ['support', 'bundle', '--out', '-', '--timeout', '3000'], { timeoutMs: 30000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 3000 + 2500, `took ${r.ms} ms`);
  const logs = sectionText(r.stdout, 'opta daemon logs --lines 200');
  assert.ok(logs.length < 1024 * 1024 + 4096, `the log section is ${logs.length} characters`);
  assert.match(logs, /^\(the last 200 lines of .*daemon\.log are longer than 1 MiB: only its last 1 MiB is shown\)\n/);
  assert.match(logs, /\[10:00:02\] WARN {2}permission request perm_001 timed out \(5m\), auto-denying$/);
  assert.ok(r.stdout.length < 4 * 1024 * 1024, `the bundle is ${r.stdout.length} characters`);
});
