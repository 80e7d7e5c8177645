// The table of the path to LMX (fact lmx-path) that `opta doctor --verbose` prints under the network check, healthy or not.
import { visible } from '../rules/language/escape.js';

type Stat = { ok?: number; failed?: number; minMs?: number | null; medianMs?: number | null; p95Ms?: number | null; jitterMs?: number | null; error?: string | null };

const str = (v: unknown): string => (v === null || v === undefined ? '-' : visible(String(v)));

function statRow(label: string, s: Stat | undefined): string {
  const cells = [s?.minMs, s?.medianMs, s?.p95Ms, s?.jitterMs].map((v) => str(v).padStart(7));
  const n = (s?.ok ?? 0) + (s?.failed ?? 0);
  const failed = s?.error ? ` (${str(s.error)})` : '';
  return `${label.padEnd(16)}${cells.join('')}  ${s?.ok ?? 0} of ${n}${failed}`;
}

/** Rows (without indent) of the lmx-path fact: name, address, interface, gateway, overlay, route, then the times. */
export function pathTable(v: Record<string, unknown>): string[] {
  if (v.ok === false) return [`path to LMX     not known: ${str(v.error)}`];
  const gateway = v.gateway ? str(v.gateway) : v.loopback ? 'none (this machine)' : v.localSubnet ? 'none (on the local subnet)' : '-';
  const overlay = v.overlay ? `yes: ${str(v.overlayReason)}` : 'no';
  const rows: Array<[string, string]> = [
    ['name', str(v.address)],
    ['address', v.ip ? str(v.ip) : `- (${str(v.resolveError)})`],
    ['interface', v.interface ? str(v.interface) : `- (${str(v.routeError)})`],
    ['gateway', gateway],
    ['overlay', overlay],
    ['route from', v.routeCommand ? str(v.routeCommand) : v.loopback ? '- (loopback)' : '-'],
  ];
  return [
    ...rows.map(([k, val]) => `${k.padEnd(16)}${val}`),
    `${'ms'.padEnd(16)}${['min', 'median', 'p95', 'jitter'].map((h) => h.padStart(7)).join('')}  answered`,
    statRow('TCP connect', v.connect as Stat | undefined),
    statRow('GET /healthz', v.healthz as Stat | undefined),
  ];
}
