// `opta daemon logs`: the end of the daemon log, redacted, optionally followed; a bundle of its own (cli-daemon-logs).
//
// Why its own bundle: the guide's support one-liner and every "look at the log" step run it, and its budget is tight
// (<= 1.5x a bare node on a 1 GB log). The daemon group's bundle carries start, stop, status and reset (the fix runner,
// the rules engine): reading it costs more than this command's own work. The bin runs cli-daemon-logs.cjs for
// `opta daemon logs ...`; anything that is not a plain invocation (--help, an unknown option) it hands to the group's
// bundle (subcommandEntry), where commander answers as for any other subcommand.
import { OptaError, UsageError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { refuseLinkOut } from '../core/own-path.js';
import { cliPaths, type ExitCode } from './context.js';
import { out } from './output.js';
import { planTable, type CommandSpec } from './command-table.js';
import { runLoneCommand } from './lone-command.js';
import { parseProfile, PROFILES, type RedactProfile } from '../redact/profile.js';

function parseLines(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--lines takes a whole number of at least 1, not "${v}"`);
  return Number(v);
}

async function logs(opts: { lines: number; follow?: boolean; showSecrets?: boolean; redact?: RedactProfile }): Promise<ExitCode> {
  const paths = cliPaths();
  const { follow, readTail } = await import('../logs/tail.js');
  // The guide's support one-liner pipes this into a file: the token, API keys and anything shaped like a secret
  // are replaced by [REDACTED:<kind>-<n>] unless a person asks for them.
  let redactor: import('../redact/redactor.js').Redactor | undefined;
  if (!opts.showSecrets) {
    const [{ homeRedactor }, { RedactShapesError }] = await Promise.all([import('../redact/load-shapes.js'), import('../redact/redactor.js')]);
    try {
      // The placeholders earlier bundles and redacted files gave (looked up, never written: this command changes nothing).
      const { PlaceholderMap } = await import('../redact/placeholder-map.js');
      redactor = await homeRedactor(paths, process.env, undefined, opts.redact, PlaceholderMap.load(process.env));
    } catch (e) {
      if (e instanceof RedactShapesError) throw new OptaError(`cannot redact the log: ${e.message}. Fix the rule file (opta rules validate --kind redact), or print the log as it is with --show-secrets.`, 2);
      throw e;
    }
  }
  let from: import('../logs/tail.js').Position | undefined;
  let lines: string[] = [];
  // A daemon.log that links out of the home is not the daemon's log: never printed through.
  refuseLinkOut(paths.logFile, paths.home);
  try {
    const tail = readTail(paths.logFile, opts.lines, { keepOpen: Boolean(opts.follow) });
    lines = tail.lines;
    from = tail.end;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new OptaError(`failed to read log file ${paths.logFile}: ${(e as Error).message}`);
    if (!opts.follow) {
      throw new OptaError(`no daemon log at ${displayPath(paths.logFile)} yet: the daemon has not run in this home. Start it: opta daemon start`);
    }
  }
  if (lines.length) out(redactor ? redactor.text(lines.join('\n')) : lines.join('\n'));
  if (!opts.follow) return 0;
  const { lineRedactor } = await import('../redact/redactor.js');
  const sink = (t: string) => void process.stdout.write(t);
  const stream = redactor ? lineRedactor(redactor, sink) : { push: sink, end: () => undefined };
  await new Promise<void>((resolve) => {
    const stopFollow = follow(paths.logFile, (t) => stream.push(t), { from });
    const end = () => {
      stopFollow();
      stream.end();
      resolve();
    };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
  });
  return 0;
}

/** The `logs` row of the daemon group's table (daemon.ts), here so that its bundle needs nothing else of the group. */
export const DAEMON_LOGS: CommandSpec = {
    name: 'logs',
    description: 'print the end of the daemon log (default 200 lines), secrets redacted; --follow keeps printing, across rotation',
    options: [
      { flags: '-n, --lines <n>', description: 'how many lines from the end', parse: parseLines, default: 200 },
      { flags: '-f, --follow', description: 'keep printing new lines until interrupted' },
      { flags: '--show-secrets', description: 'print the lines as they are, without redacting secrets' },
      { flags: '--redact <profile>', description: `how much to redact: ${PROFILES.join(', ')} (default standard; see opta support redact --help)`, parse: parseProfile },
    ],
    run: (opts) => logs(opts as { lines: number; follow?: boolean; showSecrets?: boolean; redact?: RedactProfile }),
  };

/**
 * The cli-daemon-logs bundle's entry, given process.argv (`node opta daemon logs ...`): runs a plain invocation and
 * returns undefined, or returns the bundle to hand the command to (the whole daemon group) and does nothing.
 */
export function subcommandEntry(argv: string[]): string | undefined {
  try {
    if (argv[2] !== 'daemon' || !planTable([DAEMON_LOGS], argv.slice(3))) return 'cli-daemon';
  } catch {
    // A bad value (--lines 0): the group's bundle says so, with the exit code and message of any usage error.
    return 'cli-daemon';
  }
  runLoneCommand(argv, 'daemon', DAEMON_LOGS);
  return undefined;
}
