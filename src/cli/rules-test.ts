// `opta rules test [PATH...]`: runs the cases rule files carry (each kind's own tester), over every active rule or the files given.
import fs from 'node:fs';
import os from 'node:os';
import { OptaError, UsageError } from '../core/errors.js';
import { kindOfPath, type RuleKind } from '../rules/kinds.js';
import { defaultPackOptions, loadPacked } from '../rules/packs.js';
import { visible } from '../rules/language/escape.js';
import type { RuleProblem } from '../rules/rule-problem.js';
import type { RuleTestResult } from '../rules/rule-test.js';
import { KINDS, kindById, rel, schemaRefOf, testerOf } from './rule-kinds.js';
import type { ExitCode } from './context.js';
import { err, out } from './output.js';

export interface RulesTestOptions {
  kind?: string;
  format?: string;
  rules?: string;
}


export async function rulesTestAction(opts: RulesTestOptions, targets: string[]): Promise<ExitCode> {
  const format = opts.format ?? 'text';
  if (format !== 'text' && format !== 'junit') throw new UsageError(`unknown format "${format}"; formats: text, junit`);
  const only = opts.kind === undefined ? undefined : kindById(opts.kind);
  if (opts.kind !== undefined && !only) throw new UsageError(`unknown rule kind "${opts.kind}"; kinds: ${KINDS.map((k) => k.id).join(', ')}`);
  const paths = [...targets, ...(opts.rules ? [opts.rules] : [])];
  for (const t of paths) if (!fs.existsSync(t)) throw new OptaError(`no rule file or directory at ${visible(t)}; give a rule file or a directory of them (opta rules list shows where the shipped ones are)`, 2);
  const packs = { ...defaultPackOptions(process.env), cases: true };
  const started = Date.now();
  const problems: RuleProblem[] = [];
  const sets: Array<{ kind: RuleKind; items: Array<{ file: string; rule: unknown }> }> = [];
  if (paths.length) {
    // Files given: validated in full (a pack file is untrusted input), as `opta rules validate PATH` does.
    const { validateKindPath } = await import('../rules/validate.js');
    for (const t of paths) {
      const kind = only ?? kindOfPath(KINDS, t, schemaRefOf(t)) ?? kindById('doctor')!;
      const r = validateKindPath(kind, await kind.validator(), t);
      problems.push(...r.problems);
      sets.push({ kind, items: r.rules });
    }
  } else {
    // Every active rule: the shipped ones and the packs on top (the user's; a trusted project's), as the commands see them.
    for (const kind of only ? [only] : KINDS) {
      const r = await loadPacked(kind, packs);
      problems.push(...r.problems);
      sets.push({ kind, items: r.items });
    }
  }
  for (const p of problems) err(`opta: rule file ${visible(p.file)} is invalid at ${visible(p.jsonPath)}: ${visible(p.message)}`);
  if (problems.length) {
    err(`opta rules test: ${problems.length} problem(s) in ${new Set(problems.map((p) => p.file)).size} file(s); fix them first (opta rules validate PATH), then run the cases again.`);
    return 2;
  }
  const results: RuleTestResult[] = [];
  for (const { kind, items } of sets) {
    if (!items.length) continue;
    const tester = testerOf(kind);
    if (!tester) throw new OptaError(`rule kind ${kind.id} has no cases to run`, 2);
    results.push(...(await (await tester()).test(items, { packs })));
  }
  if (!results.length) throw new OptaError(`no rule files in ${paths.map((p) => visible(p)).join(', ') || 'the rule directories'}; nothing was tested`, 2);
  const render = await import('../render/rule-tests.js');
  if (format === 'junit') {
    out(render.renderRuleTestsJunit(results, rel, { timestamp: new Date(started).toISOString().slice(0, 19), hostname: os.hostname() }).trimEnd());
  } else out(render.renderRuleTestsText(results, rel));
  const n = render.countsOf(results);
  return n.failed || n.untested ? 1 : 0;
}
