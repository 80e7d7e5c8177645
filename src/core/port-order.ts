// The daemon's ports in the order they are tried: daemon.port first, then daemon.portRange without it.
export function parsePortRange(range: string): number[] {
  const [a, b] = range.split('-').map(Number);
  const out: number[] = [];
  for (let p = a; p <= b; p++) out.push(p);
  return out;
}

/** Why one function: the daemon binds in this order, and every probe (facts, inspect, kill, bundle) must look in the same order. */
export function portsInOrder(daemon: { port: number; portRange: string }): number[] {
  return [daemon.port, ...parsePortRange(daemon.portRange).filter((p) => p !== daemon.port)];
}
