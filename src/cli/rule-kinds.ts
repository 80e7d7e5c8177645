// Every kind of rule file, in the order `opta rules list` shows them: assembled here, above the folders that declare them.
import fs from 'node:fs';
import path from 'node:path';
import { displayPath } from '../core/paths.js';
import { doctorKind } from '../doctor/kind.js';
import { fixesKind } from '../fix/kind.js';
import { logsKind } from '../logs/kind.js';
import { redactKind } from '../redact/kind.js';
import type { RuleKind } from '../rules/kinds.js';
import type { KindTester } from '../rules/rule-test.js';

/** A new kind declares its RuleKind in its own folder (see doctor/kind.ts) and adds one entry here. */
export const KINDS: readonly RuleKind[] = [doctorKind, logsKind, fixesKind, redactKind];

export function kindById(id: string): RuleKind | undefined {
  return KINDS.find((k) => k.id === id);
}

/**
 * Each kind's runner of the cases its rule files carry (`opta rules test`), beside the kind it tests
 * (doctor/rule-cases.ts, ...), loaded only then; assembled here, as the kinds are, so no kind's folder imports it back.
 */
const TESTERS: Record<string, () => Promise<KindTester>> = {
  doctor: async () => (await import('../doctor/rule-cases.js')).doctorTester,
  logs: async () => (await import('../logs/pattern-cases.js')).patternTester,
  fixes: async () => (await import('../fix/pipeline-cases.js')).pipelineTester,
  redact: async () => (await import('../redact/shape-cases.js')).shapeTester,
};

export function testerOf(kind: RuleKind): (() => Promise<KindTester>) | undefined {
  return TESTERS[kind.id];
}

/** The `$schema` a rule file (or the first file of a directory) names, to tell its kind (`rules list|validate|test`). */
export function schemaRefOf(target: string): unknown {
  try {
    const file = fs.statSync(target).isDirectory() ? fs.readdirSync(target).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(target, f))[0] : target;
    return file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { $schema?: unknown }).$schema : undefined;
  } catch {
    return undefined;
  }
}

/** Where a rule file is, whatever the current directory: the install's rules/ or a --rules directory, ~ for HOME. */
export const rel = (file: string) => displayPath(path.resolve(file));
