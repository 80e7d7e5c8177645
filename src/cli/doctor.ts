// `opta doctor` for commander (help, errors): diagnose the whole stack read-only and print findings.
import type { Command } from 'commander';
import { DEFAULT_DEADLINE_MS } from '../doctor/run.js';
import { doctorAction, DOCTOR_OPTIONS, parseInterval, parseList, parseMs, type DoctorFlags } from './doctor-command.js';
import type { OutputToken } from './doctor-outputs.js';
import type { Register } from './main.js';

export const registerDoctor: Register = (program: Command, setExit) => {
  const cmd = program
    .command('doctor')
    .description('check the daemon, LMX, the model, config and permissions (read-only); prints what is wrong, why, and the next command');
  // --format/--output pair by position: commander emits option events in command-line order, values do not keep it.
  const outputs: OutputToken[] = [];
  for (const o of DOCTOR_OPTIONS) {
    const flags = `${o.short ? `-${o.short}, ` : ''}--${o.long}${o.arg ? ` <${o.arg}>` : ''}`;
    if (o.long === 'timeout') cmd.option(flags, o.description, parseMs, DEFAULT_DEADLINE_MS);
    else if (o.long === 'only' || o.long === 'skip') cmd.option(flags, o.description, parseList);
    else if (o.long === 'interval') cmd.option(flags, o.description, parseInterval);
    else cmd.option(flags, o.description);
  }
  cmd.on('option:json', () => outputs.push({ kind: 'json' }));
  cmd.on('option:format', (v: string) => outputs.push({ kind: 'format', value: v }));
  cmd.on('option:output', (v: string) => outputs.push({ kind: 'output', value: v }));
  cmd
    .addHelpText(
      'after',
      [
        '',
        'Checks: daemon, LMX, model, config, permissions (always printed), then node, disk, logs, version, proxy, ports, doctor',
        '(printed when they have something to say). Rules: opta rules list.',
        '',
        'Exit codes: 0 healthy (warnings allowed unless --strict), 1 at least one error (or warning with --strict),',
        '2 usage or internal error, including broken rule files (the other rules still run and are printed).',
        '',
        'Outputs: each --output belongs to the --format just before it; a --format without one goes to standard output',
        '(at most one); when none does, the text does. E.g. opta doctor --ci --format junit --output doctor.xml',
        '',
        'With --fix: 0 every error found was fixed and re-verified on fresh facts, 1 something remains or needs',
        'confirmation (no terminal and no --yes), 2 usage error. --dry-run exits like opta doctor.',
      ].join('\n'),
    )
    .action((flags: DoctorFlags) => doctorAction({ ...flags, outputs }, setExit));
};
