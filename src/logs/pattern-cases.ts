// `opta rules test` for log patterns: each example, written as a daemon.log line of each of its levels, goes through the
// real Matcher (prefilter, families) with every pattern of its set; it must land in its pattern with the values it names,
// and each near miss must not land in it.
import { shown, type CaseResult, type KindTester, type RuleTestResult } from '../rules/rule-test.js';
import { Matcher } from './matcher.js';
import type { LogPattern } from './pattern-schema.js';
import { exampleLine } from './pattern-types.js';
import { regexInfo } from './regex-info.js';
import { newSegment } from './run-scope.js';

/** Which pattern (index) a message of `level` lands in, and the values it captured; null when none. */
function land(matcher: Matcher, count: number, level: string, message: string): { index: number; values: Record<string, string> } | null {
  const line = `[12:00:00] ${level.padEnd(5)} ${message}\n`;
  const r = newSegment(0, 0, line.length, count);
  matcher.scan(line, 0, line.length, r);
  const index = r.acc.findIndex((a) => a !== null);
  return index < 0 ? null : { index, values: r.acc[index]!.last.values };
}

export const patternTester: KindTester = {
  async test(items) {
    const patterns = items.map((i) => i.rule as LogPattern);
    const matcher = new Matcher(patterns);
    const results: RuleTestResult[] = [];
    patterns.forEach((p, index) => {
      const cases: CaseResult[] = [];
      p.examples.forEach((ex, i) => {
        const message = exampleLine(ex);
        const want = typeof ex === 'string' ? undefined : ex.values;
        const name = `example ${i + 1}: ${message}`;
        for (const level of p.levels) {
          const got = land(matcher, patterns.length, level, message);
          let detail: string | null = null;
          if (!got) detail = `${level} line matched no pattern (its regex or prefilter let it through)`;
          else if (got.index !== index) detail = `${level} line landed in ${patterns[got.index].id}, not in this pattern`;
          else if (want) {
            // A group that took no part in the match captures "" (as the matcher reports it); unlisted means "".
            const diff = [...new Set([...Object.keys(want), ...Object.keys(got.values)])].filter((k) => (want[k] ?? '') !== (got.values[k] ?? ''));
            if (diff.length) detail = `captured ${diff.map((k) => `${k}=${shown(got.values[k])}`).join(', ')}, expected ${diff.map((k) => `${k}=${shown(want[k])}`).join(', ')}`;
          }
          cases.push({ kind: 'example', name: p.levels.length > 1 ? `${name} (${level})` : name, ok: detail === null, detail });
        }
      });
      (p.nearMisses ?? []).forEach((miss, i) => {
        const hits = p.levels.filter((level) => land(matcher, patterns.length, level, miss)?.index === index);
        cases.push({ kind: 'near-miss', name: `near miss ${i + 1}: ${miss}`, ok: !hits.length, detail: hits.length ? `matched this pattern at ${hits.join(', ')}` : null });
      });
      const missing = p.nearMisses?.length ? [] : ['a near miss (nearMisses)'];
      // A pattern whose message quotes what it captured is tested on those values.
      if (regexInfo(p.regex).groups.length && !p.examples.some((ex) => typeof ex !== 'string' && ex.values)) missing.push('an example with the values its named groups capture ({ line, values })');
      results.push({ kind: 'logs', id: p.id, file: items[index].file, cases, missing });
    });
    return results;
  },
};
