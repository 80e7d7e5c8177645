// `opta sessions list`: the daemon's sessions, a page or all; a bundle of its own (cli-sessions-list).
//
// Why its own bundle: its budget is <= 1.5x a bare node (issue 23), and the sessions group's bundle carries commander
// and the crash guardian (service managers, locks, spawn, crash reports). A plain `opta sessions list` asks the daemon
// its state file names straight away when that daemon plainly runs (quick-call.ts). When it does not (none runs, it
// died, it does not answer), or for anything but a plain invocation (--help, an unknown option), the bin hands the
// command to the sessions group's bundle, whose guardian starts or replaces the daemon as for any session command.
// It runs its one command itself, not through main.ts (runLoneCommand), whose commander fallback, notices and wording
// of internal errors are for commands that can fail in those ways (with it the bundle was 32 KB, without 19 KB).
import { cliPaths } from './context.js';
import { formatTable, out } from './output.js';
import { planTable, type CommandSpec } from './command-table.js';
import { guardStdio } from './stdio-guard.js';
import type { SessionPage, SessionSummary } from '../daemon/protocol.js';
import { quickGet } from '../daemon/client/quick-call.js';
import { sessionPages } from '../daemon/client/session-pages.js';

function table(rows: SessionSummary[]): string {
  const head = ['SESSION', 'TURNS', 'ACTIVE', 'QUEUED', 'PERMISSIONS', 'CLIENTS', 'LAST SEQ', 'CREATED', 'WORKSPACE'];
  const body = rows.map((s) => [s.id, String(s.turns), s.activeTurn ?? '-', String(s.queuedTurns), String(s.pendingPermissions), String(s.wsClients), String(s.lastSeq), s.createdAt, s.workspace ?? '-']);
  return formatTable(head, body);
}

/** Prints a page as `opta sessions list` does (the table, or --json). */
export function showSessions(page: SessionPage, opts: { json?: boolean }): 0 {
  const rows = page.sessions;
  if (opts.json) out(JSON.stringify(page, null, 2));
  else {
    out(rows.length ? table(rows) : 'No sessions yet.');
    if (page.total > rows.length) out(`${rows.length} of ${page.total} sessions shown; opta sessions list --all shows every one (or --json, a page at a time with its "next").`);
  }
  return 0;
}

/**
 * The `list` row of the sessions group's table, but its action (sessions.ts adds it: through the crash guardian), here
 * so that this bundle needs nothing else of the group.
 */
export const SESSIONS_LIST: Omit<CommandSpec, 'run'> = {
  name: 'list',
  description: 'list sessions with their active and queued turns and pending permission requests',
  options: [
    { flags: '--json', description: 'print as JSON' },
    { flags: '--all', description: 'every session, not only the first page (100, in id order)' },
  ],
};

/**
 * The cli-sessions-list bundle's entry, given process.argv (`node opta sessions list ...`): a plain invocation asks
 * the daemon straight away when it plainly runs, prints and resolves to undefined; anything else resolves to the
 * bundle to hand the command to (the sessions group, with commander and the crash guardian), having printed nothing.
 */
export async function subcommandEntry(argv: string[]): Promise<string | undefined> {
  let opts: { json?: boolean; all?: boolean };
  try {
    const plan = argv[2] === 'sessions' ? planTable([{ ...SESSIONS_LIST, run: async () => 0 }], argv.slice(3)) : undefined;
    if (!plan) return 'cli-sessions';
    opts = plan.opts as typeof opts;
  } catch {
    return 'cli-sessions';
  }
  const paths = cliPaths();
  const pages = sessionPages((p) => quickGet(paths, p), { all: opts.all });
  guardStdio();
  // Made while the daemon answers (a pipe's stream: ~0.3 ms), not when the table is written: in the event loop's turn
  // after the one that sends the request on the connection quickGet has begun.
  setImmediate(() => void process.stdout);
  const page = await pages;
  if (!page) return 'cli-sessions';
  process.exitCode = showSessions(page, opts);
  // Done: the process ends now rather than after node has torn down its heap (~1 ms), once what was written has
  // reached the pipe or file (a pipe is written asynchronously on macOS): an empty write's callback comes after theirs.
  // A failed write is stdio-guard's to end (EPIPE quietly, anything else exit 2).
  process.stdout.write('', (err) => err || process.exit());
  return undefined;
}
