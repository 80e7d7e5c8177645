// The opta CLI: builds the commander program for the command groups at hand, runs one command, and is the only place that sets the exit code.
import type { Command } from 'commander';
import { OptaError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { err } from './output.js';
import { colorEnabled } from './terminal.js';
import { runtime, type ExitCode } from './context.js';
import { takeNotices } from '../core/notices.js';
import { guardStdio } from './stdio-guard.js';

/** Each command group registers itself; an action returns its exit code through `setExit`. */
export type Register = (program: Command, setExit: (code: ExitCode) => void) => void;

/**
 * A command group (`opta <name> ...`): its commander registration, and optionally a fast path that runs plain
 * invocations without commander (returning false when it cannot, e.g. for --help, so commander answers).
 */
export interface Group {
  register: Register;
  fast?: (args: string[], setExit: (code: ExitCode) => void) => Promise<boolean>;
}

/** Command groups by name, loaded on demand (src/cli/groups.ts; a bundle may carry only one of them). */
export type Groups = Record<string, () => Promise<Group>>;

async function loadGroups(argv: string[], groups: Groups): Promise<Register[]> {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  // `opta --version` needs no command group; help and unknown commands need them all.
  if (!first && argv.slice(2).some((a) => a === '-V' || a === '--version')) return [];
  const names = first && first in groups ? [first] : Object.keys(groups);
  return (await Promise.all(names.map((n) => groups[n]()))).map((g) => g.register);
}

function buildProgram(Command: typeof import('commander').Command, setExit: (code: ExitCode) => void, groups: Register[]): Command {
  const color = colorEnabled(process.stdout);
  const program = new Command('opta')
    .description('Opta Local CLI: run and diagnose the Opta daemon and its LMX inference server')
    .version(VERSION, '-V, --version')
    .option('--debug', 'show stack traces for internal errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ getOutHasColors: () => color, getErrHasColors: () => colorEnabled(process.stderr) })
    .exitOverride();
  program.addHelpText(
    'after',
    '\nExit codes: 0 what was asked holds, 1 the answer is no or something is wrong, 2 the command could not run as asked.',
  );
  for (const register of groups) register(program, setExit);
  // Commander's errors read like every other opta error ("opta: ..."); an unknown command lists the commands instead of
  // an edit-distance guess across unrelated words (`opta bogus` is not a misspelt `logs`). Within a group (set before the
  // groups were registered, so they keep it) a guess among a few similar names stays useful: `opta daemon stat`.
  const names = program.commands.map((c) => c.name()).join(', ');
  const outputError = (text: string, write: (s: string) => void) =>
    write(text.replace(/^error: /, 'opta: ').replace(/^(opta: unknown command '[^']*')$/m, `$1; the commands are: ${names}`));
  program.showSuggestionAfterError(false).configureOutput({ outputError });
  // Make every subcommand reject unknown options and stray arguments, with exit code 2.
  const strict = (cmd: Command) => {
    cmd.exitOverride().allowExcessArguments(false).showHelpAfterError('(run with --help for usage)').configureOutput({ outputError: (t, w) => w(t.replace(/^error: /, 'opta: ')) });
    cmd.commands.forEach(strict);
  };
  program.commands.forEach(strict);
  return program;
}

async function main(argv: string[], groups: Groups): Promise<ExitCode> {
  let code: ExitCode = 0;
  const setExit = (c: ExitCode) => (code = c);
  try {
    // A group's fast path (plain `opta doctor`) skips commander entirely: start-up time is part of its contract.
    const first = argv[2];
    if (first !== undefined && Object.hasOwn(groups, first)) {
      const g = await groups[first]();
      if (g.fast && (await g.fast(argv.slice(3), setExit))) return code;
    }
    const { Command, CommanderError } = await import('commander');
    const program = buildProgram(Command, setExit, await loadGroups(argv, groups));
    try {
      await program.parseAsync(argv);
    } catch (e) {
      // Help and version are successes; everything else commander rejects is a usage error.
      if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
      throw e;
    }
    return code;
  } catch (e) {
    if (e instanceof OptaError) {
      err(`opta: ${e.message}`);
      return (e.exitCode === 2 ? 2 : 1) as ExitCode;
    }
    const debug = argv.includes('--debug');
    err(`opta: internal error: ${e instanceof Error ? e.message : String(e)}${debug ? '' : ' (run again with --debug for details)'}`);
    if (debug && e instanceof Error && e.stack) err(e.stack);
    return 2;
  }
}

/**
 * Runs the CLI for `argv` (process.argv) with these command groups: called by the bundles the build makes
 * (dist/bundle/cli.cjs with every group, cli-<group>.cjs with one), which the bin picks by the command's name.
 */
export function runCli(argv: string[], groups: Groups): void {
  guardStdio();

  void main(argv, groups).then((code) => {
    process.exitCode = code;
    for (const line of takeNotices()) err(line);
    if (runtime.hardStopAt !== undefined) {
      // Unref'd: a process with nothing left to do exits at once; one held open (e.g. by a DNS lookup) ends at the deadline.
      setTimeout(() => process.exit(code), Math.max(0, runtime.hardStopAt - Date.now())).unref();
    }
  });
}
