// `opta doctor`, declared once (command-table.ts): commander registers it for help and errors, the fast path runs it without commander.
import { DEFAULT_DEADLINE_MS } from '../doctor/run.js';
import type { CommandSpec, OptionToken } from './command-table.js';
import { doctorAction, INTERVAL_RANGE, MS_RANGE, parseInterval, parseList, parseMs } from './doctor-command.js';
import type { DoctorFlags } from './doctor-flags.js';
import type { OutputToken } from './doctor-outputs.js';
import type { ExitCode } from './context.js';

/** --json, --format and --output in command-line order: each --output belongs to the --format just before it. */
function outputsOf(order: OptionToken[]): OutputToken[] {
  const outputs: OutputToken[] = [];
  for (const t of order) {
    if (t.name === 'json') outputs.push({ kind: 'json' });
    else if (t.name === 'format' || t.name === 'output') outputs.push({ kind: t.name, value: t.value ?? '' });
  }
  return outputs;
}

export const DOCTOR: CommandSpec = {
  name: 'doctor',
  description: 'check the daemon, LMX, the model, config and permissions (read-only); prints what is wrong, why, and the next command',
  options: [
    { flags: '--json', description: 'the report as JSON, same as --format json (schema: schemas/doctor-report.schema.json)' },
    { flags: '-v, --verbose', description: 'also show which facts each check used and how long each took, and a table of the path to LMX' },
    { flags: '--strict', description: 'exit 1 on warnings too' },
    { flags: '--timeout <ms>', description: `deadline for the whole run in milliseconds`, parse: parseMs, default: DEFAULT_DEADLINE_MS, range: MS_RANGE },
    { flags: '--only <ids>', description: 'run only these rule ids or checks (comma-separated, repeatable)', parse: parseList, repeatable: true },
    { flags: '--skip <ids>', description: 'skip these rule ids or checks (comma-separated, repeatable)', parse: parseList, repeatable: true },
    { flags: '--rules <dir>', description: 'load rule files from this directory instead of the built-in rules/doctor' },
    // CI gate and monitoring (README: "opta doctor in CI and monitoring").
    { flags: '--ci', description: 'for CI: no colour, no prompts, no spinners whatever the terminal says; never reads input' },
    { flags: '--format <format>', description: 'text, json, junit, github or openmetrics; repeatable; to standard output unless an --output follows', repeatable: true },
    { flags: '--output <file>', description: 'write the --format just before it to this file (atomically); repeatable', repeatable: true },
    { flags: '--explain <id>', description: 'why one rule fired or stayed quiet in this run: its conditions with each fact value and comparison, its fix plan now, its guide section; for a log pattern id, the lines of the current run it matched (with values), near misses, and the rules that read its count (--json for JSON)' },
    { flags: '--watch', description: 'keep running: re-run every --interval and print only what changed (read-only; stop with Ctrl-C)' },
    { flags: '--interval <duration>', description: 'pause between --watch runs: 30s (default), 1500ms, 5m, 1h', parse: parseInterval, range: INTERVAL_RANGE },
    // --fix and its companions: the pipelines of rules/fixes, run through listr2 (loaded only for --fix).
    { flags: '--fix', description: 'repair what the fix pipelines can, then check again on fresh facts and say rule by rule what was fixed' },
    { flags: '-y, --yes', description: 'with --fix: run the steps that ask (stop a process, cancel a turn, change config, delete files) without asking' },
    { flags: '--dry-run', description: 'with --fix: show the plan (pipelines, steps, the files and pids each would touch, which ask) and change nothing' },
  ],
  helpAfter: [
    '',
    'Checks: daemon, LMX, model, config, permissions (always printed), then node, disk, logs, version, proxy, network, ports, doctor',
    '(printed when they have something to say). Rules: opta rules list.',
    '',
    'Exit codes: 0 healthy (warnings allowed unless --strict), 1 at least one error (or warning with --strict),',
    '2 usage or internal error, including broken rule files (the other rules still run and are printed).',
    '',
    'Outputs: each --output belongs to the --format just before it; a --format without one goes to standard output',
    '(at most one); when none does, the text does. E.g. opta doctor --ci --format junit --output doctor.xml',
    '',
    'With --fix: 0 every error found was fixed and re-verified on fresh facts, 1 something remains or needs',
    'confirmation (no terminal and no --yes), 2 usage error or a broken rule or pipeline file. --dry-run exits',
    'like opta doctor.',
  ].join('\n'),
  run: async (opts, _args, order) => {
    let code: ExitCode = 0;
    await doctorAction({ ...(opts as DoctorFlags), outputs: outputsOf(order) }, (c) => (code = c));
    return code;
  },
};
