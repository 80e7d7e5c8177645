// The fast path of `opta doctor`: parse its options with node:util instead of loading commander (~10 ms of start-up).
import { parseArgs } from 'node:util';
import type { ExitCode } from './context.js';
import { doctorAction, DOCTOR_OPTIONS, parseList, parseMs, type DoctorFlags } from './doctor-command.js';
import { DEFAULT_DEADLINE_MS } from '../engine/run.js';

/**
 * Runs doctor when its arguments are plain options; returns false (nothing done) for --help, or anything parseArgs
 * rejects, so commander prints its usual help or usage error (exit 2) from the one option table.
 */
export async function tryFastDoctor(args: string[], setExit: (code: ExitCode) => void): Promise<boolean> {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = { debug: { type: 'boolean' } };
  for (const o of DOCTOR_OPTIONS) options[o.long] = { type: o.arg ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}), ...(o.long === 'only' || o.long === 'skip' ? { multiple: true } : {}) };
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch {
    return false;
  }
  const list = (v: unknown) => (Array.isArray(v) ? v.reduce<string[]>((acc, x: string) => parseList(x, acc), []) : undefined);
  const flags: DoctorFlags = {
    json: values.json === true,
    verbose: values.verbose === true,
    strict: values.strict === true,
    timeout: typeof values.timeout === 'string' ? parseMs(values.timeout) : DEFAULT_DEADLINE_MS,
    only: list(values.only),
    skip: list(values.skip),
    rules: typeof values.rules === 'string' ? values.rules : undefined,
    fix: values.fix === true,
    yes: values.yes === true,
    dryRun: values['dry-run'] === true,
  };
  await doctorAction(flags, setExit);
  return true;
}
