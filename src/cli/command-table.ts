// Every command is declared once, as a table: registered with commander (help, usage errors) and run without it on a fast path.
//
// Why: loading commander and building the program costs a short command ~4 ms (commander also loads child_process).
// A plain `opta doctor --json` or `opta daemon logs --lines 200` is parsed from the same table (plain-args.ts); anything
// else (--help, a stray argument, a value that starts with "-") goes to commander, which answers as it always did.
import type { Command } from 'commander';
import { parsePlain } from './plain-args.js';
import type { ExitCode } from './context.js';

export interface OptionSpec {
  /** As commander writes them: '-n, --lines <n>', '--json', '--no-redact'. */
  flags: string;
  description: string;
  /** Turns the value into what the action gets (given the value so far when `repeatable`); throws a UsageError for a bad one (both paths print it). */
  parse?: (value: string, previous?: any) => unknown;
  /** Given more than once, each value goes through `parse` with the values so far (--only a --only b). */
  repeatable?: boolean;
  default?: unknown;
  /** The values `parse` accepts, as --help and the README's commands table both say them ('100 to 600000 ms'); test/readme-commands.test.ts holds them together. */
  range?: string;
}

export interface ArgumentSpec {
  /** '<id>' (required), '[id]' (optional), '[file...]' (any number). */
  name: string;
  /** Shown under "Arguments:" in the help; without one the argument is named in the usage line only. */
  description?: string;
}

/** An option as the command line gave it, in order (--format and --output pair by position). */
export interface OptionToken {
  name: string;
  value?: string;
}

export interface CommandSpec {
  name: string;
  description: string;
  args?: ArgumentSpec[];
  /** Another name for the command (`logs analyse`). */
  alias?: string;
  options?: OptionSpec[];
  /** Printed after the help's option list. */
  helpAfter?: string;
  /**
   * Gets the options under commander's camelCase names (--show-secrets: showSecrets), the arguments in order, and
   * the options in command-line order.
   */
  run(opts: Record<string, any>, args: any[], order: OptionToken[]): Promise<ExitCode>;
}

/** `opta <name> <command> ...`: a command group whose commands are a table. */
export interface GroupSpec {
  name: string;
  description: string;
  commands: CommandSpec[];
}

interface Flags {
  long: string;
  short?: string;
  takesValue: boolean;
  /** The option's camelCase key; a --no-x option sets x to false (x is true by default). */
  key: string;
  negated: boolean;
}

function flagsOf(o: OptionSpec): Flags {
  const m = /^(?:-(\w), )?--([\w-]+)(?: <[\w-]+>)?$/.exec(o.flags);
  if (!m) throw new Error(`unsupported option flags: ${o.flags}`);
  const negated = m[2].startsWith('no-');
  const name = negated ? m[2].slice(3) : m[2];
  return { short: m[1], long: m[2], takesValue: o.flags.endsWith('>'), key: name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()), negated };
}

/** Adds one command to `parent` for commander. */
function registerCommand(parent: Command, spec: CommandSpec, setExit: (code: ExitCode) => void): void {
  const cmd = parent.command(spec.name).description(spec.description);
  if (spec.alias) cmd.alias(spec.alias);
  for (const a of spec.args ?? []) cmd.argument(a.name, a.description);
  // Option events come in command-line order, which the values do not keep.
  const order: OptionToken[] = [];
  for (const o of spec.options ?? []) {
    const f = flagsOf(o);
    const description = o.range ? `${o.description} (${o.range})` : o.description;
    if (o.parse) cmd.option(o.flags, description, (v: string, prev: unknown) => (o.repeatable ? o.parse!(v, prev) : o.parse!(v)), o.default);
    else cmd.option(o.flags, description, o.default as string | boolean | undefined);
    cmd.on(`option:${f.long}`, (v: unknown) => order.push(f.takesValue ? { name: f.long, value: String(v) } : { name: f.long }));
  }
  if (spec.helpAfter) cmd.addHelpText('after', spec.helpAfter);
  cmd.action(async (...params: unknown[]) => {
    // commander passes the arguments, then the options, then the command.
    const args = params.slice(0, -2);
    setExit(await spec.run(params[params.length - 2] as Record<string, unknown>, args, order));
  });
}

/** Adds each command to `parent` for commander. */
export function registerTable(parent: Command, specs: CommandSpec[], setExit: (code: ExitCode) => void): void {
  for (const spec of specs) registerCommand(parent, spec, setExit);
}

/**
 * The command and the options commander would give it, when `<command> [options]` is plain (its own options, and
 * the global --debug) and the command takes no arguments; undefined for anything else. A value's parse may throw its
 * UsageError here.
 */
export function planTable(specs: CommandSpec[], args: string[]): { spec: CommandSpec; opts: Record<string, unknown>; order: OptionToken[] } | undefined {
  const spec = specs.find((s) => s.name === args[0]);
  if (!spec || spec.args?.length) return undefined;
  const flags = (spec.options ?? []).map((o) => ({ o, f: flagsOf(o) }));
  const parsed = parsePlain(args.slice(1), [{ long: 'debug', value: false }, ...flags.map(({ o, f }) => ({ long: f.long, short: f.short, value: f.takesValue, multiple: Boolean(o.repeatable) }))]);
  if (!parsed) return undefined;
  const values = parsed.values;
  const opts: Record<string, unknown> = {};
  for (const { o, f } of flags) {
    const v = values[f.long];
    if (v === undefined) {
      if (o.default !== undefined) opts[f.key] = o.default;
      else if (f.negated) opts[f.key] ??= true;
    } else if (f.negated) opts[f.key] = false;
    else if (Array.isArray(v)) opts[f.key] = o.parse ? v.reduce<unknown>((acc, x) => o.parse!(x, acc), o.default) : v[v.length - 1];
    else opts[f.key] = typeof v === 'string' && o.parse ? o.parse(v) : v;
  }
  return { spec, opts, order: parsed.order };
}

/** Runs `<command> [options]` when planTable accepts it; returns false, having done nothing, for anything else. */
export async function runTable(specs: CommandSpec[], args: string[], setExit: (code: ExitCode) => void): Promise<boolean> {
  const plan = planTable(specs, args);
  if (!plan) return false;
  setExit(await plan.spec.run(plan.opts, [], plan.order));
  return true;
}

/**
 * A command group of the CLI (main.ts's Group) from its table: `opta <group> <command>` for a GroupSpec, `opta
 * <command>` for a single CommandSpec. `fast`: plain invocations skip commander (the commands whose start-up counts).
 */
export function tableGroup(spec: GroupSpec | CommandSpec, opts: { fast?: boolean } = {}) {
  const group = 'commands' in spec;
  return {
    register: (program: Command, setExit: (code: ExitCode) => void) =>
      group ? registerTable(program.command(spec.name).description(spec.description), spec.commands, setExit) : registerCommand(program, spec, setExit),
    fast: opts.fast ? (args: string[], setExit: (code: ExitCode) => void) => (group ? runTable(spec.commands, args, setExit) : runTable([spec], [spec.name, ...args], setExit)) : undefined,
  };
}
