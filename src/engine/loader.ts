// Loads rules/doctor/*.json: files whose content hash the build validated are trusted; others are validated with zod now.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FACT_IDS } from '../facts/registry.js';
import { conditionFacts, templateFacts, type LoadedRule, type RuleFile, type RuleProblem } from './rule-types.js';

export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../../rules/doctor/', import.meta.url));
/** Written by build-artifacts.js after `tsc`: hashes of rule files that passed full validation. */
export const MANIFEST_FILE = fileURLToPath(new URL('./rules-manifest.json', import.meta.url));

export interface Manifest {
  /** Hash of the validator's inputs (known fact ids); a manifest from another build is ignored. */
  validator: string;
  hashes: string[];
}

export function validatorKey(): string {
  return FACT_IDS.join(',');
}

/**
 * FNV-1a (two 32-bit lanes) of the file name and content. It detects edits, which is all the manifest needs:
 * a changed file is validated again. Not node:crypto, whose loading alone costs ~2 ms of every doctor run.
 */
export function ruleHash(file: string, text: string): string {
  const s = `${path.basename(file)}\0${text}`;
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0') + s.length.toString(16);
}

function readManifest(): Set<string> {
  try {
    const m = JSON.parse(fs.readFileSync(MANIFEST_FILE, 'utf8')) as Manifest;
    return m.validator === validatorKey() ? new Set(m.hashes) : new Set();
  } catch {
    return new Set();
  }
}

export function describeRule(file: string, rule: RuleFile): LoadedRule {
  const p = rule.event.params;
  return {
    file,
    rule,
    facts: [...conditionFacts(rule.conditions)],
    templateFacts: [...new Set([...templateFacts(p.message), ...templateFacts(p.remediation)])],
  };
}

export interface LoadResult {
  rules: LoadedRule[];
  problems: RuleProblem[];
  /** How many files needed zod this time (0 when the build's manifest covers them all). */
  validatedNow: number;
}

export async function loadRules(dir: string = DEFAULT_RULES_DIR): Promise<LoadResult> {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    return { rules: [], problems: [{ file: dir, jsonPath: '$', message: `cannot read the rules directory: ${err instanceof Error ? err.message : String(err)}` }], validatedNow: 0 };
  }
  const trusted = readManifest();
  const rules: LoadedRule[] = [];
  const problems: RuleProblem[] = [];
  const unchecked: Array<{ file: string; text: string }> = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ file, jsonPath: '$', message: `cannot be read: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    if (trusted.has(ruleHash(file, text))) rules.push(describeRule(file, JSON.parse(text) as RuleFile));
    else unchecked.push({ file, text });
  }
  if (unchecked.length) {
    // Only a changed or new rule file pays for zod (~45 ms of start-up).
    const { validateRuleText } = await import('./validate.js');
    for (const u of unchecked) {
      const r = validateRuleText(u.file, u.text, FACT_IDS);
      problems.push(...r.problems);
      if (r.rule) rules.push(describeRule(u.file, r.rule));
    }
  }
  const seen = new Map<string, string>();
  const unique = rules.filter((r) => {
    const id = r.rule.event.params.id;
    const prev = seen.get(id);
    if (prev) {
      problems.push({ file: r.file, jsonPath: '$.event.params.id', message: `duplicate rule id, also in ${prev}` });
      return false;
    }
    seen.set(id, r.file);
    return true;
  });
  return { rules: unique, problems, validatedNow: unchecked.length };
}
