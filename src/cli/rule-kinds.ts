// Every kind of rule file, in the order `opta rules list` shows them: assembled here, above the folders that declare them.
import { doctorKind } from '../doctor/kind.js';
import { fixesKind } from '../fix/kind.js';
import { logsKind } from '../logs/kind.js';
import { redactKind } from '../redact/kind.js';
import type { RuleKind } from '../rules/kinds.js';

/** A new kind declares its RuleKind in its own folder (see doctor/kind.ts) and adds one entry here. */
export const KINDS: readonly RuleKind[] = [doctorKind, logsKind, fixesKind, redactKind];

export function kindById(id: string): RuleKind | undefined {
  return KINDS.find((k) => k.id === id);
}
