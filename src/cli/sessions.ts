// `opta sessions list|cancel`: thin adapters over the daemon's session API (through the crash guardian).
import { cancelSession, createSession, listSessions, reportDaemonStarts } from '../daemon/client/api.js';
import { cliPaths } from './context.js';
import { err, out } from './output.js';
import type { GroupSpec } from './command-table.js';
import { collectCrashFactsWith } from '../daemon/lifecycle/crash-report.js';
import { crashFacts } from '../doctor/crash-facts.js';
import { SESSIONS_LIST, showSessions } from './sessions-list.js';

// The guide's crash guardian: "a brief delay while the daemon restarts", said in one line on stderr, never silent.
reportDaemonStarts(err);
// A daemon the guardian finds dead leaves a crash report with the doctor's facts (collected only then).
collectCrashFactsWith(crashFacts);

/** `opta sessions ...`, declared once (command-table.ts). */
export const SESSIONS: GroupSpec = {
  name: 'sessions',
  description: 'list the daemon\'s sessions and cancel stuck turns',
  commands: [
    { ...SESSIONS_LIST, run: async (opts: { json?: boolean; all?: boolean }) => showSessions(await listSessions(cliPaths(), { all: opts.all }), opts) },
    {
      name: 'create',
      description: 'create a session whose tools may read the current directory (or --workspace <dir>), never the opta home',
      args: [{ name: '[id]', description: 'session id (default: a generated one)' }],
      options: [{ flags: '--workspace <dir>', description: 'the directory the session\'s tools may read (default: the current directory)' }],
      run: async (opts: { workspace?: string }, [id]: [string | undefined]) => {
        const r = await createSession(cliPaths(), { id, workspace: opts.workspace ?? process.cwd() });
        const s = r.session;
        out(r.created ? `Session ${s.id} created (workspace ${s.workspace}).` : `Session ${s.id} already exists (workspace ${s.workspace ?? 'none'}); it was left as it was.`);
        return 0;
      },
    },
    {
      name: 'cancel',
      description: 'cancel the active and queued turns of a session (the guide\'s "Cancel the stuck turn"); submit a new turn afterwards',
      args: [{ name: '<id>', description: 'session id (see opta sessions list)' }],
      run: async (_opts, [id]: [string]) => {
        const r = await cancelSession(cliPaths(), id);
        out(r.cancelled ? `Cancelled ${r.cancelled} turn(s) in session ${id}: ${r.turnIds.join(', ')}.` : `Session ${id} had no active or queued turns; nothing to cancel.`);
        return 0;
      },
    },
  ],
};
