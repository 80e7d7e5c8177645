// Pattern families (every "lmx preflight failed: ..." line, every "tool worker crashed: ..." line): which member claims a line, and what makes a family total.
import type { RuleProblem } from '../rules/rule-problem.js';
import type { LogPattern } from './pattern-schema.js';
import { LEVEL_INDEX } from './line-formats.js';
import { exampleLine } from './pattern-types.js';

/**
 * Why families: a key phrase such as "lmx preflight failed:" is followed by many causes, some with their own finding
 * (ECONNREFUSED, a timeout) and the rest not. Excluding the specific causes from the general pattern with a negative
 * lookahead went stale whenever a specific pattern learnt a new wording (Node's "connect ECONNREFUSED", trailing
 * detail), and the line then matched neither. Instead each member names its family; the member marked catchAll
 * matches every line of the family and yields to the others, and the others yield to those before them. So a line of
 * the family lands in exactly one finding, decided at run time from the same regexes.
 */

/** One pattern that takes precedence over another on a line of a level (bit l of `levels`: LEVEL_INDEX l). */
export interface Precedence {
  index: number;
  re: RegExp;
  levels: number;
}

function levelBits(p: Pick<LogPattern, 'levels'>): number {
  let bits = 0;
  for (const l of p.levels) bits |= 1 << LEVEL_INDEX[l];
  return bits;
}

/**
 * For each pattern (by index), the patterns of its family it yields to: a catch-all yields to every other member, any
 * other member to the members listed before it. Empty for a pattern in no family.
 */
export function precedence(patterns: ReadonlyArray<Pick<LogPattern, 'family' | 'catchAll' | 'levels' | 'regex'>>): Precedence[][] {
  const compiled = patterns.map((p) => new RegExp(p.regex));
  return patterns.map((p, i) => {
    if (!p.family) return [];
    const out: Precedence[] = [];
    patterns.forEach((q, j) => {
      if (j === i || q.family !== p.family || q.catchAll) return;
      if (p.catchAll || j < i) out.push({ index: j, re: compiled[j], levels: levelBits(q) });
    });
    return out;
  });
}

/** Whether a pattern that matched `text` at `level` gives the line to another member of its family. */
export function yields(before: Precedence[], level: number, text: string): boolean {
  for (let k = 0; k < before.length; k++) if ((before[k].levels >> level) & 1 && before[k].re.test(text)) return true;
  return false;
}

/** The ids of the patterns that claim a message of a level, families applied (what the analyser counts it under). */
export function claims(patterns: ReadonlyArray<Pick<LogPattern, 'id' | 'family' | 'catchAll' | 'levels' | 'regex'>>, level: keyof typeof LEVEL_INDEX, message: string): string[] {
  const order = precedence(patterns);
  const l = LEVEL_INDEX[level];
  return patterns.filter((p, i) => p.levels.includes(level) && new RegExp(p.regex).test(message) && !yields(order[i], l, message)).map((p) => p.id);
}

/**
 * What makes a family total and exclusive, checked over a whole directory: exactly one catch-all; the catch-all
 * applies to every level its members do and matches every member's examples (so a line a member would take is in the
 * family at all); each example of a member matches no other non-catch-all member (the order never decides).
 */
export function familyProblems(items: ReadonlyArray<{ file: string; rule: LogPattern }>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const byFamily = new Map<string, Array<{ file: string; rule: LogPattern }>>();
  for (const it of items) if (it.rule.family) byFamily.set(it.rule.family, [...(byFamily.get(it.rule.family) ?? []), it]);
  for (const [family, members] of byFamily) {
    const all = members.filter((m) => m.rule.catchAll);
    if (all.length !== 1) {
      for (const m of all.length ? all.slice(1) : members.slice(0, 1)) {
        problems.push({
          file: m.file,
          jsonPath: '$.catchAll',
          message: all.length
            ? `family "${family}" has more than one catch-all (${all.map((x) => x.rule.id).join(', ')}); mark exactly one member "catchAll": true`
            : `family "${family}" has no catch-all member: mark the one whose regex matches every line of the family "catchAll": true, or its other lines count as unrecognised`,
        });
      }
      continue;
    }
    const catchAll = all[0];
    const catchRe = new RegExp(catchAll.rule.regex);
    for (const m of members) {
      if (m === catchAll) continue;
      const missing = m.rule.levels.filter((l) => !catchAll.rule.levels.includes(l));
      if (missing.length) problems.push({ file: m.file, jsonPath: '$.levels', message: `level ${missing.join(', ')} is not one of the family catch-all ${catchAll.rule.id}'s levels` });
      m.rule.examples.map(exampleLine).forEach((ex, i) => {
        if (!catchRe.test(ex)) problems.push({ file: m.file, jsonPath: `$.examples[${i}]`, message: `is not matched by the family catch-all ${catchAll.rule.id} ("${ex}"): the family's lines must all start with its key phrase` });
        for (const o of members) {
          if (o === m || o === catchAll || !new RegExp(o.rule.regex).test(ex)) continue;
          problems.push({ file: m.file, jsonPath: `$.examples[${i}]`, message: `is also matched by ${o.rule.id} of the same family ("${ex}"): make the two patterns exclusive` });
        }
      });
    }
  }
  return problems;
}
