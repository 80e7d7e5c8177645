// Redaction shapes (rules/redact) as tables: each file's examples redact and look-alikes survive the whole redactor; placeholders are stable; broken shape files are refused.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { kindById } from '../src/cli/rule-kinds.js';
import { validateKindText } from '../src/rules/validate.js';
import { Logger } from '../src/daemon/server/logger.js';
import { installLogScrubber } from '../src/daemon/server/daemon.js';
import { DEFAULT_CONFIG } from '../src/core/config-lite.js';
import { loadShapes } from '../src/redact/load-shapes.js';
import { lineRedactor, placeholderCounts, Redactor } from '../src/redact/redactor.js';
import type { RedactRule } from '../src/redact/redact-schema.js';
import { redactValidator } from '../src/redact/rule-kind.js';
import { knownSecrets, labelOfKey } from '../src/redact/known-secrets.js';
import { makeHome, ROOT, runOpta } from './helpers/env.js';

const DIR = path.join(ROOT, 'rules', 'redact');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const { shapes, rules, problems } = await loadShapes();
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IiLCJleHAiOjE3MDB9.c2lnLW5vdC1yZWFsLTk4NzY1NDMyMQ';

test('the built-in shapes load without problems, one per file named by its id, each naming the schema', () => {
  assert.deepEqual(problems, []);
  assert.equal(rules.length, files.length);
  assert.ok(files.length >= 10, 'bearer, jwt, keys, url credentials, private keys, key=value pairs, ...');
  for (const f of files) {
    const raw = JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as RedactRule;
    assert.equal(raw.$schema, '../../schemas/redact.schema.json', f);
    assert.equal(`${raw.id}.json`, f);
    assert.ok(raw.sources?.length, `${f}: says which public scanner the shape was learned from`);
  }
  for (const label of ['bearer', 'jwt', 'aws-access-key', 'github-token', 'slack-token', 'api-key', 'url-credentials', 'private-key', 'kv-secret', 'basic-auth', 'token']) {
    assert.ok(rules.some((r) => r.label === label), `a shape labelled ${label}`);
  }
});

for (const rule of rules) {
  test(`shape ${rule.id}: every example is redacted and every look-alike survives, with all shapes together`, () => {
    // A paranoid-only shape (e-mails, addresses, host names) is checked under --redact paranoid.
    const opts = { profile: rule.profile === 'paranoid' ? ('paranoid' as const) : ('standard' as const) };
    for (const e of rule.examples) {
      const r = new Redactor(shapes, [], opts);
      const out = r.text(e.text);
      assert.ok(!out.includes(e.secret), `${rule.id}: ${JSON.stringify(e.text)} -> ${out}`);
      assert.match(out, /\[REDACTED:[a-z0-9-]+-1\]/);
      assert.ok((r.counts().byLabel[rule.label] ?? 0) >= 1 || e.text !== out, `${rule.id}: counted`);
    }
    for (const l of rule.lookalikes) assert.equal(new Redactor(shapes, [], opts).text(l), l, `${rule.id}: look-alike ${JSON.stringify(l)} must survive`);
  });
}

