// Binds the daemon's HTTP server to the first free port of the preferred port and its fallback range.
import http from 'node:http';
import { describeOwners, inspectPort, type PortReport } from '../core/port-owners.js';

function listenOnce(server: http.Server, host: string, port: number): Promise<'ok' | 'in-use'> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve('in-use');
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

export type BindResult = { ok: true; port: number } | { ok: false; reports: PortReport[] };

export async function bindFirstFree(server: http.Server, host: string, ports: number[]): Promise<BindResult> {
  for (const port of ports) {
    if ((await listenOnce(server, host, port)) === 'ok') return { ok: true, port };
  }
  const reports = await Promise.all(ports.map((p) => inspectPort(host, p)));
  return { ok: false, reports };
}

export function allPortsTakenMessage(reports: PortReport[], preferred: number, range: string): string {
  const lines = reports.map((r) => `  ${r.port}: ${describeOwners(r)}`);
  const first = reports.find((r) => r.port === preferred)?.owners[0];
  const kill = first ? `kill ${first.pid} && opta daemon start` : 'stop the process holding the port, then opta daemon start';
  return [
    `cannot start the daemon: port ${preferred} and every fallback port (${range}) is in use:`,
    ...lines,
    `Next: ${kill}, or move the daemon: opta config set daemon.port <free port> (and daemon.portRange).`,
  ].join('\n');
}
