// Reads a rule file's text, or records why it cannot be read (the loader and the validator alike).
import fs from 'node:fs';
import type { RuleProblem } from './kinds.js';

/** A rule file's text, or undefined with a problem that says why it cannot be read (loader and validator alike). */
export function readRuleText(file: string, problems: RuleProblem[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, jsonPath: '$', message: `cannot be read: ${err instanceof Error ? err.message : String(err)}` });
    return undefined;
  }
}
