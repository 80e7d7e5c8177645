// The redaction shape kind (rules/redact/*.json) declared zod-free: where its files are, how they list; the validator loads lazily.
import { rulesDir, type RuleKind } from '../rules/kinds.js';

export const redactKind: RuleKind = {
  id: 'redact',
  dir: rulesDir('redact'),
  schemaFile: 'redact.schema.json',
  description: 'secret shapes the support bundle and opta daemon logs replace by [REDACTED:<label>-<n>] (regexes, examples, look-alikes)',
  validatorInputs: [],
  idOf: (r) => (r as { id: string }).id,
  idPath: '$.id',
  summary: (r) => {
    const x = r as { id: string; label: string; priority?: number; description: string };
    return { id: x.id, label: x.label, priority: x.priority ?? 50, description: x.description };
  },
  columns: ['id', 'label', 'priority'],
  validator: async () => (await import('./rule-kind.js')).redactValidator,
};
