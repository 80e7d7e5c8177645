// One table of conditions run through json-rules-engine and the rule language's synchronous evaluator (fix guards): they agree; unknown facts never let a step run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from 'json-rules-engine';
import type { Condition } from '../src/rules/language/condition.js';
import { evaluateCondition } from '../src/rules/language/evaluate.js';
import { resolvePath } from '../src/rules/language/operators.js';
import { fillTemplate } from '../src/rules/language/template.js';
import { visible } from '../src/rules/language/escape.js';
import { evaluateGuard } from '../src/fix/guard.js';
import { Matcher } from '../src/logs/matcher.js';
import type { LogPattern } from '../src/logs/pattern-schema.js';
import { newSegment } from '../src/logs/run-scope.js';

const facts: Record<string, Record<string, unknown>> = {
  daemon: { ok: true, status: 'stale', pid: 7, port: '9990', list: ['a', 1], none: null, flag: false, name: 'opta-daemon' },
  lmx: { ok: true, pid: 7, models: [] },
};
const d = (path: string, operator: string, value: unknown) => ({ fact: 'daemon', path, operator, value }) as Condition;

/** Conditions on known facts: [condition, what json-rules-engine answers]. */
const KNOWN: Array<[Condition, boolean]> = [
  [d('$.status', 'equal', 'stale'), true],
  [d('$.status', 'equal', 'running'), false],
  [d('$.status', 'notEqual', 'running'), true],
  [d('$.pid', 'equal', '7'), false],
  [d('$.none', 'equal', null), true],
  [d('$.flag', 'notEqual', true), true],
  [d('$.pid', 'lessThan', 8), true],
  [d('$.pid', 'lessThan', 7), false],
  [d('$.pid', 'lessThanInclusive', 7), true],
  [d('$.pid', 'greaterThan', 6), true],
  [d('$.pid', 'greaterThanInclusive', 8), false],
  [d('$.port', 'greaterThan', 9000), true], // a numeric string passes the engine's number check and compares as JS does
  [d('$.status', 'greaterThan', 1), false],
  [d('$.none', 'lessThan', 1), false],
  [d('$.flag', 'lessThan', 1), false],
  [d('$.status', 'in', ['stale', 'foreign']), true],
  [d('$.status', 'in', ['running']), false],
  [d('$.status', 'notIn', ['running']), true],
  [d('$.status', 'notIn', ['stale']), false],
  [d('$.status', 'in', 'a stale one'), true], // a string value: the engine searches it as text
  [d('$.pid', 'in', [7, 8]), true],
  [d('$.list', 'contains', 'a'), true],
  [d('$.list', 'contains', 'b'), false],
  [d('$.list', 'doesNotContain', 'b'), true],
  [d('$.list', 'doesNotContain', 1), false],
  [d('$.status', 'contains', 's'), false], // contains wants an array fact value
  [d('$.status', 'doesNotContain', 's'), false],
  [d('$.pid', 'equal', { fact: 'lmx', path: '$.pid' }), true],
  [d('$.pid', 'notEqual', { fact: 'lmx', path: '$.pid' }), false],
  [{ fact: 'lmx', path: '$.models', operator: 'doesNotContain', value: 'qwen' }, true],
  [{ all: [d('$.pid', 'equal', 7), d('$.status', 'equal', 'stale')] }, true],
  [{ all: [d('$.pid', 'equal', 7), d('$.status', 'equal', 'running')] }, false],
  [{ any: [d('$.pid', 'equal', 8), d('$.status', 'equal', 'stale')] }, true],
  [{ any: [d('$.pid', 'equal', 8), d('$.status', 'equal', 'running')] }, false],
  [{ not: d('$.status', 'equal', 'stale') }, false],
  [{ not: d('$.status', 'equal', 'running') }, true],
  [{ not: { not: d('$.status', 'equal', 'stale') } }, true],
  [{ all: [{ any: [d('$.pid', 'equal', 1), { not: d('$.flag', 'equal', true) }] }, d('$.list', 'contains', 1)] }, true],
];

/** Conditions whose answer depends on a fact that is unknown (missing, failed, or a path that leads nowhere). */
const UNKNOWN: Condition[] = [
  { fact: 'nope', path: '$.x', operator: 'notIn', value: [1] },
  d('$.missing', 'notEqual', 1),
  d('$.missing', 'equal', 1),
  { fact: 'ports', path: '$.count', operator: 'lessThan', value: 1 },
  d('$.pid', 'notEqual', { fact: 'nope', path: '$.pid' }),
  { not: d('$.missing', 'equal', 'running') },
  { not: { fact: 'ports', path: '$.count', operator: 'greaterThan', value: 0 } },
  { not: { not: { not: d('$.missing', 'in', ['x']) } } },
  { all: [d('$.pid', 'equal', 7), { not: d('$.missing', 'equal', 1) }] },
  { any: [d('$.pid', 'equal', 8), { not: d('$.missing', 'equal', 1) }] },
];

