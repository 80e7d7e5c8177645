// What a kind of rule file is (RuleKind, its lazily loaded validator, a problem in a file): the kernel knows no kind by name.
import path from 'node:path';
import { builtinRulesDir } from '../core/install.js';

export type { RuleProblem } from './rule-problem.js';
import type { RuleProblem } from './rule-problem.js';

/**
 * A kind's full validator, loaded only when a file is not covered by the build's manifest (zod costs ~45 ms of
 * start-up). `schema` is the zod schema of one file (exported to schemas/<schemaFile>); `check` adds the problems
 * a schema cannot see (names that must exist elsewhere, a regex that can match the empty string, ...).
 */
export interface KindValidator {
  title: string;
  schema: import('zod').ZodType;
  check(file: string, rule: unknown): RuleProblem[];
  /** Checks across the files of one directory (a log pattern family needs its catch-all), after each file's own. */
  checkSet?(rules: Array<{ file: string; rule: unknown }>): RuleProblem[];
}

/**
 * A kind of rule file, declared zod-free by the folder that owns it (doctor/kind.ts, logs/kind.ts, ...). Code that
 * loads one kind passes this object to the loader; the list of every kind is assembled above (src/cli/rule-kinds.ts).
 */
export interface RuleKind {
  id: string;
  /** The built-in directory (rules/<id>/). */
  dir: string;
  /** The JSON Schema file under schemas/, which every rule file of this kind names in `$schema`. */
  schemaFile: string;
  /** What `opta rules list` says of the kind. */
  description: string;
  /** What the validator checks names against (fact ids, check ids, ...): a build manifest made with other inputs is ignored. */
  validatorInputs: readonly string[];
  /** The id of a validated file's content (must equal the file name), and its JSON path for problems. */
  idOf(rule: unknown): string;
  idPath: string;
  /** What `opta rules list --json` shows of a rule (id first); `columns` are the keys its table shows. */
  summary(rule: unknown): Record<string, unknown>;
  columns: string[];
  validator(): Promise<KindValidator>;
}

export const rulesDir = (kind: string) => builtinRulesDir(kind);

/**
 * Which of `kinds` a file or directory holds: the `$schema` a file names, else the name of its directory
 * (rules/logs/x.json is a log pattern), else undefined (the caller decides; doctor for compatibility).
 */
export function kindOfPath(kinds: readonly RuleKind[], target: string, schemaRef?: unknown): RuleKind | undefined {
  if (typeof schemaRef === 'string') {
    const byRef = kinds.find((k) => path.basename(schemaRef) === k.schemaFile);
    if (byRef) return byRef;
  }
  const names = [path.basename(target), path.basename(path.dirname(target))];
  return kinds.find((k) => names.includes(k.id));
}
