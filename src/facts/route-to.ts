// The route to one address as the system sees it (`ip route get` on Linux, `route -n get` on macOS): interface, gateway, overlay or not.
import net from 'node:net';
import { requireBuiltin } from '../core/install.js';

export interface RouteFacts {
  /** The command run to learn the route (printed for a person to run again), or null when none was needed or known. */
  routeCommand: string | null;
  interface: string | null;
  gateway: string | null;
  /** The local address the traffic leaves from. */
  source: string | null;
  /** The address is this machine's own (127/8, ::1, or a local address): no network in between. */
  loopback: boolean;
  /** Reached without a gateway (on a directly attached subnet); null when the route is unknown. */
  localSubnet: boolean | null;
  routeError: string | null;
  overlay: boolean;
  /** tailscale, wireguard, zerotier, tunnel (utun/tun), cgnat (an address in 100.64.0.0/10), or null. */
  overlayKind: string | null;
  overlayReason: string | null;
}

/** What `route`/`ip` may print at most: more is not a route. */
const MAX_OUTPUT = 64 * 1024;

function ipv4Number(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((n) => n > 255)) return undefined;
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

/** 100.64.0.0/10, the shared address space (RFC 6598) Tailscale and other overlays hand out. */
export function inCgnat(ip: string): boolean {
  const n = ipv4Number(ip.replace(/^::ffff:/i, ''));
  return n !== undefined && n >>> 22 === (100 << 2) + 1;
}

export function isLoopbackAddress(ip: string): boolean {
  const v4 = ip.replace(/^::ffff:/i, '');
  return /^127\./.test(v4) || ip === '::1';
}

const OVERLAY_NAMES: Array<[RegExp, string, string]> = [
  [/^tailscale/i, 'tailscale', 'Tailscale'],
  [/^wg/i, 'wireguard', 'WireGuard'],
  [/^zt/i, 'zerotier', 'ZeroTier'],
  [/^utun/i, 'tunnel', 'a macOS tunnel (Tailscale, WireGuard or another VPN)'],
  [/^tun/i, 'tunnel', 'a tunnel (a VPN)'],
];

/** Whether an interface (by its name) or the addresses at either end mark an overlay; loopback never is one. */
export function overlayOf(iface: string | null, addresses: Array<string | null>, loopback: boolean): Pick<RouteFacts, 'overlay' | 'overlayKind' | 'overlayReason'> {
  if (loopback) return { overlay: false, overlayKind: null, overlayReason: null };
  for (const [re, kind, label] of OVERLAY_NAMES) {
    if (iface && re.test(iface)) return { overlay: true, overlayKind: kind, overlayReason: `interface ${iface} is named like ${label}` };
  }
  const cgnat = addresses.find((a): a is string => typeof a === 'string' && inCgnat(a));
  if (cgnat) return { overlay: true, overlayKind: 'cgnat', overlayReason: `${cgnat} is in 100.64.0.0/10, the range Tailscale and other overlays use` };
  return { overlay: false, overlayKind: null, overlayReason: null };
}

type Parsed = Pick<RouteFacts, 'interface' | 'gateway' | 'source' | 'loopback'>;

/** `ip route get 192.168.1.20` -> "192.168.1.20 via 192.168.1.1 dev wlan0 src 192.168.1.5 uid 1000\n    cache". */
export function parseIpRouteGet(out: string): Parsed | undefined {
  const first = out.split('\n').find((l) => l.trim());
  if (!first) return undefined;
  const words = first.trim().split(/\s+/);
  const after = (key: string) => {
    const i = words.indexOf(key);
    return i >= 0 && i + 1 < words.length ? words[i + 1] : null;
  };
  const iface = after('dev');
  if (!iface) return undefined;
  return { interface: iface, gateway: after('via'), source: after('src'), loopback: words[0] === 'local' || iface === 'lo' };
}

/** macOS `route -n get 192.168.1.20`: "   route to: ...\n    gateway: 192.168.1.1\n  interface: en0\n      flags: <UP,GATEWAY,...>". */
export function parseRouteGet(out: string): Parsed | undefined {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(\\S+)`, 'm').exec(out)?.[1] ?? null;
  const iface = field('interface');
  if (!iface) return undefined;
  const flags = field('flags') ?? '';
  const gw = field('gateway');
  // A directly attached host's "gateway" is a link (link#4) or its own MAC; only the GATEWAY flag means a router.
  const gateway = gw && /GATEWAY/.test(flags) ? gw : null;
  return { interface: iface, gateway, source: null, loopback: /^lo\d*$/.test(iface) };
}

/** This machine's address on `iface` (IPv4 first), from the kernel's interface list. */
function addressOn(iface: string, family: number): string | null {
  // node:os only here: the plain doctor does not load it otherwise.
  const list = requireBuiltin<typeof import('node:os')>('node:os').networkInterfaces()[iface] ?? [];
  const pick = list.find((a) => a.family === (family === 6 ? 'IPv6' : 'IPv4')) ?? list[0];
  return pick?.address ?? null;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ out: string; error: string | null }> {
  const { execFile } = requireBuiltin<typeof import('node:child_process')>('node:child_process');
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: MAX_OUTPUT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (!err) return resolve({ out: stdout, error: null });
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const why = e.code === 'ENOENT' ? `${cmd} is not installed` : e.killed ? `${cmd} gave no answer within ${timeoutMs} ms` : (String(stderr).trim().split('\n')[0] || e.message).slice(0, 200);
      resolve({ out: String(stdout ?? ''), error: why });
    });
  });
}

/** The route to `ip` (an address, never a name), within `timeoutMs`; never throws. */
export async function routeTo(ip: string, timeoutMs: number, platform: NodeJS.Platform = process.platform): Promise<RouteFacts> {
  const family = net.isIP(ip);
  // This machine itself: no route to ask for (and no process to start on the healthy local stack).
  if (isLoopbackAddress(ip)) {
    const lo = platform === 'linux' ? 'lo' : 'lo0';
    return { routeCommand: null, interface: lo, gateway: null, source: ip, loopback: true, localSubnet: true, routeError: null, ...overlayOf(lo, [], true) };
  }
  let cmd: string | undefined;
  let args: string[] = [];
  let parse: (out: string) => Parsed | undefined = parseIpRouteGet;
  if (platform === 'linux') {
    cmd = 'ip';
    args = [...(family === 6 ? ['-6'] : []), 'route', 'get', ip];
  } else if (platform === 'darwin' || platform.endsWith('bsd')) {
    cmd = 'route';
    args = ['-n', 'get', ...(family === 6 ? ['-inet6'] : []), ip];
    parse = parseRouteGet;
  }
  if (!cmd) {
    return { routeCommand: null, interface: null, gateway: null, source: null, loopback: false, localSubnet: null, routeError: `no route lookup on ${platform}`, ...overlayOf(null, [ip], false) };
  }
  const routeCommand = [cmd, ...args].join(' ');
  const { out, error } = await run(cmd, args, timeoutMs);
  const parsed = error ? undefined : parse(out);
  if (!parsed) {
    const routeError = error ?? `could not read the route from: ${JSON.stringify(out.trim().slice(0, 80))}`;
    return { routeCommand, interface: null, gateway: null, source: null, loopback: false, localSubnet: null, routeError, ...overlayOf(null, [ip], false) };
  }
  const source = parsed.source ?? (parsed.interface ? addressOn(parsed.interface, family) : null);
  return {
    routeCommand,
    ...parsed,
    source,
    localSubnet: parsed.loopback || parsed.gateway === null,
    routeError: null,
    ...overlayOf(parsed.interface, [ip, source], parsed.loopback),
  };
}
