// Who owns a TCP port: find-process for pid and command, plus a connect attempt to tell "free" from "hidden owner".
import net from 'node:net';

export interface PortOwner {
  pid: number;
  /** The owner's full command line (find-process's `name` is only a guess from it). */
  cmd: string;
}

export interface PortReport {
  port: number;
  /** listening: something accepted a connection; free: refused; unknown: neither within the timeout. */
  listening: 'yes' | 'no' | 'unknown';
  owners: PortOwner[];
}

/** Connects (never binds: binding could steal a port from a daemon that is starting). */
export function probeListening(host: string, port: number, timeoutMs = 500): Promise<'yes' | 'no' | 'unknown'> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (v: 'yes' | 'no' | 'unknown') => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done('unknown'), timeoutMs);
    sock.once('connect', () => done('yes'));
    sock.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'no' : 'unknown'));
  });
}

type FindProcess = (by: 'port', value: number) => Promise<Array<{ pid: number; cmd: string; name: string }>>;
let finder: Promise<FindProcess> | undefined;

async function loadFinder(): Promise<FindProcess> {
  // Loaded on demand so commands that never ask about ports do not pay for it.
  finder ??= import('find-process').then((m) => {
    const mod = m as unknown as { default: FindProcess | { default: FindProcess } };
    return typeof mod.default === 'function' ? mod.default : mod.default.default;
  });
  return finder;
}

export async function portOwners(port: number): Promise<PortOwner[]> {
  try {
    const find = await loadFinder();
    const list = await find('port', port);
    const seen = new Set<number>();
    return list
      .filter((p) => p.pid > 0 && !seen.has(p.pid) && (seen.add(p.pid), true))
      .map((p) => ({ pid: p.pid, cmd: p.cmd || p.name }));
  } catch {
    return [];
  }
}

export async function inspectPort(host: string, port: number, timeoutMs = 500): Promise<PortReport> {
  const [listening, owners] = await Promise.all([probeListening(host, port, timeoutMs), portOwners(port)]);
  return { port, listening, owners };
}

export function describeOwners(r: PortReport): string {
  if (r.owners.length) return r.owners.map((o) => `${shortCommand(o.cmd)} (pid ${o.pid})`).join(', ');
  return r.listening === 'yes' ? 'a process opta cannot see (another user?)' : 'unknown owner';
}

/** "python3 -m http.server 9999" -> "python3"; "/usr/bin/node x.js" -> "node". */
export function shortCommand(cmd: string): string {
  const first = cmd.trim().split(/\s+/)[0] ?? cmd;
  return first.split('/').pop() || first;
}
