// Binds the daemon's HTTP server to the first free port of the preferred port and its fallback range.
import http from 'node:http';
import { DEFAULT_CONFIG } from '../../core/config-lite.js';
import { describeOwners, inspectPort, type PortReport } from '../../core/port-owners.js';

/** Ports whose owners a failed start looks up (a find-process call each, a child process or three): a sane few. */
const MAX_INSPECTED = 24;
const INSPECT_CONCURRENCY = 4;

function listenOnce(server: http.Server, host: string, port: number): Promise<'ok' | 'in-use' | 'denied'> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') resolve('in-use');
      // A privileged port (below 1024 without root or CAP_NET_BIND_SERVICE): nobody holds it, nobody to look up.
      else if (err.code === 'EACCES') resolve('denied');
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve('ok');
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

export interface BindFailure {
  ok: false;
  /** Owners of the ports in use, the first MAX_INSPECTED of them. */
  reports: PortReport[];
  /** Ports in use whose owners were not looked up. */
  notInspected: number;
  /** Ports this process may not bind (EACCES). */
  denied: number[];
}

export type BindResult = { ok: true; port: number } | BindFailure;

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Binds the first port that is free. When none is, it looks up who holds the ports in use, a few at a time and at most
 * MAX_INSPECTED of them: a range of hundreds of privileged or taken ports must not start hundreds of lookups at once
 * (they took the start-up past its deadline, so the person saw a timeout instead of the reason).
 */
export async function bindFirstFree(server: http.Server, host: string, ports: number[]): Promise<BindResult> {
  const inUse: number[] = [];
  const denied: number[] = [];
  for (const port of ports) {
    const r = await listenOnce(server, host, port);
    if (r === 'ok') return { ok: true, port };
    (r === 'denied' ? denied : inUse).push(port);
  }
  const inspected = inUse.slice(0, MAX_INSPECTED);
  const reports = await mapLimited(inspected, INSPECT_CONCURRENCY, (p) => inspectPort(host, p));
  return { ok: false, reports, notInspected: inUse.length - inspected.length, denied };
}

/** "80", "81-90, 95": runs of consecutive ports written as ranges. */
function portRuns(ports: number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < ports.length; ) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j] + 1) j++;
    runs.push(i === j ? `${ports[i]}` : `${ports[i]}-${ports[j]}`);
    i = j + 1;
  }
  return runs.join(', ');
}

export function allPortsTakenMessage(failure: Pick<BindFailure, 'reports' | 'notInspected' | 'denied'>, preferred: number, range: string): string {
  const { reports, notInspected, denied } = failure;
  const lines = reports.map((r) => `  ${r.port}: ${describeOwners(r)}`);
  if (notInspected > 0) lines.push(`  ... and ${notInspected} more port(s) in use`);
  if (denied.length) lines.push(`  ${portRuns([...denied].sort((a, b) => a - b))}: not allowed for this user (EACCES: ports below 1024 need root or CAP_NET_BIND_SERVICE)`);
  const first = reports.find((r) => r.port === preferred)?.owners[0];
  const next = denied.includes(preferred)
    ? `move the daemon to ports this user may bind: opta config set daemon.port ${DEFAULT_CONFIG.daemon.port} (and daemon.portRange ${DEFAULT_CONFIG.daemon.portRange}).`
    : `${first ? `kill ${first.pid} && opta daemon start` : 'stop the process holding the port, then opta daemon start'}, or move the daemon: opta config set daemon.port <free port> (and daemon.portRange).`;
  return [`cannot start the daemon: port ${preferred} and every fallback port (${range}) is in use:`, ...lines, `Next: ${next}`].join('\n');
}
