// Fact daemon-ports: who holds the configured daemon port and its fallback range (connect probes + find-process; never binds).
import { daemonSettings } from '../core/config-lite.js';
import { portsInOrder } from '../core/port-order.js';
import { portOwners, probeListening, shortCommand } from '../core/port-owners.js';
import { isOptaDaemonOf, looksLikeOptaDaemon } from '../core/proc.js';
import type { FactCollector } from './fact.js';

export type Holder = 'free' | 'this-daemon' | 'other-opta-daemon' | 'foreign' | 'hidden' | 'unknown';

export const daemonPorts: FactCollector<'daemon-ports'> = {
  id: 'daemon-ports',
  description: 'owners of daemon.port and daemon.portRange: a connect attempt tells free from taken, find-process names the owner',
  timeoutMs: 3000,
  // find-process spawns ss/netstat/lsof (15-50 ms each): only rules whose cheaper conditions held get here.
  priority: 1,
  async collect(ctx) {
    const s = daemonSettings(ctx.paths.configFile);
    const ports = portsInOrder(s);
    const probeMs = Math.max(50, Math.min(500, ctx.timeoutMs / 4));
    const entries = await Promise.all(
      ports.map(async (port) => {
        const listening = await probeListening(s.host, port, probeMs);
        // find-process returns [] for a free port and for an owner it cannot see alike: only ask about taken ports.
        const owners = listening === 'no' ? [] : await portOwners(port);
        let holder: Holder;
        if (listening === 'no') holder = 'free';
        else if (owners.some((o) => isOptaDaemonOf(o.pid, ctx.paths.home))) holder = 'this-daemon';
        else if (owners.some((o) => looksLikeOptaDaemon(o.cmd))) holder = 'other-opta-daemon';
        else if (owners.length) holder = 'foreign';
        else holder = listening === 'yes' ? 'hidden' : 'unknown';
        return { port, listening, holder, owners: owners.map((o) => ({ pid: o.pid, command: o.cmd, commandShort: shortCommand(o.cmd) })) };
      }),
    );
    const preferred = entries[0];
    const taken = entries.filter((e) => e.holder !== 'free');
    const owner = preferred.owners[0];
    // Daemons of this home on these ports (a stopped one whose state.json is gone holds its port without answering).
    const thisDaemonPids = [...new Set(entries.filter((e) => e.holder === 'this-daemon').flatMap((e) => e.owners.filter((o) => isOptaDaemonOf(o.pid, ctx.paths.home)).map((o) => o.pid)))];
    return {
      host: s.host,
      preferredPort: s.port,
      portRange: s.portRange,
      ports: entries,
      preferredHolder: preferred.holder,
      preferredOwnerPid: owner?.pid ?? null,
      preferredOwnerCommand: owner?.commandShort ?? (preferred.holder === 'hidden' ? 'a process opta cannot see (another user?)' : null),
      takenCount: taken.length,
      thisDaemonPids,
      thisDaemonCount: thisDaemonPids.length,
      total: entries.length,
      allTaken: taken.length === entries.length,
      takenList: taken.map((e) => (e.owners[0] ? `${e.port} (${e.owners[0].commandShort}, pid ${e.owners[0].pid})` : `${e.port}`)).join(', '),
    };
  },
};
