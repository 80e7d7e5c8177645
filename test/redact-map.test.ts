// The local placeholder map ($XDG_STATE_HOME/opta/redact-map.json): 0600, keyed hashes and never a value, outside the
// opta home, and `opta daemon logs` reads it without writing it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { hashTree, makeHome, runOpta, treeChanges } from './helpers/env.js';

const ALPHA = 'Alpha7secretValue1q';
const BETA = 'Beta9otherValue22zx';
const GAMMA = 'Gamma3newValue333kw';

/** Every form of a value a reader of the file could turn back into it. */
function encodings(v: string): string[] {
  const b = Buffer.from(v);
  return [v, b.toString('hex'), b.toString('hex').slice(0, 32), b.toString('base64').replace(/=+$/, ''), encodeURIComponent(v)];
}

test('the placeholder map: 0600 under $XDG_STATE_HOME/opta, keyed hashes and no value; opta daemon logs looks placeholders up and never writes it', async (t) => {
  const h = makeHome();
  t.after(() => h.cleanup());
  const env = { XDG_STATE_HOME: path.join(h.home, 'state') };
  const map = path.join(h.home, 'state', 'opta', 'redact-map.json');
  const input = path.join(h.home, 'app.env');
  fs.writeFileSync(input, `password=${ALPHA}\napi_secret=${BETA}\n`);
  const home = hashTree(h.optaHome);
  const r = await runOpta(h, ['support', 'redact', input], { env });
  assert.equal(r.code, 0, r.stderr);
  const alpha = /^password=(\[REDACTED:[a-z0-9-]+\])$/m.exec(r.stdout)?.[1];
  assert.ok(alpha, r.stdout);
  assert.deepEqual(treeChanges(home, hashTree(h.optaHome)), [], 'the opta home is unchanged: the map lives outside it');

  assert.ok(fs.existsSync(map), `the map is at ${map}`);
  assert.equal(fs.statSync(map).mode & 0o777, 0o600, 'the map (it holds its HMAC key) is private');
  assert.equal(fs.statSync(path.dirname(map)).mode & 0o077, 0, 'its directory is not open to others');
  const text = fs.readFileSync(map, 'utf8');
  for (const v of [ALPHA, BETA]) for (const e of encodings(v)) assert.ok(!text.includes(e), `the map holds no form of the value (${e})`);
  const parsed = JSON.parse(text) as { key: string; entries: Record<string, string> };
  assert.match(parsed.key, /^[0-9a-f]{64}$/);
  assert.ok(Object.keys(parsed.entries).length >= 2, text);
  for (const [hash, placeholder] of Object.entries(parsed.entries)) {
    assert.match(hash, /^[0-9a-f]{32}$/);
    assert.match(placeholder, /^\[REDACTED:[a-z0-9-]+-\d+\]$/);
  }

  // daemon logs: ALPHA after a new value of its kind keeps the map's placeholder (numbered afresh it would not), and
  // the map is not written (GAMMA is not remembered).
  fs.mkdirSync(h.paths.daemonDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(h.paths.logFile, `[10:00:01] ERROR retry with password=${GAMMA}\n[10:00:02] ERROR retry with password=${ALPHA}\n`, { mode: 0o600 });
  const before = fs.readFileSync(map);
  const beforeStat = fs.statSync(map);
  const logs = await runOpta(h, ['daemon', 'logs'], { env });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, new RegExp(`password=${alpha.replace(/[[\]]/g, '\\$&')}$`, 'm'), logs.stdout);
  assert.ok(!logs.stdout.includes(GAMMA) && !logs.stdout.includes(ALPHA), logs.stdout);
  assert.deepEqual(fs.readFileSync(map), before, 'opta daemon logs did not write the map');
  assert.equal(fs.statSync(map).mtimeMs, beforeStat.mtimeMs);
});
