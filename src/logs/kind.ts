// The log pattern kind (rules/logs/*.json) declared zod-free: where its files are, how they list; the validator loads lazily.
import { CHECKS } from '../rules/checks.js';
import { rulesDir, type RuleKind } from '../rules/kinds.js';
import type { LogPattern } from './pattern-schema.js';

export const logsKind: RuleKind = {
  id: 'logs',
  dir: rulesDir('logs'),
  schemaFile: 'log-pattern.schema.json',
  description: 'patterns opta logs analyze and opta doctor look for in daemon.log (a regular expression over the message, and what it means)',
  validatorInputs: CHECKS.map((c) => c.id),
  idOf: (r) => (r as LogPattern).id,
  idPath: '$.id',
  summary: (r) => {
    const p = r as LogPattern;
    return { id: p.id, severity: p.severity, levels: p.levels, check: p.check, fix: p.fix, guide: p.guide };
  },
  columns: ['id', 'severity', 'levels', 'check'],
  validator: async () => (await import('./rule-kind.js')).logPatternValidator,
};
