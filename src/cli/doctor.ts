// `opta doctor`: diagnose the whole stack read-only (rules in rules/doctor, facts in src/facts) and print findings.
import { Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { DEFAULT_DEADLINE_MS, runDoctor } from '../engine/run.js';
import { renderJson } from '../report/json.js';
import { renderRuleProblems, renderText } from '../report/text.js';
import { cliPaths, runtime } from './context.js';
import { colorEnabled, err, out } from './output.js';
import type { Register } from './main.js';

function parseMs(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 100 || Number(v) > 600000) throw new UsageError(`--timeout takes milliseconds from 100 to 600000, not "${v}"`);
  return Number(v);
}

function parseList(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

interface DoctorFlags {
  json?: boolean;
  verbose?: boolean;
  strict?: boolean;
  timeout: number;
  only?: string[];
  skip?: string[];
  rules?: string;
  fix?: boolean;
}

export const registerDoctor: Register = (program: Command, setExit) => {
  program
    .command('doctor')
    .description('check the daemon, LMX, the model, config and permissions (read-only); prints what is wrong, why, and the next command')
    .option('--json', 'print the report as JSON (schema: schemas/doctor-report.schema.json)')
    .option('-v, --verbose', 'also show which facts each check used and how long each took')
    .option('--strict', 'exit 1 on warnings too')
    .option('--timeout <ms>', 'deadline for the whole run', parseMs, DEFAULT_DEADLINE_MS)
    .option('--only <ids>', 'run only these rule ids or checks (comma-separated, repeatable)', parseList)
    .option('--skip <ids>', 'skip these rule ids or checks (comma-separated, repeatable)', parseList)
    .option('--rules <dir>', 'load rule files from this directory instead of the built-in rules/doctor')
    .addOption(new Option('--fix', 'repair what can be repaired (not in this release)').hideHelp())
    .addHelpText(
      'after',
      [
        '',
        'Checks: daemon, LMX, model, config, permissions (always printed), then node, disk, logs, version, proxy, ports, doctor',
        '(printed when they have something to say). Rules: opta rules list.',
        '',
        'Exit codes: 0 healthy (warnings allowed unless --strict), 1 at least one error (or warning with --strict),',
        '2 usage or internal error, including broken rule files (the other rules still run and are printed).',
      ].join('\n'),
    )
    .action(async (flags: DoctorFlags) => {
      if (flags.fix) throw new UsageError('opta doctor --fix is not available in this release yet; run the "next:" commands that opta doctor prints.');
      const started = Date.now();
      // Nothing may keep a finished doctor alive past its deadline (a DNS lookup of an unreachable host, say).
      runtime.hardStopAt = started + flags.timeout + 250;
      const report = await runDoctor({
        paths: cliPaths(),
        env: process.env,
        rulesDir: flags.rules,
        only: flags.only,
        skip: flags.skip,
        strict: flags.strict,
        deadlineMs: flags.timeout,
      });
      if (flags.json) out(renderJson(report));
      else {
        let kleur;
        if (colorEnabled(process.stdout)) {
          // kleur reads NO_COLOR/FORCE_COLOR its own way: load it only when colour is on, and tell it so.
          kleur = (await import('kleur')).default;
          kleur.enabled = true;
        }
        process.stdout.write(renderText(report, { kleur, verbose: flags.verbose }));
      }
      for (const line of renderRuleProblems(report)) err(line);
      if (report.ruleProblems.length) err('opta: fix the rule files above (check them with: opta rules validate); the other rules ran.');
      setExit(report.exitCode);
    });
};
