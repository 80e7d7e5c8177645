// Suppressions: { rule, reason, until } from the user's <home>/suppressions.json and a trusted project's .opta/suppressions.json (read here; applied by the pure assemble stage).
import fs from 'node:fs';
import path from 'node:path';
import type { RuleProblem } from '../rules/rule-problem.js';
import { projectTrust, type PackOptions } from '../rules/packs.js';
import { readRuleText } from '../rules/read-rule.js';

export interface Suppression {
  rule: string;
  reason: string;
  /** YYYY-MM-DD (or a full ISO date): the last day the finding is suppressed. */
  until: string;
  file: string;
}

export const userSuppressionsFile = (home: string) => path.join(home, 'suppressions.json');

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** One file's suppressions; every entry without a rule, a reason or an ISO `until` is a problem (file and JSON path). */
export function parseSuppressions(file: string, text: string): { entries: Suppression[]; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { entries: [], problems: [{ file, jsonPath: '$', message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const list = (json as { suppressions?: unknown })?.suppressions;
  if (!Array.isArray(list)) return { entries: [], problems: [{ file, jsonPath: '$.suppressions', message: 'must be a list of { "rule", "reason", "until" }' }] };
  const entries: Suppression[] = [];
  list.forEach((e: unknown, i) => {
    const at = `$.suppressions[${i}]`;
    const s = (e ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof s[k] === 'string' && (s[k] as string).trim() ? (s[k] as string) : undefined);
    if (!str('rule')) problems.push({ file, jsonPath: `${at}.rule`, message: 'names the rule id to suppress (opta rules list)' });
    else if (!str('reason')) problems.push({ file, jsonPath: `${at}.reason`, message: 'a suppression must say why (reason is required)' });
    else if (!str('until') || !ISO_DATE.test(s.until as string) || Number.isNaN(Date.parse(s.until as string))) {
      problems.push({ file, jsonPath: `${at}.until`, message: 'a suppression must end: until is an ISO date (YYYY-MM-DD), the last day it holds' });
    } else entries.push({ rule: s.rule as string, reason: s.reason as string, until: s.until as string, file });
  });
  return { entries, problems };
}

/** The user's suppressions and, when its pack is trusted, the project's (an untrusted one is ignored with the pack). */
export function loadSuppressions(opts: PackOptions): { entries: Suppression[]; problems: RuleProblem[] } {
  const files = [userSuppressionsFile(opts.home)];
  const project = projectTrust(opts);
  if (project?.trusted) files.push(path.join(project.dir, 'suppressions.json'));
  const entries: Suppression[] = [];
  const problems: RuleProblem[] = [];
  for (const file of files) {
    // One stat when there is none: the usual run.
    if (!fs.existsSync(file)) continue;
    const text = readRuleText(file, problems);
    if (text === undefined) continue;
    const r = parseSuppressions(file, text);
    entries.push(...r.entries);
    problems.push(...r.problems);
  }
  return { entries, problems };
}

/** The moment a suppression stops holding: the end of its `until` day (UTC), or the exact time given. */
export function expiresAt(s: Pick<Suppression, 'until'>): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(s.until) ? Date.parse(`${s.until}T23:59:59.999Z`) : Date.parse(s.until);
}
