// `opta rules list|validate`: every kind of rule file (doctor checks, log patterns, fix pipelines, ...), listed or fully validated.
import fs from 'node:fs';
import path from 'node:path';
import { OptaError, UsageError } from '../core/errors.js';
import { kindOfPath, type RuleKind } from '../rules/kinds.js';
import { loadKind } from '../rules/loader.js';
import { defaultPackOptions, findProjectDir, loadPacked, projectFiles, trustProject, type DisabledRule } from '../rules/packs.js';
import { visible } from '../rules/language/escape.js';
import { resolveHome } from '../core/paths.js';
import { KINDS, kindById, rel, schemaRefOf } from './rule-kinds.js';
import type { ExitCode } from './context.js';
import { err, formatTable, out } from './output.js';
import type { GroupSpec } from './command-table.js';

function kindOption(id: string | undefined): RuleKind | undefined {
  if (id === undefined) return undefined;
  const k = kindById(id);
  if (!k) throw new UsageError(`unknown rule kind "${id}"; kinds: ${KINDS.map((x) => x.id).join(', ')}`);
  return k;
}


const kinds = KINDS.map((k) => k.id).join(', ');

async function listAction(opts: { json?: boolean; kind?: string; rules?: string }): Promise<ExitCode> {
  const only = kindOption(opts.kind);
  const targets: Array<{ kind: RuleKind; dir: string }> = opts.rules
    ? [{ kind: only ?? kindOfPath(KINDS, opts.rules, schemaRefOf(opts.rules)) ?? kindById('doctor')!, dir: opts.rules }]
    : (only ? [only] : KINDS).map((k) => ({ kind: k, dir: k.dir }));
  const rows: Array<Record<string, unknown>> = [];
  const tables: string[] = [];
  let problems = 0;
  for (const { kind, dir } of targets) {
    if (!opts.rules && !fs.existsSync(dir)) continue;
    // --rules lists that directory alone, as it always did; otherwise every pack layer, composed as the commands see it.
    const r = opts.rules ? { ...(await loadKind(kind, dir)), disabled: [] as DisabledRule[] } : await loadPacked(kind, defaultPackOptions());
    const mine: Array<Record<string, unknown>> = r.items.map((x) => ({
      kind: kind.id,
      ...kind.summary(x.rule),
      file: rel(x.file),
      ...('pack' in x ? { pack: x.pack, note: x.replaces ? `replaces ${x.replaces}` : null } : {}),
    }));
    const off: Array<Record<string, unknown>> = r.disabled.map((d) => ({ kind: kind.id, id: d.id, file: rel(d.file), pack: d.pack, note: `disables ${d.disables}: ${d.reason}`, disabled: true }));
    rows.push(...mine, ...off);
    const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : visible(String(v)));
    const columns = opts.rules ? kind.columns : [...kind.columns, 'pack', 'note'];
    const body = [...mine, ...off].map((m) => columns.map((c) => cell(m[c])));
    tables.push(`${kind.id} (${rel(dir)}): ${kind.description}\n${formatTable(columns.map((c) => c.toUpperCase()), body)}`);
    for (const p of r.problems) err(`opta: rule file ${visible(p.file)} is invalid at ${visible(p.jsonPath)}: ${visible(p.message)}`);
    problems += r.problems.length;
  }
  out(opts.json ? JSON.stringify(rows, null, 2) : tables.join('\n\n'));
  return problems ? 2 : 0;
}

