// Which loaded doctor rules a run keeps (--only/--skip), and the usage error of a run that would have no rules at all.
import { UsageError } from '../core/errors.js';
import type { LoadResult } from './load-rules.js';
import type { LoadedRule } from './rule-types.js';

function matches(rule: LoadedRule, tokens: string[]): boolean {
  const p = rule.rule.event.params;
  return tokens.includes(p.id) || tokens.includes(p.check);
}

export function selectRules(rules: LoadedRule[], only: string[] = [], skip: string[] = []): LoadedRule[] {
  const known = new Set(rules.flatMap((r) => [r.rule.event.params.id, r.rule.event.params.check]));
  const unknown = [...only, ...skip].filter((t) => !known.has(t));
  if (unknown.length) {
    throw new UsageError(`unknown rule id or check "${unknown.join('", "')}" in --only/--skip. Rule ids and checks: opta rules list`);
  }
  return rules.filter((r) => {
    if (matches(r, skip)) return false;
    // Rules about the run itself (timeouts) stay on with --only: a check that ran out of time must be reported.
    if (only.length && !matches(r, only) && r.rule.event.params.check !== 'doctor') return false;
    return true;
  });
}

/** A run with no rules checks nothing and must not say "All checks passed.": no rules is a usage error. */
export function requireRules(dir: string, loaded: LoadResult): void {
  if (loaded.rules.length) return;
  const unreadable = loaded.problems.find((p) => p.file === dir && p.jsonPath === '$');
  const next = 'Give --rules a directory of doctor rule files (see opta rules list for the built-in ones).';
  if (unreadable) throw new UsageError(`${unreadable.message.replace('cannot read the rules directory', `cannot read the rules directory ${dir}`)}. ${next}`);
  if (loaded.problems.length) {
    throw new UsageError(`no usable rule file in ${dir}: ${loaded.problems.length} problem(s), the first in ${loaded.problems[0].file} at ${loaded.problems[0].jsonPath}: ${loaded.problems[0].message}. Check them with: opta rules validate ${dir}`);
  }
  throw new UsageError(`no rule files (*.json) in ${dir}, so there is nothing to check. ${next}`);
}
