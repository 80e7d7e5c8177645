// Generated artifacts: the JSON Schemas in schemas/ and the build's manifest of validated rule files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FACT_IDS } from '../facts/registry.js';
import { DoctorReportSchema } from '../report/report-schema.js';
import { DEFAULT_RULES_DIR, MANIFEST_FILE, ruleHash, validatorKey, type Manifest } from './loader.js';
import { RuleFileSchema } from './rule-schema.js';
import { validatePath } from './validate.js';

export const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

export function schemaTexts(): Record<string, string> {
  const out = (title: string, schema: z.ZodType) => JSON.stringify({ title, ...z.toJSONSchema(schema, { io: 'input' }) }, null, 2) + '\n';
  return {
    'rule.schema.json': out('opta doctor rule', RuleFileSchema),
    'doctor-report.schema.json': out('opta doctor --json report', DoctorReportSchema),
  };
}

export function writeSchemas(dir = SCHEMAS_DIR): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return Object.entries(schemaTexts()).map(([name, text]) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  });
}

/** Hashes every rule file that passes full validation; files not listed are validated at run time. */
export function writeManifest(rulesDir = DEFAULT_RULES_DIR, file = MANIFEST_FILE): { valid: number; problems: number } {
  const { rules, problems } = validatePath(rulesDir, FACT_IDS);
  const bad = new Set(problems.map((p) => p.file));
  const hashes = rules.filter((r) => !bad.has(r.file)).map((r) => ruleHash(r.file, fs.readFileSync(r.file, 'utf8')));
  const manifest: Manifest = { validator: validatorKey(), hashes };
  fs.writeFileSync(file, JSON.stringify(manifest) + '\n');
  return { valid: hashes.length, problems: problems.length };
}
