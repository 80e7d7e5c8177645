// Subcommands declared once as a table: registered with commander (help, usage errors) and run without it on a fast path (plain invocations).
//
// Why: loading commander and building the program costs a short command ~4 ms (commander also loads child_process).
// A plain `opta daemon logs --lines 200` is parsed from the same table (plain-args.ts); anything else (--help, a stray
// argument, a value that starts with "-") goes to commander, which answers as it always did.
import type { Command } from 'commander';
import { parsePlain } from './plain-args.js';
import type { ExitCode } from './context.js';

export interface OptionSpec {
  /** As commander writes them: '-n, --lines <n>', '--json'. */
  flags: string;
  description: string;
  /** Turns the value into what the action gets; throws a UsageError for a bad one (both paths print it). */
  parse?: (value: string) => unknown;
  default?: unknown;
}

export interface CommandSpec {
  name: string;
  description: string;
  options?: OptionSpec[];
  /** Gets the options under commander's camelCase names (--show-secrets: showSecrets). */
  run(opts: Record<string, unknown>): Promise<ExitCode>;
}

interface Flags {
  long: string;
  short?: string;
  takesValue: boolean;
  key: string;
}

function flagsOf(o: OptionSpec): Flags {
  const m = /^(?:-(\w), )?--([\w-]+)(?: <[\w-]+>)?$/.exec(o.flags);
  if (!m) throw new Error(`unsupported option flags: ${o.flags}`);
  return { short: m[1], long: m[2], takesValue: o.flags.endsWith('>'), key: m[2].replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) };
}

/** Adds each subcommand to `parent` for commander. */
export function registerTable(parent: Command, specs: CommandSpec[], setExit: (code: ExitCode) => void): void {
  for (const spec of specs) {
    const cmd = parent.command(spec.name).description(spec.description);
    for (const o of spec.options ?? []) {
      if (o.parse) cmd.option(o.flags, o.description, (v: string) => o.parse!(v), o.default);
      else cmd.option(o.flags, o.description, o.default as string | boolean | undefined);
    }
    cmd.action(async (opts: Record<string, unknown>) => setExit(await spec.run(opts)));
  }
}

/**
 * The subcommand and the options commander would give it, when `<subcommand> [options]` is plain (its own options, and
 * the global --debug); undefined for anything else. A value's parse may throw its UsageError here.
 */
export function planTable(specs: CommandSpec[], args: string[]): { spec: CommandSpec; opts: Record<string, unknown> } | undefined {
  const spec = specs.find((s) => s.name === args[0]);
  if (!spec) return undefined;
  const flags = (spec.options ?? []).map((o) => ({ o, f: flagsOf(o) }));
  const parsed = parsePlain(args.slice(1), [{ long: 'debug', value: false }, ...flags.map(({ f }) => ({ long: f.long, short: f.short, value: f.takesValue }))]);
  if (!parsed) return undefined;
  const values = parsed.values;
  const opts: Record<string, unknown> = {};
  for (const { o, f } of flags) {
    const v = values[f.long];
    if (v === undefined) {
      if (o.default !== undefined) opts[f.key] = o.default;
    } else opts[f.key] = typeof v === 'string' && o.parse ? o.parse(v) : v;
  }
  return { spec, opts };
}

/** Runs `<subcommand> [options]` when planTable accepts it; returns false, having done nothing, for anything else. */
export async function runTable(specs: CommandSpec[], args: string[], setExit: (code: ExitCode) => void): Promise<boolean> {
  const plan = planTable(specs, args);
  if (!plan) return false;
  setExit(await plan.spec.run(plan.opts));
  return true;
}