async function engineSays(c: Condition, values: Record<string, unknown>): Promise<boolean> {
  const engine = new Engine([], { allowUndefinedFacts: true, pathResolver: resolvePath });
  for (const [id, v] of Object.entries(values)) engine.addFact(id, () => v);
  engine.addRule({ conditions: { all: [c] } as never, event: { type: 'hit' } });
  const { events } = await engine.run();
  return events.length === 1;
}

test('the shared table: json-rules-engine and the synchronous evaluator give the same answer on known facts', async () => {
  for (const [c, expected] of KNOWN) {
    assert.equal(await engineSays(c, facts), expected, `engine: ${JSON.stringify(c)}`);
    assert.equal(evaluateCondition(c, (f) => facts[f]).value, expected, `evaluator: ${JSON.stringify(c)}`);
    assert.equal(evaluateGuard(c, facts as never).held, expected, `guard: ${JSON.stringify(c)}`);
  }
});

test('an unknown or failed fact never lets a step run, `not` included', () => {
  const withFailed: Record<string, Record<string, unknown>> = { ...facts, ports: { ok: false, error: 'timed out', timedOut: true } };
  for (const c of UNKNOWN) {
    assert.equal(evaluateCondition(c, (f) => (withFailed[f]?.ok === false ? undefined : withFailed[f])).value, null, JSON.stringify(c));
    assert.equal(evaluateGuard(c, withFailed as never).held, false, JSON.stringify(c));
  }
  // A known answer still decides where the unknown part cannot change it.
  assert.equal(evaluateGuard({ all: [d('$.pid', 'equal', 8), { not: d('$.missing', 'equal', 1) }] }, facts as never).held, false);
  assert.equal(evaluateGuard({ any: [d('$.pid', 'equal', 7), { not: d('$.missing', 'equal', 1) }] }, facts as never).held, true);
  assert.equal(evaluateGuard({ not: d('$.missing', 'equal', 1) }, facts as never).detail, 'not (daemon.missing is unknown (runs when equal 1))');
});

test('one template filler for both syntaxes, one escaper for text from outside', () => {
  const vars = { daemon: { status: 'stale', evil: 'a\nb\r\u001b[2J\u0007\u0085\u2028\u2029z', list: [1] }, count: 3, 'a.b': 'dotted' };
  assert.equal(fillTemplate('{{daemon.status}} {{ daemon.list }} {{daemon.nope}} {{count*2}}', vars), 'stale [1] (unknown) {{count*2}}');
  assert.equal(fillTemplate('{{daemon.evil}}', vars), 'a\\nb\\r\\x1b[2J\\x07\\x85\\u2028\\u2029z');
  assert.equal(fillTemplate('{{count*2}} {{a.b}} {{daemon.status}} {{nope}} {{a-b}}', vars, 'logs'), '6 dotted stale (unknown) {{a-b}}');
  assert.equal(fillTemplate('{{daemon.evil}}', vars, 'logs'), 'a\\nb\\r\\x1b[2J\\x07\\x85\\u2028\\u2029z');
  assert.equal(visible('tab\tstays \u00e9 \u{1F600}'), 'tab\tstays \u00e9 \u{1F600}');
  assert.equal(visible('\u0000\u007f\u009f'), '\\x00\\x7f\\x9f');
});

test('the log matcher quotes with the same escaper: a CR and U+2028 inside a value or sample cannot break a line', () => {
  const pattern: LogPattern = { id: 'boom', levels: ['ERROR'], regex: '^boom: (?<what>[\\s\\S]*)$', severity: 'error', message: 'm', why: 'w', remediation: 'r', guide: 'g', check: null, fix: null, examples: ['boom: x'] };
  const s = Buffer.from('[10:00:00] ERROR boom: a\u2028b\rc\u001b[2J\n', 'utf8').toString('latin1');
  const r = newSegment(0, 0, s.length, 1);
  new Matcher([pattern]).scan(s, 0, s.length, r);
  assert.equal(r.acc[0]?.last.values.what, 'a\\u2028b\\rc\\x1b[2J');
  assert.equal(r.acc[0]?.samples[0].text, '[10:00:00] ERROR boom: a\\u2028b\\rc\\x1b[2J');
});
