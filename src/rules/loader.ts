// Loads rule files of any kind (rules/<kind>/*.json): files the build validated, unchanged, are trusted; others are validated with zod now.
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../core/install.js';
import type { RuleKind, RuleProblem } from './kinds.js';
import { byCodeUnit } from '../core/order.js';
import { readRuleText } from './read-rule.js';
import { listRuleFiles, newBudget, shownProblems } from './bounds.js';

/** Written by build-artifacts.js after `tsc`: one file per kind (<kind>.json), read only by what loads that kind. */
export const MANIFEST_DIR = path.join(PACKAGE_ROOT, 'dist', 'rules-manifest');

/** The built-in rule files of one kind that passed full validation, as they were. */
export interface KindManifest {
  /** The validators' inputs (known fact ids, kinds); a manifest from another build is ignored. */
  validator: string;
  /** File name -> the exact text that was validated. */
  files: Record<string, string>;
  /** File name -> the built-in file's fileStamp when it was validated. */
  stamps: Record<string, string>;
  /** Doctor rules only: the facts their cheap conditions and messages need (a plain doctor run starts them first). */
  early?: string[];
  /**
   * File name -> the rule without its cases (`tests`), for files that carry cases: what every command but `opta rules
   * test` loads, parsed with the manifest (the cases doubled the doctor rules' text, and a doctor run loads them all).
   */
  lean?: Record<string, unknown>;
}

/**
 * Size, modification and change time of a file: any write changes the first two, a chmod, rename or copy the last.
 * A built-in rule file with the stamp it had when the build validated it is that text, read or not.
 */
export function fileStamp(st: fs.Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** What a kind's validator checked against: a manifest written with other inputs (another build) is ignored. */
export function validatorKey(kind: RuleKind): string {
  return `${kind.id};${kind.validatorInputs.join(',')}`;
}

const EMPTY: KindManifest = { validator: '', files: {}, stamps: {} };
const manifests = new Map<string, KindManifest>();
/**
 * What the build validated of a kind. A file whose name and text equal a validated one needs no zod (~45 ms of
 * start-up) and no hash: comparing texts costs nothing, and any edit, however small, is seen. Per kind, so `opta
 * daemon logs` parses the redaction shapes' 18 KB, not every kind's 90 KB.
 */
export function manifestOf(kind: RuleKind): KindManifest {
  let m = manifests.get(kind.id);
  if (!m) {
    try {
      m = JSON.parse(fs.readFileSync(path.join(MANIFEST_DIR, `${kind.id}.json`), 'utf8')) as KindManifest;
      if (m.validator !== validatorKey(kind) || !m.files || !m.stamps) m = EMPTY;
    } catch {
      m = EMPTY;
    }
    manifests.set(kind.id, m);
  }
  return m;
}

export interface KindLoadResult<T = unknown> {
  items: Array<{ file: string; rule: T }>;
  problems: RuleProblem[];
  /** How many files needed zod this time (0 when the build's manifest covers them all). */
  validatedNow: number;
}

/** Loads every *.json of one kind from `dir`; a broken file is a problem (with its JSON path), the others still load. */
export interface LoadKindOptions {
  /** Sees each file's text first; true takes the file out of the kind's validation (a pack's disabling stub, rules/packs.ts). */
  claim?: (file: string, text: string) => boolean;
  /** Keep each rule's cases (`tests`): `opta rules test`. Without, a file the build validated loads without them. */
  cases?: boolean;
}

export async function loadKind<T = unknown>(kind: RuleKind, dir: string = kind.dir, options: LoadKindOptions = {}): Promise<KindLoadResult<T>> {
  let names: string[];
  const problems: RuleProblem[] = [];
  try {
    names = listRuleFiles(dir, problems);
  } catch (err) {
    return { items: [], problems: shownProblems([{ file: dir, jsonPath: '$', message: `cannot read the rules directory: ${err instanceof Error ? err.message : String(err)}` }]), validatedNow: 0 };
  }
  const { files: trusted, stamps, lean = {} } = manifestOf(kind);
  // A file the build validated: its rule without its cases (unless they are asked for), handed out once (the caller
  // owns it; a second load in this process parses the text again).
  const validated = (name: string): T => {
    const r = options.cases ? undefined : lean[name];
    if (r === undefined) return JSON.parse(trusted[name]) as T;
    delete lean[name];
    return r as T;
  };
  // The built-in directory's files are first checked by their stamps: one stat each instead of reading and comparing
  // (~1.5 ms of a doctor run, which loads two kinds); a file whose stamp changed is read and compared as any other.
  const stamped = path.resolve(dir) + path.sep === kind.dir ? stamps : {};
  const items: Array<{ file: string; rule: T }> = [];
  const budget = newBudget();
  const unchecked: Array<{ file: string; text: string }> = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (stamped[name] !== undefined && trusted[name] !== undefined) {
      try {
        if (fileStamp(fs.statSync(file)) === stamped[name]) {
          items.push({ file, rule: validated(name) });
          continue;
        }
      } catch {
        // read below, which says what is wrong with it
      }
    }
    const text = readRuleText(file, problems, budget);
    if (text === undefined) continue;
    if (options.claim?.(file, text)) continue;
    if (trusted[name] === text) items.push({ file, rule: validated(name) });
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
  return { items: unique, problems: shownProblems(problems), validatedNow: unchecked.length };
}
