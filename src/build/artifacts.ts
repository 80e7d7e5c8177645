// Generated artifacts: the JSON Schemas in schemas/ (every rule kind, the doctor report) and the build's manifest of validated rule files.
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../core/install.js';
import { z } from 'zod';
import { AnalysisSchema } from '../logs/analysis-schema.js';
import { SupportBundleSchema } from '../support/bundle-schema.js';
import { DoctorReportSchema } from '../doctor/report-schema.js';
import { FixReportSchema } from '../fix/report-schema.js';
import { fileStamp, MANIFEST_DIR, validatorKey, type KindManifest } from '../rules/loader.js';
import { describeRule } from '../doctor/load-rules.js';
import { KINDS } from '../cli/rule-kinds.js';
import { COLLECTORS } from '../facts/registry.js';
import type { RuleFile } from '../doctor/rule-schema.js';
import { allValidators, validateKindPath } from '../rules/validate.js';
import type { RuleProblem } from '../rules/rule-problem.js';

export const SCHEMAS_DIR = path.join(PACKAGE_ROOT, 'schemas') + path.sep;

function schemaText(title: string, schema: z.ZodType): string {
  return JSON.stringify({ title, ...z.toJSONSchema(schema, { io: 'input' }) }, null, 2) + '\n';
}

export async function schemaTexts(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const { kind, v } of await allValidators(KINDS)) out[kind.schemaFile] = schemaText(v.title, v.schema);
  out['doctor-report.schema.json'] = schemaText('opta doctor --json report', DoctorReportSchema);
  out['support-bundle.schema.json'] = schemaText('opta support bundle --json', SupportBundleSchema);
  out['fix-report.schema.json'] = schemaText('opta doctor --fix --json report', FixReportSchema);
  out['logs-analysis.schema.json'] = schemaText('opta logs analyze --json report', AnalysisSchema);
  return out;
}

export async function writeSchemas(dir = SCHEMAS_DIR): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  return Object.entries(await schemaTexts()).map(([name, text]) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  });
}

/** Records every built-in rule file that passes full validation, as it is, one manifest per kind; others are validated at run time. */
export async function writeManifest(dir = MANIFEST_DIR): Promise<{ valid: number; problems: Array<{ kind: string; count: number }>; details: RuleProblem[] }> {
  let valid = 0;
  // Collected at once by every doctor run (priority >= 10); the expensive ones (find-process) only on demand.
  const cheap = new Set(COLLECTORS.filter((c) => (c.priority ?? 10) >= 10).map((c) => c.id));
  const problems: Array<{ kind: string; count: number }> = [];
  const details: RuleProblem[] = [];
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const { kind, v } of await allValidators(KINDS)) {
    const m: KindManifest = { validator: validatorKey(kind), files: {}, stamps: {} };
    const early = new Set<string>();
    if (fs.existsSync(kind.dir)) {
      const r = validateKindPath(kind, v, kind.dir);
      const bad = new Set(r.problems.map((p) => p.file));
      for (const x of r.rules) {
        if (bad.has(x.file)) continue;
        // The stamp before the text: a file changed in between then fails its stamp at run time and is read.
        m.stamps[path.basename(x.file)] = fileStamp(fs.statSync(x.file));
        m.files[path.basename(x.file)] = fs.readFileSync(x.file, 'utf8');
        const { tests, ...lean } = x.rule as { tests?: unknown };
        if (tests !== undefined) (m.lean ??= {})[path.basename(x.file)] = lean;
        valid++;
        if (kind.id === 'doctor') {
          const d = describeRule(x.file, x.rule as RuleFile);
          for (const f of [...d.facts, ...d.templateFacts]) if (cheap.has(f)) early.add(f);
        }
      }
      if (r.problems.length) problems.push({ kind: kind.id, count: r.problems.length });
      details.push(...r.problems);
    }
    if (kind.id === 'doctor') m.early = [...early];
    fs.writeFileSync(path.join(dir, `${kind.id}.json`), JSON.stringify(m) + '\n');
  }
  return { valid, problems, details };
}
