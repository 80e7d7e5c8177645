// Bundle redaction promises across sections: one placeholder per secret everywhere (text and JSON data, revealed before or after), and header counts that match the bundle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optaPaths } from '../src/core/paths.js';
import { buildBundle, redactionLine, renderBundleJson, type Section } from '../src/support/bundle.js';
import { makeHome } from './helpers/env.js';

const SECRET = 'Zq81vLm0Rt55xWpe9K';

test('a secret printed bare before (and after) the section that reveals it gets one placeholder everywhere, in the JSON data too; the header counts are exact', async () => {
  const h = makeHome();
  try {
    const sections: Section[] = [
      { id: 'early', title: 'early', timeoutMs: 1000, collect: async () => ({ text: `retrying as ${SECRET}`, data: { note: `retrying as ${SECRET}`, list: [SECRET] } }) },
      { id: 'reveal', title: 'reveal', timeoutMs: 1000, collect: async () => ({ text: `Authorization: Bearer ${SECRET}`, data: { header: `Authorization: Bearer ${SECRET}` } }) },
      { id: 'late', title: 'late', timeoutMs: 1000, collect: async () => ({ text: `again ${SECRET} and ${SECRET}` }) },
    ];
    const b = await buildBundle({ paths: optaPaths(h.optaHome), env: h.env, sections, deadlineMs: 3000 });
    const json = renderBundleJson(b);
    assert.ok(!json.includes(SECRET), 'the secret appears nowhere');
    const placeholders = json.match(/\[REDACTED:[a-z0-9-]+\]/g) ?? [];
    assert.deepEqual([...new Set(placeholders)], ['[REDACTED:bearer-1]'], 'one placeholder for one value');
    assert.equal(b.sections[0].text, 'retrying as [REDACTED:bearer-1]');
    assert.deepEqual(b.sections[0].data, { note: 'retrying as [REDACTED:bearer-1]', list: ['[REDACTED:bearer-1]'] });
    assert.equal(b.sections[2].text, 'again [REDACTED:bearer-1] and [REDACTED:bearer-1]');
    // Every place it was replaced: the text and 2 data strings in early, text and data in reveal, 2 in late.
    assert.equal(placeholders.length, 7);
    assert.deepEqual({ values: b.redaction.values, occurrences: b.redaction.occurrences, byLabel: b.redaction.byLabel }, { values: 1, occurrences: 7, byLabel: { bearer: 1 } });
    assert.match(redactionLine(b), /^# Redacted: 1 value in 7 places \(bearer 1\);/);
  } finally {
    await h.cleanup();
  }
});
