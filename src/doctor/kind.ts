// The doctor rule kind (rules/doctor/*.json) declared zod-free: where its files are, how they list; the validator loads lazily.
import { FACT_ID_LIST } from '../facts/catalog.js';
import { rulesDir, type RuleKind } from '../rules/kinds.js';
import type { RuleFile } from './rule-types.js';
import { conditionFacts } from '../rules/language/condition.js';

export const doctorKind: RuleKind = {
  id: 'doctor',
  dir: rulesDir('doctor'),
  schemaFile: 'rule.schema.json',
  description: 'checks opta doctor runs (json-rules-engine conditions over facts, and the finding they produce)',
  validatorInputs: FACT_ID_LIST,
  idOf: (r) => (r as RuleFile).event.params.id,
  idPath: '$.event.params.id',
  summary: (r) => {
    const { event, conditions } = r as RuleFile;
    const p = event.params;
    return { id: p.id, severity: p.severity, check: p.check, fix: p.fix, guide: p.guide, facts: [...conditionFacts(conditions)] };
  },
  columns: ['id', 'severity', 'check', 'fix'],
  validator: async () => (await import('./rule-kind.js')).doctorValidator,
};