test('the texts people read survive: every doctor rule, the guide, the README', () => {
  const texts: string[] = [];
  for (const f of fs.readdirSync(path.join(ROOT, 'rules', 'doctor'))) {
    const p = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', 'doctor', f), 'utf8')).event.params;
    texts.push(p.message, p.why, p.remediation);
  }
  texts.push(...fs.readFileSync(path.join(ROOT, 'docs', 'opta-troubleshooting.txt'), 'utf8').split('\n'));
  texts.push(...fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n'));
  const changed = texts.filter((t) => new Redactor(shapes).text(t) !== t);
  assert.deepEqual(changed, []);
});

test('look-alikes a person quotes to support survive: timestamps, versions, models, paths, ports, session and request ids, daemonId', () => {
  const text = [
    '[10:00:01] INFO  daemon started on 127.0.0.1:9999',
    '[10:05:00] WARN  permission request perm_001 timed out (5m), auto-denying',
    '[10:00:02] WARN  session dir already exists, skipping mkdir',
    'Checking model...         ● loaded (qwen3-30b-a3b)',
    'startedAt 2026-11-25T10:00:01.123Z version 1.1.0 node v20.11.1',
    'session sess-2026-01-alpha turn turn_0042 requestId perm_017',
    'daemonId: 0b7c1f0e-1111-4222-8333-444455556666',
    'state:    ~/.config/opta/daemon/state.json',
    '  token:    ******** (shown with --show-secrets)',
    'lmx.apiKey            = "********"',
    '127.0.0.1:10001 (daemon.portRange) listening: pid 4242: python3 -m http.server 10001',
    '{"checks": [{"id": "lmx", "ms": 1750}], "counts": {"errors": 1}, "tokens": 512}',
  ].join('\n');
  assert.equal(new Redactor(shapes).text(text), text);
});

test('the same secret gets the same placeholder within one redactor, whichever shape or section finds it; counts are per kind', () => {
  const r = new Redactor(shapes);
  const a = r.text(`Authorization: Bearer abc123def456ghi789\nagain: Bearer abc123def456ghi789`);
  const b = r.text(`{"session_token": "abc123def456ghi789", "id": "${JWT}"}`);
  assert.equal(a, 'Authorization: Bearer [REDACTED:bearer-1]\nagain: Bearer [REDACTED:bearer-1]');
  assert.equal(b, '{"session_token": "[REDACTED:bearer-1]", "id": "[REDACTED:jwt-1]"}');
  const c = r.text('Bearer zzz999yyy888xxx777');
  assert.equal(c, 'Bearer [REDACTED:bearer-2]');
  assert.deepEqual(r.counts(), { byLabel: { bearer: 2, jwt: 1 }, values: 3 });
  assert.equal(placeholderCounts(a + b + c).occurrences, 5);
});

test('a secret a shape found is replaced wherever it turns up again bare (later on the line, in a later text, in a JSON value); a plain word found as one is not', () => {
  const r = new Redactor(shapes);
  assert.equal(r.text('Authorization: Bearer b3arerTok3n0123456789abcdef'), 'Authorization: Bearer [REDACTED:bearer-1]');
  assert.equal(r.text('retrying as b3arerTok3n0123456789abcdef'), 'retrying as [REDACTED:bearer-1]');
  assert.equal(r.text('password=Hunter2Pass!x and later Hunter2Pass!x'), 'password=[REDACTED:kv-secret-1] and later [REDACTED:kv-secret-1]');
  assert.deepEqual(r.value({ note: 'sent Hunter2Pass!x' }), { note: 'sent [REDACTED:kv-secret-1]' });
  // A value a shape took that is a plain word stays where it was found: replacing "invalid" everywhere would wreck the text.
  assert.equal(r.text('ws auth failed, token: invalid'), 'ws auth failed, token: [REDACTED:kv-secret-2]');
  assert.equal(r.text('config invalid'), 'config invalid');
  // Text redacted before a secret was found gets it on a second look (the bundle takes one after all its sections).
  const early = 'first seen bare: s3cretFoundLater-42';
  assert.equal(r.text(early), early);
  r.text('secret=s3cretFoundLater-42');
  assert.equal(r.again(early), 'first seen bare: [REDACTED:kv-secret-3]');
  assert.deepEqual(r.again({ a: [early] }), { a: ['first seen bare: [REDACTED:kv-secret-3]'] });
});

test('JSON values: strings through the shapes, and the whole value of a secret-named key', () => {
  const r = new Redactor(shapes);
  const v = r.value({ lmx: { apiKey: 'whatever it is', host: 'lmx-host.local' }, state: { token: '********' }, list: [{ password: 12345 }], key: 'lmx.host', tokens: 3, note: `id ${JWT}` });
  assert.deepEqual(v, { lmx: { apiKey: '[REDACTED:kv-secret-1]', host: 'lmx-host.local' }, state: { token: '********' }, list: [{ password: '[REDACTED:kv-secret-2]' }], key: 'lmx.host', tokens: 3, note: 'id [REDACTED:jwt-1]' });
});

test('known secrets of a home: the token of a valid or a corrupt state.json, secret settings, secret-named OPTA_* variables', () => {
  const h = makeHome();
  try {
    fs.mkdirSync(h.paths.daemonDir, { recursive: true });
    const token = 'f00d'.repeat(16);
    fs.writeFileSync(h.paths.stateFile, `{"pid": 4242, "port": 9999, "token": "${token}", "dae`);
    fs.writeFileSync(h.paths.configFile, JSON.stringify({ lmx: { apiKey: 'my-lmx-key-123' } }));
    const k = knownSecrets(h.paths, { OPTA_LMX_TOKEN: 'env-token-999', OPTA_HOME: '/x', HOME: '/y' }, shapes);
    assert.deepEqual(k, [
      { value: token, label: 'daemon-token' },
      { value: 'my-lmx-key-123', label: 'lmx-api-key' },
      { value: 'env-token-999', label: 'env-secret' },
    ]);
    assert.equal(labelOfKey('lmx.apiKey'), 'lmx-api-key');
    const r = new Redactor(shapes, k);
    assert.equal(r.text(`x ${token}x my-lmx-key-123 /x env-token-999`), 'x [REDACTED:daemon-token-1]x [REDACTED:lmx-api-key-1] /x [REDACTED:env-secret-1]');
  } finally {
    fs.rmSync(h.home, { recursive: true, force: true });
  }
});

test('the daemon log scrubber: the token, the API key and secret shapes never reach daemon.log', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-scrub-'));
  try {
    const file = path.join(dir, 'daemon.log');
    const logger = new Logger(file, 1 << 20);
    const token = 'ab12'.repeat(16);
    await installLogScrubber(logger, token, { ...DEFAULT_CONFIG, lmx: { ...DEFAULT_CONFIG.lmx, apiKey: 'lmx-key-never-logged' } });
    logger.error(`request failed: GET /v3/health?token=${token} with key lmx-key-never-logged`);
    logger.error('lmx preflight failed: ECONNREFUSED http://opta:pw-in-url-9@lmx-host.local:1234/readyz');
    logger.info('daemon started on 127.0.0.1:9999');
    logger.close();
    const log = fs.readFileSync(file, 'utf8');
    for (const s of [token, 'lmx-key-never-logged', 'pw-in-url-9']) assert.ok(!log.includes(s), `${s} in ${log}`);
    assert.match(log, /\[REDACTED:daemon-token-1\]/);
    assert.match(log, /INFO  daemon started on 127\.0\.0\.1:9999\n$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a broken shape file is refused with its path and JSON path: bad regex, empty match, example not redacted, look-alike eaten, {{keys}} without keys', () => {
  const kind = kindById('redact')!;
  const good = JSON.parse(fs.readFileSync(path.join(DIR, 'bearer.json'), 'utf8')) as RedactRule;
  const cases: Array<[string, (r: RedactRule) => void, string, RegExp]> = [
    ['bad regex', (r) => (r.patterns[0].regex = '(unclosed'), '$.patterns[0].regex', /not a valid regex/],
    ['empty match', (r) => (r.patterns[0].regex = 'x*'), '$.patterns[0].regex', /empty string/],
    ['empty secret group', (r) => (r.patterns[0].regex = 'Bearer(?<secret>\\d*)'), '$.patterns[0].regex', /empty string/],
    ['example not redacted', (r) => (r.examples[0] = { text: 'nothing here at all', secret: 'here' }), '$.examples[0]', /not redacted/],
    ['secret not in text', (r) => (r.examples[0] = { text: 'Bearer abc123def456', secret: 'zzz' }), '$.examples[0].secret', /not part/],
    ['look-alike eaten', (r) => r.lookalikes.push('Authorization: Bearer realtoken123'), `$.lookalikes[${good.lookalikes.length}]`, /changed/],
    ['keys missing', (r) => (r.patterns[0].regex = '{{keys}}=(?<secret>\\w+)'), '$.patterns[0].regex', /no "keys"/],
    ['bad flag', (r) => (r.patterns[0].flags = 'g'), '$.patterns[0].flags', /only i, m, s and u/],
    ['bad label', (r) => (r.label = 'Bearer Token'), '$.label', /kebab/],
  ];
  for (const [what, mutate, jsonPath, message] of cases) {
    const r = structuredClone(good);
    mutate(r);
    const v = validateKindText(kind, redactValidator, '/x/bearer.json', JSON.stringify(r));
    assert.ok(v.problems.some((p) => p.jsonPath === jsonPath && message.test(p.message) && p.file === '/x/bearer.json'), `${what}: ${JSON.stringify(v.problems)}`);
  }
});

test('opta rules validate/list cover the redact kind', async () => {
  const h = makeHome();
  try {
    const v = await runOpta(h, ['rules', 'validate', '--kind', 'redact']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, new RegExp(`^redact: ${files.length} file\\(s\\) valid$`, 'm'));
    const list = await runOpta(h, ['rules', 'list', '--kind', 'redact']);
    assert.match(list.stdout, /^bearer\s+bearer\s+70\b/m);
  } finally {
    await h.cleanup();
  }
});

test('a followed stream is redacted whole lines at a time: a secret split across reads is still found', () => {
  const out: string[] = [];
  const s = lineRedactor(new Redactor(shapes), (t) => out.push(t));
  s.push('[10:00:02] ERROR Authorization: Bearer abc123de');
  assert.deepEqual(out, [], 'nothing of an unfinished line is written');
  s.push('f456ghi789\n[10:00:03] INFO  next');
  s.push(' line\nlast without newline ghp_0123456789abcdefghij');
  s.end();
  assert.deepEqual(out, ['[10:00:02] ERROR Authorization: Bearer [REDACTED:bearer-1]\n', '[10:00:03] INFO  next line\n', 'last without newline ghp_0123456789abcdefghij']);
});
