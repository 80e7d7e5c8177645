// A subcommand's own bundle (`daemon logs`, `sessions list`: see build/bundle.ts SUBCOMMANDS) runs its one command.
import { runTable, type CommandSpec } from './command-table.js';
import { runCli, type Groups } from './main.js';

/**
 * Runs `opta <group> <spec.name> ...` with only `spec` known: the plain fast path of the command table, no commander.
 * The bin hands anything else (--help, an unknown option) to the group's bundle before this is reached, so a request
 * for the group's full registration here is a bug in that hand-off, said as such.
 */
export function runLoneCommand(argv: string[], group: string, spec: CommandSpec): void {
  const groups: Groups = {
    [group]: async () => ({
      register: () => {
        throw new Error(`cli-${group}-${spec.name} has only the plain \`${group} ${spec.name}\`; the bin hands anything else to cli-${group}`);
      },
      fast: (args, setExit) => runTable([spec], args, setExit),
    }),
  };
  runCli(argv, groups);
}
