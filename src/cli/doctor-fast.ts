// The fast path of `opta doctor`: parse its plain options without loading commander (~4 ms of start-up).
import type { ExitCode } from './context.js';
import { doctorAction, DOCTOR_OPTIONS, parseInterval, parseList, parseMs, REPEATABLE, type DoctorFlags } from './doctor-command.js';
import type { OutputToken } from './doctor-outputs.js';
import { DEFAULT_DEADLINE_MS } from '../doctor/run.js';
import { parsePlain } from './plain-args.js';

/**
 * Runs doctor when its arguments are plain options; returns false (nothing done) for --help, or anything else
 * parsePlain leaves to commander, so commander prints its usual help or usage error (exit 2) from the one option table.
 */
export async function tryFastDoctor(args: string[], setExit: (code: ExitCode) => void): Promise<boolean> {
  const parsed = parsePlain(args, [
    { long: 'debug', value: false },
    ...DOCTOR_OPTIONS.map((o) => ({ long: o.long, short: o.short, value: Boolean(o.arg), multiple: REPEATABLE.has(o.long) })),
  ]);
  if (!parsed) return false;
  const values = parsed.values as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v.reduce<string[]>((acc, x: string) => parseList(x, acc), []) : undefined);
  // --format/--output pair by position, which the values lose: read them from the tokens, in order.
  const outputs: OutputToken[] = [];
  for (const t of parsed.order) {
    if (t.name === 'json') outputs.push({ kind: 'json' });
    else if (t.name === 'format' || t.name === 'output') outputs.push({ kind: t.name, value: t.value ?? '' });
  }
  const flags: DoctorFlags = {
    json: values.json === true,
    verbose: values.verbose === true,
    strict: values.strict === true,
    timeout: typeof values.timeout === 'string' ? parseMs(values.timeout) : DEFAULT_DEADLINE_MS,
    only: list(values.only),
    skip: list(values.skip),
    rules: typeof values.rules === 'string' ? values.rules : undefined,
    fix: values.fix === true,
    ci: values.ci === true,
    outputs,
    watch: values.watch === true,
    interval: typeof values.interval === 'string' ? parseInterval(values.interval) : undefined,
    yes: values.yes === true,
    dryRun: values['dry-run'] === true,
  };
  await doctorAction(flags, setExit);
  return true;
}
