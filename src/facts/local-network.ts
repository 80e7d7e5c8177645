// Fact local-network: on macOS, whether LMX's connect error is Local Network privacy's (a same-subnet host refused while the gateway answers); elsewhere nothing is looked at.
import net from 'node:net';
import os from 'node:os';
import { innerTimeout, type FactCollector } from './fact.js';
import { LOCAL_NETWORK_ERRORS, localNetworkBlocked, type LocalNetworkInputs } from './local-network-signature.js';

/** Bytes of `route -n get default` read at most (its answer is a dozen lines). */
const MAX_ROUTE_OUTPUT = 16 * 1024;

function ipv4Number(s: string): number | undefined {
  if (!net.isIPv4(s)) return undefined;
  return s.split('.').reduce((n, p) => ((n << 8) >>> 0) + Number(p), 0) >>> 0;
}

/** Whether `addr` lies in the subnet of one of this machine's non-loopback IPv4 interfaces. */
export function onLocalSubnet(addr: string, ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): boolean {
  const a = ipv4Number(addr);
  if (a === undefined) return false;
  for (const list of Object.values(ifaces)) {
    for (const i of list ?? []) {
      if (i.family !== 'IPv4' || i.internal) continue;
      const ip = ipv4Number(i.address);
      const mask = ipv4Number(i.netmask);
      if (ip !== undefined && mask !== undefined && ((ip & mask) >>> 0) === ((a & mask) >>> 0)) return true;
    }
  }
  return false;
}

/** macOS's default gateway (`route -n get default`), bounded in time and bytes; undefined when it cannot be told. */
async function defaultGateway(boundMs: number, signal: AbortSignal): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('/sbin/route', ['-n', 'get', 'default'], { timeout: boundMs, maxBuffer: MAX_ROUTE_OUTPUT, signal, encoding: 'utf8' }, (err, out) => {
      const m = /^\s*gateway:\s*(\S+)\s*$/m.exec(err ? '' : out);
      resolve(m && net.isIPv4(m[1]) ? m[1] : undefined);
    });
  });
}

/** Whether `host` answers a TCP connect on port 53 (accepted or refused: a refusal is an answer) within the bound. */
function answers(host: string, boundMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: 53 });
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), boundMs);
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'));
  });
}

export const localNetwork: FactCollector<'local-network'> = {
  id: 'local-network',
  description: 'macOS only: a same-subnet LMX refused (EHOSTUNREACH/EPERM) while the gateway answers (Local Network privacy)',
  // On demand: only a rule whose cheaper conditions (LMX's connect error) held asks for it.
  priority: 5,
  async collect(ctx) {
    const platform = process.platform;
    const inputs: LocalNetworkInputs = { platform, errorCode: null, sameSubnet: null, gatewayAnswers: null };
    // Not macOS: there is no such permission to look for, and nothing is asked.
    if (platform !== 'darwin') return { ...inputs, applies: false, signature: false, address: null, gateway: null };
    const lmx = await ctx.fact('lmx');
    inputs.errorCode = typeof lmx.errorCode === 'string' ? lmx.errorCode : null;
    if (!inputs.errorCode || !LOCAL_NETWORK_ERRORS.includes(inputs.errorCode)) return { ...inputs, applies: true, signature: false, address: null, gateway: null };
    const dns = await ctx.fact('lmx-dns');
    const a = (dns.a as { first?: unknown } | undefined)?.first;
    const address = typeof a === 'string' ? a : null;
    inputs.sameSubnet = address ? onLocalSubnet(address) : null;
    let gateway: string | null = null;
    if (inputs.sameSubnet) {
      const boundMs = innerTimeout(ctx);
      gateway = (await defaultGateway(boundMs, ctx.signal)) ?? null;
      inputs.gatewayAnswers = gateway ? await answers(gateway, innerTimeout(ctx)) : null;
    }
    return { ...inputs, applies: true, signature: localNetworkBlocked(inputs), address, gateway };
  },
};
