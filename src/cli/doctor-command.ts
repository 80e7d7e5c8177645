// The `opta doctor` action, shared by the commander registration and the fast path: run the rules, render, set the exit code.
import { UsageError } from '../core/errors.js';
import { DEFAULT_DEADLINE_MS, runDoctor } from '../engine/run.js';
import { renderJson } from '../report/json.js';
import { renderRuleProblems, renderText } from '../report/text.js';
import { cliPaths, runtime, type ExitCode } from './context.js';
import { colorEnabled, err, out } from './output.js';

export interface DoctorFlags {
  json?: boolean;
  verbose?: boolean;
  strict?: boolean;
  timeout: number;
  only?: string[];
  skip?: string[];
  rules?: string;
  fix?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

/** The options of `opta doctor`, declared once for commander (help) and node:util parseArgs (the fast path). */
export const DOCTOR_OPTIONS = [
  { long: 'json', short: undefined, arg: undefined, description: 'print the report as JSON (schema: schemas/doctor-report.schema.json)' },
  { long: 'verbose', short: 'v', arg: undefined, description: 'also show which facts each check used and how long each took' },
  { long: 'strict', short: undefined, arg: undefined, description: 'exit 1 on warnings too' },
  { long: 'timeout', short: undefined, arg: 'ms', description: `deadline for the whole run in milliseconds` },
  { long: 'only', short: undefined, arg: 'ids', description: 'run only these rule ids or checks (comma-separated, repeatable)' },
  { long: 'skip', short: undefined, arg: 'ids', description: 'skip these rule ids or checks (comma-separated, repeatable)' },
  { long: 'rules', short: undefined, arg: 'dir', description: 'load rule files from this directory instead of the built-in rules/doctor' },
  // --fix and its companions: the pipelines of rules/fixes, run through listr2 (loaded only for --fix).
  { long: 'fix', short: undefined, arg: undefined, description: 'repair what the fix pipelines can, then check again on fresh facts and say rule by rule what was fixed' },
  { long: 'yes', short: 'y', arg: undefined, description: 'with --fix: run the steps that ask (stop a process, cancel a turn, change config, delete files) without asking' },
  { long: 'dry-run', short: undefined, arg: undefined, description: 'with --fix: show the plan (pipelines, steps, the files and pids each would touch, which ask) and change nothing' },
] as const;

export function parseMs(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 100 || Number(v) > 600000) throw new UsageError(`--timeout takes milliseconds from 100 to 600000, not "${v}"`);
  return Number(v);
}

export function parseList(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

export async function doctorAction(flags: DoctorFlags, setExit: (code: ExitCode) => void): Promise<void> {
  if ((flags.yes || flags.dryRun) && !flags.fix) throw new UsageError(`${flags.yes ? '--yes' : '--dry-run'} only goes with --fix: opta doctor --fix${flags.yes ? ' --yes' : ' --dry-run'}`);
  if (flags.fix) return (await import('./doctor-fix.js')).fixAction(flags, setExit);
  // Nothing may keep a finished doctor alive past its deadline (a DNS lookup of an unreachable host, say).
  runtime.hardStopAt = Date.now() + flags.timeout + 250;
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
}
