// The fix pipeline kind (rules/fixes/*.json) declared zod-free: where its files are, how they list; the validator loads lazily.
import { ACTION_IDS } from '../actions/catalog.js';
import { FACT_ID_LIST } from '../facts/catalog.js';
import { rulesDir, type RuleKind } from '../rules/kinds.js';
import type { PipelineFile } from './pipeline-schema.js';

export const fixesKind: RuleKind = {
  id: 'fixes',
  dir: rulesDir('fixes'),
  schemaFile: 'fix-pipeline.schema.json',
  description: 'recovery pipelines opta doctor --fix runs (ordered steps: an action, its guard, whether it asks, its undo)',
  validatorInputs: [...FACT_ID_LIST, ...ACTION_IDS],
  idOf: (r) => (r as PipelineFile).id,
  idPath: '$.id',
  summary: (r) => {
    const p = r as PipelineFile;
    return { id: p.id, repairs: p.repairs, steps: p.steps.map((s) => s.action), guide: p.guide, title: p.title };
  },
  columns: ['id', 'repairs', 'steps'],
  validator: async () => (await import('./rule-kind.js')).pipelineValidator,
};
