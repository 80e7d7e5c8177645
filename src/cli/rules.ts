// `opta rules list|validate`: the doctor's rule files, listed or fully validated (zod schema + cross-checks).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OptaError } from '../core/errors.js';
import { DEFAULT_RULES_DIR, loadRules } from '../engine/loader.js';
import { FACT_IDS } from '../facts/registry.js';
import { err, formatTable, out } from './output.js';
import type { Register } from './main.js';

export const registerRules: Register = (program: Command, setExit) => {
  const rules = program.command('rules').description('list and validate the rule files opta doctor runs');

  rules
    .command('list')
    .description('list the doctor rules: id, severity, check, fix pipeline')
    .option('--json', 'print the rules as JSON')
    .option('--rules <dir>', 'rule directory (default: the built-in rules/doctor)')
    .action(async (opts: { json?: boolean; rules?: string }) => {
      const r = await loadRules(opts.rules ?? DEFAULT_RULES_DIR);
      const rows = r.rules.map((x) => {
        const p = x.rule.event.params;
        return { id: p.id, severity: p.severity, check: p.check, fix: p.fix, guide: p.guide, facts: x.facts, file: path.relative(process.cwd(), x.file) || x.file };
      });
      if (opts.json) out(JSON.stringify(rows, null, 2));
      else {
        out(formatTable(['ID', 'SEVERITY', 'CHECK', 'FIX'], rows.map((x) => [x.id, x.severity, x.check, x.fix ?? '-'])));
      }
      for (const p of r.problems) err(`opta: rule file ${p.file} is invalid at ${p.jsonPath}: ${p.message}`);
      setExit(r.problems.length ? 2 : 0);
    });

  rules
    .command('validate [path]')
    .description('validate a rule file or directory against schemas/rule.schema.json and the known facts; exit 0 valid, 2 invalid')
    .action(async (target: string | undefined) => {
      const where = target ?? DEFAULT_RULES_DIR;
      if (!fs.existsSync(where)) throw new OptaError(`no rule file or directory at ${where}`, 2);
      const { validatePath } = await import('../engine/validate.js');
      const r = validatePath(where, FACT_IDS);
      for (const p of r.problems) err(`${p.file}: ${p.jsonPath}: ${p.message}`);
      if (r.problems.length) {
        err(`${r.problems.length} problem(s) in ${new Set(r.problems.map((p) => p.file)).size} file(s).`);
        setExit(2);
      } else {
        out(`${r.rules.length} rule file(s) valid.`);
        setExit(0);
      }
    });
};
