// The kinds of rule files under rules/ (doctor checks, log patterns, fix pipelines, redaction shapes): one registry, zod-free.
import path from 'node:path';
import { builtinRulesDir } from '../core/install.js';
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
}

export interface RuleKind {
  id: string;
  /** The built-in directory (rules/<id>/). */
  dir: string;
  /** The JSON Schema file under schemas/, which every rule file of this kind names in `$schema`. */
  schemaFile: string;
  /** What `opta rules list` says of the kind. */
  description: string;
  /** The id of a validated file's content (must equal the file name), and its JSON path for problems. */
  idOf(rule: unknown): string;
  idPath: string;
  /** What `opta rules list --json` shows of a rule (id first); `columns` are the keys its table shows. */
  summary(rule: unknown): Record<string, unknown>;
  columns: string[];
  validator(): Promise<KindValidator>;
}

export const rulesDir = (kind: string) => builtinRulesDir(kind);

type DoctorRule = import('../doctor/rule-schema.js').RuleFile;
type Pipeline = import('../fix/pipeline-schema.js').PipelineFile;
type LogPattern = import('../logs/pattern-schema.js').LogPattern;

/** Kinds in the order `opta rules list` shows them. A new kind adds one entry here and its schema module in its room. */
export const KINDS: RuleKind[] = [
  {
    id: 'doctor',
    dir: rulesDir('doctor'),
    schemaFile: 'rule.schema.json',
    description: 'checks opta doctor runs (json-rules-engine conditions over facts, and the finding they produce)',
    idOf: (r) => (r as DoctorRule).event.params.id,
    idPath: '$.event.params.id',
    summary: (r) => {
      const p = (r as DoctorRule).event.params;
      return { id: p.id, severity: p.severity, check: p.check, fix: p.fix, guide: p.guide };
    },
    columns: ['id', 'severity', 'check', 'fix'],
    validator: async () => (await import('../doctor/rule-kind.js')).doctorValidator,
  },
  {
    id: 'logs',
    dir: rulesDir('logs'),
    schemaFile: 'log-pattern.schema.json',
    description: 'patterns opta logs analyze and opta doctor look for in daemon.log (a regular expression over the message, and what it means)',
    idOf: (r) => (r as LogPattern).id,
    idPath: '$.id',
    summary: (r) => {
      const p = r as LogPattern;
      return { id: p.id, severity: p.severity, levels: p.levels, check: p.check, fix: p.fix, guide: p.guide };
    },
    columns: ['id', 'severity', 'levels', 'check'],
    validator: async () => (await import('../logs/rule-kind.js')).logPatternValidator,
  },
  {
    id: 'fixes',
    dir: rulesDir('fixes'),
    schemaFile: 'fix-pipeline.schema.json',
    description: 'recovery pipelines opta doctor --fix runs (ordered steps: an action, its guard, whether it asks, its undo)',
    idOf: (r) => (r as Pipeline).id,
    idPath: '$.id',
    summary: (r) => {
      const p = r as Pipeline;
      return { id: p.id, repairs: p.repairs, steps: p.steps.map((s) => s.action), guide: p.guide, title: p.title };
    },
    columns: ['id', 'repairs', 'steps'],
    validator: async () => (await import('../fix/rule-kind.js')).pipelineValidator,
  },
  {
    id: 'redact',
    dir: rulesDir('redact'),
    schemaFile: 'redact.schema.json',
    description: 'secret shapes the support bundle and opta daemon logs replace by [REDACTED:<label>-<n>] (regexes, examples, look-alikes)',
    idOf: (r) => (r as { id: string }).id,
    idPath: '$.id',
    summary: (r) => {
      const x = r as { id: string; label: string; priority?: number; description: string };
      return { id: x.id, label: x.label, priority: x.priority ?? 50, description: x.description };
    },
    columns: ['id', 'label', 'priority'],
    validator: async () => (await import('../redact/rule-kind.js')).redactValidator,
  },
];

export function kindById(id: string): RuleKind | undefined {
  return KINDS.find((k) => k.id === id);
}

/**
 * Which kind a file or directory holds: the `$schema` a file names, else the name of its directory
 * (rules/logs/x.json is a log pattern), else undefined (the caller decides; doctor for compatibility).
 */
export function kindOfPath(target: string, schemaRef?: unknown): RuleKind | undefined {
  if (typeof schemaRef === 'string') {
    const byRef = KINDS.find((k) => path.basename(schemaRef) === k.schemaFile);
    if (byRef) return byRef;
  }
  const names = [path.basename(target), path.basename(path.dirname(target))];
  return KINDS.find((k) => names.includes(k.id));
}
