// `opta permissions list|allow|deny`: see and settle pending tool permission requests (through the crash guardian).
import { listPendingPermissions, reportDaemonStarts, resolvePermission, type PendingPermission } from '../daemon/client/api.js';
import { cliPaths } from './context.js';
import { formatDuration } from '../core/duration.js';
import { err, formatTable, out } from './output.js';
import type { GroupSpec } from './command-table.js';
import { collectCrashFactsWith } from '../daemon/lifecycle/crash-report.js';
import { crashFacts } from '../doctor/crash-facts.js';

// The guide's crash guardian: "a brief delay while the daemon restarts", said in one line on stderr, never silent.
reportDaemonStarts(err);
// A daemon the guardian finds dead leaves a crash report with the doctor's facts (collected only then).
collectCrashFactsWith(crashFacts);

function table(rows: PendingPermission[]): string {
  const head = ['REQUEST', 'SESSION', 'TOOL', 'AGE', 'CLIENT', 'ARGS'];
  const body = rows.map((p) => [p.requestId, p.sessionId, p.tool, formatDuration(p.ageMs), p.clientConnected ? 'connected' : 'none', JSON.stringify(p.args)]);
  return formatTable(head, body);
}

/** `opta permissions ...`, declared once (command-table.ts). */
export const PERMISSIONS: GroupSpec = {
  name: 'permissions',
  description: 'list, allow or deny pending tool permission requests',
  commands: [
    {
      name: 'list',
      description: 'list pending permission requests; CLIENT "none" means nobody is connected to answer it',
      options: [{ flags: '--json', description: 'print as JSON (the GET /v3/permissions?state=pending shape)' }],
      run: async (opts: { json?: boolean }) => {
        const list = await listPendingPermissions(cliPaths());
        if (opts.json) out(JSON.stringify({ permissions: list }, null, 2));
        else out(list.length ? table(list) : 'No pending permission requests.');
        const unattended = list.filter((p) => !p.clientConnected);
        if (!opts.json && unattended.length) {
          // The guide's "Permission Requests Hang": say how to unblock it, not just that it is stuck.
          out(
            `\n${unattended.length} request(s) have no client connected to answer them. Answer one: opta permissions allow|deny <requestId>; ` +
              `or cancel the stuck turn: opta sessions cancel ${unattended[0].sessionId}`,
          );
        }
        return 0;
      },
    },
    ...(['allow', 'deny'] as const).map((decision) => ({
      name: decision,
      description: `${decision} a pending permission request (see opta permissions list)`,
      args: [{ name: '<requestId>', description: 'request id, e.g. perm_001' }],
      options: [{ flags: '--session <id>', description: 'the session, when the same request id is pending in several' }],
      run: async (opts: { session?: string }, [requestId]: [string]) => {
        const p = await resolvePermission(cliPaths(), requestId, decision, opts.session);
        out(`${decision === 'allow' ? 'Allowed' : 'Denied'} ${p.requestId} (session ${p.sessionId}, tool ${p.tool} ${JSON.stringify(p.args)}).`);
        return 0 as const;
      },
    })),
  ],
};