async function validateAction(opts: { kind?: string }, target: string | undefined): Promise<ExitCode> {
  const only = kindOption(opts.kind);
  if (target !== undefined && !fs.existsSync(target)) throw new OptaError(`no rule file or directory at ${target}`, 2);
  const targets: Array<{ kind: RuleKind; dir: string }> = target
    ? [{ kind: only ?? kindOfPath(KINDS, target, schemaRefOf(target)) ?? kindById('doctor')!, dir: target }]
    : (only ? [only] : KINDS).filter((k) => fs.existsSync(k.dir)).map((k) => ({ kind: k, dir: k.dir }));
  const { validateKindPath } = await import('../rules/validate.js');
  let valid = 0;
  const problems: Array<{ file: string }> = [];
  for (const { kind, dir } of targets) {
    const r = validateKindPath(kind, await kind.validator(), dir);
    for (const p of r.problems) err(`${p.file}: ${p.jsonPath}: ${p.message}`);
    problems.push(...r.problems);
    valid += r.rules.length;
    if (!target) out(`${kind.id}: ${r.rules.length} file(s) valid${r.problems.length ? `, ${r.problems.length} problem(s)` : ''}`);
  }
  if (problems.length) {
    err(`${problems.length} problem(s) in ${new Set(problems.map((p) => p.file)).size} file(s).`);
    return 2;
  }
  out(`${valid} rule file(s) valid.`);
  return 0;
}

/** `opta rules trust`: records the content hash of the project pack above the current directory (as direnv allow does). */
async function trustAction(): Promise<ExitCode> {
  const dir = findProjectDir(process.cwd(), process.env.HOME);
  if (!dir) throw new OptaError('no project rule pack here: opta looks for .opta/rules/ or .opta/suppressions.json from the current directory upward (not in HOME or above)', 1);
  const home = resolveHome();
  const hash = trustProject(home, dir);
  const files = projectFiles(dir);
  out(`Trusted the rule pack in ${visible(dir)} (${files.length} file(s), sha256 ${hash.slice(0, 12)}).`);
  for (const f of files) out(`  ${visible(path.relative(dir, f))}`);
  out('Any change to these files needs a new opta rules trust.');
  return 0;
}

/** `opta rules ...`, declared once (command-table.ts). */
export const RULES: GroupSpec = {
  name: 'rules',
  description: `list, validate and test opta's rule files (${kinds})`,
  commands: [
    {
      name: 'list',
      description: 'list the rules of every kind (or one): id and what each does',
      options: [
        { flags: '--json', description: 'print the rules as JSON' },
        { flags: '--kind <kind>', description: `only this kind (${kinds})` },
        { flags: '--rules <dir>', description: 'list the rule files of this directory instead (its kind from --kind, its $schema or its name)' },
      ],
      run: (opts: { json?: boolean; kind?: string; rules?: string }) => listAction(opts),
    },
    {
      name: 'validate',
      args: [{ name: '[path]' }],
      description: 'validate rule files against their schema (schemas/) and cross-checks: every built-in kind, or a file or directory; exit 0 valid, 2 invalid',
      options: [{ flags: '--kind <kind>', description: `the kind of the file or directory given (default: from its $schema or its directory name, else doctor)` }],
      run: (opts: { kind?: string }, [target]: [string | undefined]) => validateAction(opts, target),
    },
    {
      name: 'test',
      args: [{ name: '[path...]' }],
      description: 'run the cases rule files carry (doctor: facts -> fires/passes and the message; logs: examples with values, near misses; fixes: facts -> plan; redact: examples, look-alikes): every active rule, or the files and directories given; exit 0 all hold, 1 a case failed or a rule lacks one, 2 could not run',
      options: [
        { flags: '--kind <kind>', description: `the kind of the files given (default: from their $schema or directory name, else doctor)` },
        { flags: '--format <format>', description: 'text (default) or junit' },
        { flags: '--rules <dir>', description: 'test the rule files of this directory (as a PATH)' },
      ],
      run: async (opts: { kind?: string; format?: string; rules?: string }, [targets]: [string[] | undefined]) => (await import('./rules-test.js')).rulesTestAction(opts, targets ?? []),
    },
    {
      name: 'trust',
      description: "trust the project's rule pack (.opta/rules/, .opta/suppressions.json, found from here upward) as it is now; any change needs a new trust",
      run: () => trustAction(),
    },
  ],
};
