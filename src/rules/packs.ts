// Rule packs: every kind loads from layers (shipped or --rules, the user's pack, a trusted project pack); a higher layer's rule replaces a lower one's by id, a stub turns one off.
import fs from 'node:fs';
import path from 'node:path';
import type { RuleKind, RuleProblem } from './kinds.js';
import { loadKind } from './loader.js';
import { readRuleText } from './read-rule.js';
import { requireBuiltin } from '../core/install.js';
import { resolveHome } from '../core/paths.js';
import { noticeOnce } from '../core/notices.js';

export type PackName = 'shipped' | 'rules' | 'user' | 'project';

export interface PackOptions {
  /** The opta home (its `rules/<kind>/` is the user's pack, its trust file says which project packs may run). */
  home: string;
  /** Where the project pack is looked for (upward); default process.cwd(). */
  cwd?: string;
  /** HOME: the upward search stops there (a pack in a home directory is no project's). */
  userHome?: string;
  /** `--rules DIR`: replaces the shipped layer, as it always did. */
  rulesDir?: string;
  /** Keep each rule's cases (`tests`, read by `opta rules test` only); other commands load shipped rules without them. */
  cases?: boolean;
}

export interface PackedItem<T> {
  file: string;
  rule: T;
  pack: PackName;
  /** The pack whose rule of the same id this one replaces. */
  replaces?: PackName;
}

export interface DisabledRule {
  id: string;
  file: string;
  pack: PackName;
  reason: string;
  /** The pack whose rule the stub turned off. */
  disables: PackName;
}

export interface PackedLoad<T> {
  items: Array<PackedItem<T>>;
  disabled: DisabledRule[];
  problems: RuleProblem[];
  validatedNow: number;
  /** Said once per run on stderr and in the report: an untrusted project pack was ignored, and how to trust it. */
  notices: string[];
}

/** The project's `.opta` directory (rules/ and suppressions.json), from `cwd` upward; never the file system root, HOME or above. */
export function findProjectDir(cwd: string, userHome?: string): string | undefined {
  let dir = path.resolve(cwd);
  const stop = userHome ? path.resolve(userHome) : undefined;
  for (;;) {
    if (dir === stop) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    const candidate = path.join(dir, '.opta');
    // One stat per level: the doctor's start-up with no pack pays ~nothing.
    if (fs.existsSync(path.join(candidate, 'rules')) || fs.existsSync(path.join(candidate, 'suppressions.json'))) return candidate;
    dir = parent;
  }
}

/** The file that records which project packs the person trusted (project dir -> content hash), as direnv does. */
export const trustFile = (home: string) => path.join(home, 'trusted-packs.json');

/** Every file of a project pack that can change what opta does: its rules of every kind and its suppressions. */
export function projectFiles(projectDir: string): string[] {
  const files: string[] = [];
  const rulesRoot = path.join(projectDir, 'rules');
  let kinds: string[] = [];
  try {
    kinds = fs.readdirSync(rulesRoot).sort();
  } catch {
    // no rules/: suppressions only
  }
  for (const k of kinds) {
    try {
      for (const f of fs.readdirSync(path.join(rulesRoot, k)).filter((n) => n.endsWith('.json')).sort()) files.push(path.join(rulesRoot, k, f));
    } catch {
      // not a directory
    }
  }
  const sup = path.join(projectDir, 'suppressions.json');
  if (fs.existsSync(sup)) files.push(sup);
  return files;
}

/** The content hash of a project pack: names and texts of its files (any edit, addition or removal changes it). */
export function projectHash(projectDir: string): string {
  // Loaded only when a project pack exists: a run without one never needs it.
  const { createHash } = requireBuiltin<typeof import('node:crypto')>('node:crypto');
  const h = createHash('sha256');
  const problems: RuleProblem[] = [];
  for (const file of projectFiles(projectDir)) {
    h.update(path.relative(projectDir, file)).update('\0');
    h.update(readRuleText(file, problems) ?? '\u0000unreadable').update('\0');
  }
  return h.digest('hex');
}

function readTrust(home: string): Record<string, string> {
  try {
    const v = JSON.parse(fs.readFileSync(trustFile(home), 'utf8')) as { packs?: Record<string, string> };
    return v && typeof v.packs === 'object' && v.packs ? v.packs : {};
  } catch {
    return {};
  }
}

