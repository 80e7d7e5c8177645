// Reads a rule file's text, bounded (a regular file, its size, its JSON shape), or records why not (loader and validator alike).
import type { RuleProblem } from './kinds.js';
import { readBoundedRuleText, type ReadBudget } from './bounds.js';

/** A rule file's text, or undefined with a problem that says why it cannot be used (loader and validator alike). */
export function readRuleText(file: string, problems: RuleProblem[], budget?: ReadBudget): string | undefined {
  return readBoundedRuleText(file, problems, budget);
}
