// Loads rule files of any kind (rules/<kind>/*.json): files whose content hash the build validated are trusted; others are validated with zod now.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { PACKAGE_ROOT } from '../core/install.js';
import { FACT_ID_LIST } from '../facts/ids.js';
import { KINDS, kindById, type RuleKind } from './kinds.js';
import { conditionFacts, templateFacts, type LoadedRule, type RuleFile, type RuleProblem } from './rule-types.js';
import { byCodeUnit } from '../core/order.js';

export const DEFAULT_RULES_DIR = kindById('doctor')!.dir;
/** Written by build-artifacts.js after `tsc`: hashes of rule files (every kind) that passed full validation. */
export const MANIFEST_FILE = path.join(PACKAGE_ROOT, 'dist', 'src', 'engine', 'rules-manifest.json');

export interface Manifest {
  /** Hash of the validators' inputs (known fact ids, kinds); a manifest from another build is ignored. */
  validator: string;
  hashes: string[];
}

export function validatorKey(): string {
  return `${KINDS.map((k) => k.id).join(',')};${FACT_ID_LIST.join(',')}`;
}

/**
 * CRC-32 and length of the kind, file name and content. It detects edits, which is all the manifest needs: a changed
 * file is validated again. zlib's crc32 is native (~0.05 ms for all the doctor's rules; the bin has loaded zlib already);
 * the JavaScript FNV-1a it replaced cost ~3 ms of every doctor run, and stays for a node without it (< 20.15).
 * Not node:crypto, whose loading alone costs ~2 ms.
 */
export function ruleHash(kind: string, file: string, text: string): string {
  const s = `${kind}\0${path.basename(file)}\0${text}`;
  const crc32 = (zlib as { crc32?: (data: string) => number }).crc32;
  if (typeof crc32 === 'function') return `c${(crc32(s) >>> 0).toString(16).padStart(8, '0')}${s.length.toString(16)}`;
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0') + s.length.toString(16);
}

let manifest: Set<string> | undefined;
function trustedHashes(): Set<string> {
  if (manifest) return manifest;
  try {
    const m = JSON.parse(fs.readFileSync(MANIFEST_FILE, 'utf8')) as Manifest;
    manifest = m.validator === validatorKey() ? new Set(m.hashes) : new Set();
  } catch {
    manifest = new Set();
  }
  return manifest;
}

export interface KindLoadResult<T = unknown> {
  items: Array<{ file: string; rule: T }>;
  problems: RuleProblem[];
  /** How many files needed zod this time (0 when the build's manifest covers them all). */
  validatedNow: number;
}

/** Loads every *.json of one kind from `dir`; a broken file is a problem (with its JSON path), the others still load. */
export async function loadKind<T = unknown>(kind: RuleKind, dir: string = kind.dir): Promise<KindLoadResult<T>> {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    return { items: [], problems: [{ file: dir, jsonPath: '$', message: `cannot read the rules directory: ${err instanceof Error ? err.message : String(err)}` }], validatedNow: 0 };
  }
  const trusted = trustedHashes();
  const items: Array<{ file: string; rule: T }> = [];
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
    if (trusted.has(ruleHash(kind.id, file, text))) items.push({ file, rule: JSON.parse(text) as T });
    else unchecked.push({ file, text });
  }
  if (unchecked.length) {
    // Only a changed or new rule file pays for zod (~45 ms of start-up).
    const [{ validateKindText }, v] = await Promise.all([import('./validate.js'), kind.validator()]);
    for (const u of unchecked) {
      const r = validateKindText(kind, v, u.file, u.text);
      problems.push(...r.problems);
      if (r.rule !== undefined) items.push({ file: u.file, rule: r.rule as T });
    }
    items.sort((a, b) => byCodeUnit(a.file, b.file));
  }
  const seen = new Map<string, string>();
  const unique = items.filter((r) => {
    const id = kind.idOf(r.rule);
    const prev = seen.get(id);
    if (prev) {
      problems.push({ file: r.file, jsonPath: kind.idPath, message: `duplicate id, also in ${prev}` });
      return false;
    }
    seen.set(id, r.file);
    return true;
  });
  return { items: unique, problems, validatedNow: unchecked.length };
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
  validatedNow: number;
}

/** The doctor's rules, described for the engine. */
export async function loadRules(dir: string = DEFAULT_RULES_DIR): Promise<LoadResult> {
  const r = await loadKind<RuleFile>(kindById('doctor')!, dir);
  return { rules: r.items.map((i) => describeRule(i.file, i.rule)), problems: r.problems, validatedNow: r.validatedNow };
}