/** Records the project pack's current content hash as trusted (`opta rules trust`). */
export function trustProject(home: string, projectDir: string): string {
  const packs = readTrust(home);
  const hash = projectHash(projectDir);
  packs[projectDir] = hash;
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const tmp = `${trustFile(home)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ packs }, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, trustFile(home));
  return hash;
}

/** The packs of the process's own home and directory (the CLI's, the daemon's). */
export function defaultPackOptions(env: NodeJS.ProcessEnv = process.env, rulesDir?: string): PackOptions {
  return { home: resolveHome(env), cwd: process.cwd(), userHome: env.HOME, rulesDir };
}

export type ProjectTrust = { dir: string; trusted: boolean } | undefined;

/** The project pack above `cwd`, and whether its content is the content the person trusted. */
export function projectTrust(opts: PackOptions): ProjectTrust {
  const dir = findProjectDir(opts.cwd ?? process.cwd(), opts.userHome ?? process.env.HOME);
  if (!dir) return undefined;
  const recorded = readTrust(opts.home)[dir];
  return { dir, trusted: recorded !== undefined && recorded === projectHash(dir) };
}

export function untrustedNotice(dir: string): string {
  return `opta: ignored the untrusted rule pack in ${dir} (its rules and suppressions did not run); after reading it, trust it with: opta rules trust (any change to it needs a new trust)`;
}


export interface Layer {
  pack: PackName;
  dir: string;
}

/** The layers of one kind, lowest first, that exist; the project pack only when trusted. */
export function layersOf(kind: RuleKind, opts: PackOptions): { layers: Layer[]; untrusted?: string } {
  const layers: Layer[] = [opts.rulesDir !== undefined ? { pack: 'rules', dir: opts.rulesDir } : { pack: 'shipped', dir: kind.dir }];
  const user = path.join(opts.home, 'rules', kind.id);
  if (fs.existsSync(user)) layers.push({ pack: 'user', dir: user });
  const project = projectTrust(opts);
  if (project) {
    const dir = path.join(project.dir, 'rules', kind.id);
    if (!project.trusted) return { layers, untrusted: project.dir };
    if (fs.existsSync(dir)) layers.push({ pack: 'project', dir });
  }
  return { layers };
}

/** A stub `{ "id", "disabled": true, "reason" }`: its own small shape, checked here (no zod needed). */
function parseStub(file: string, text: string, problems: RuleProblem[]): { id: string; reason: string } | undefined | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null; // not a stub: the kind's validator reports the JSON error
  }
  if (!json || typeof json !== 'object' || !('disabled' in json)) return null;
  const s = json as Record<string, unknown>;
  const expected = path.basename(file, '.json');
  const extra = Object.keys(s).filter((k) => !['$schema', 'id', 'disabled', 'reason'].includes(k));
  if (s.disabled !== true) problems.push({ file, jsonPath: '$.disabled', message: 'a stub turns a rule off with "disabled": true' });
  else if (typeof s.id !== 'string' || s.id !== expected) problems.push({ file, jsonPath: '$.id', message: `a stub names the rule it turns off in "id", equal to the file name "${expected}"` });
  else if (typeof s.reason !== 'string' || !s.reason.trim()) problems.push({ file, jsonPath: '$.reason', message: 'a stub must say why the rule is off in "reason"' });
  else if (extra.length) problems.push({ file, jsonPath: `$.${extra[0]}`, message: 'a stub has only "id", "disabled" and "reason"' });
  else return { id: s.id, reason: s.reason };
  return undefined;
}

/**
 * Loads one kind through every layer: each layer with the loader (its bounds, its schema and cross-checks, one broken
 * file never stopping the others), then composed by id. A pack file is never in the build's manifest unless it is a
 * shipped file's exact text, so it is validated in full.
 */
export async function loadPacked<T>(kind: RuleKind, opts: PackOptions): Promise<PackedLoad<T>> {
  const { layers, untrusted } = layersOf(kind, opts);
  const byId = new Map<string, PackedItem<T>>();
  const disabled: DisabledRule[] = [];
  const problems: RuleProblem[] = [];
  let validatedNow = 0;
  for (const layer of layers) {
    const stubs: Array<{ file: string; id: string; reason: string }> = [];
    const claim =
      layer.pack === 'user' || layer.pack === 'project'
        ? (file: string, text: string) => {
            const s = parseStub(file, text, problems);
            if (s === null) return false;
            if (s) stubs.push({ file, ...s });
            return true;
          }
        : undefined;
    const r = await loadKind<T>(kind, layer.dir, { claim, cases: opts.cases });
    problems.push(...r.problems);
    validatedNow += r.validatedNow;
    for (const item of r.items) {
      const id = kind.idOf(item.rule);
      const prev = byId.get(id);
      if (prev && kind.id === 'redact' && layer.pack !== 'rules') {
        // A narrower shape under a shipped id would let what the shipped one catches through: packs only add shapes.
        problems.push({ file: item.file, jsonPath: kind.idPath, message: `a pack cannot replace the redaction shape "${id}" (${prev.pack}): give yours a new id, it is then used as well` });
        continue;
      }
      byId.set(id, { file: item.file, rule: item.rule, pack: layer.pack, ...(prev ? { replaces: prev.pack } : {}) });
    }
    for (const s of stubs) {
      const prev = byId.get(s.id);
      if (!prev) problems.push({ file: s.file, jsonPath: '$.id', message: `turns off "${s.id}", which no lower layer has (opta rules list --kind ${kind.id})` });
      else if (kind.id === 'redact') problems.push({ file: s.file, jsonPath: '$.disabled', message: 'a redaction shape cannot be turned off by a pack: a secret could then reach output' });
      else {
        byId.delete(s.id);
        disabled.push({ id: s.id, file: s.file, pack: layer.pack, reason: s.reason, disables: prev.pack });
      }
    }
  }
  const notices = untrusted ? [untrustedNotice(untrusted)] : [];
  // stderr says it once per process (the CLI's entry prints it), whatever number of kinds load; reports always carry it.
  notices.forEach(noticeOnce);
  return { items: [...byId.values()], disabled, problems, validatedNow, notices };
}
