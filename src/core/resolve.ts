// Host name resolution for probes that must end by a deadline, without getaddrinfo where it can hang.
//
// Why: dns.lookup (getaddrinfo) runs on a libuv pool thread that nothing can interrupt, and process.exit() joins
// those threads before the process ends, so a DNS server that never answers holds `opta doctor` open for as long as
// the system resolver waits (30 s and more), deadline or not. Like Go's resolver: IP literals, localhost and
// /etc/hosts are answered here; other names go to c-ares (node's dns.Resolver: sockets on the event loop, with a
// timeout, cancelled by the probe's signal). Only where c-ares cannot answer do we fall back to the system resolver:
// mDNS names (*.local, e.g. the guide's lmx-host.local) and names DNS says do not exist (search domains, NIS, ...).
import type dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';

export interface Address {
  address: string;
  family: 4 | 6;
}

/** Thrown (as a node-style error with this code) when no DNS server answered in time. */
export const DNS_TIMEOUT = 'DNS_TIMEOUT';

function dnsError(code: string, host: string, message: string): NodeJS.ErrnoException {
  const e = new Error(message) as NodeJS.ErrnoException;
  e.code = code;
  (e as NodeJS.ErrnoException & { hostname: string }).hostname = host;
  return e;
}

/** Addresses /etc/hosts gives a name (the system resolver would read it first too). */
export function hostsFileLookup(name: string, text?: string): Address[] {
  let body = text;
  if (body === undefined) {
    try {
      body = fs.readFileSync(process.platform === 'win32' ? `${process.env.SystemRoot ?? 'C:\\Windows'}\\System32\\drivers\\etc\\hosts` : '/etc/hosts', 'utf8');
    } catch {
      return [];
    }
  }
  const out: Address[] = [];
  for (const raw of body.split('\n')) {
    const [addr, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
    const family = net.isIP(addr ?? '');
    if (family && names.some((n) => n.toLowerCase() === name)) out.push({ address: addr, family: family as 4 | 6 });
  }
  return out;
}

/** node:dns, loaded only when a name needs resolving (IP literals, localhost and /etc/hosts do not): ~0.5 ms. */
const nodeDns = () => import('node:dns').then((m) => m.default);

async function systemLookup(host: string): Promise<Address[]> {
  const dns = await nodeDns();
  return new Promise((resolve, reject) => {
    dns.lookup(host, { all: true }, (err, addrs) => (err ? reject(err) : resolve(addrs.map((a) => ({ address: a.address, family: a.family as 4 | 6 })))));
  });
}

/** Resolves a host for a probe; rejects with ENOTFOUND, DNS_TIMEOUT or the system resolver's code. */
export async function resolveHost(host: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<Address[]> {
  const literal = net.isIP(host);
  if (literal) return [{ address: host, family: literal as 4 | 6 }];
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
  const listed = hostsFileLookup(name);
  if (listed.length) return listed;
  if (name.endsWith('.local') || !name.includes('.')) return systemLookup(host);
  // Four fifths of the probe's time: a silent DNS server is then reported as such, not as a host that gave no answer.
  // c-ares's own timeout is per attempt and grows, so our timer cancels the queries.
  const budget = Math.max(1, Math.floor(opts.timeoutMs * 0.8));
  const resolver = new (await nodeDns()).promises.Resolver({ timeout: budget, tries: 1 });
  const cancel = () => resolver.cancel();
  const timer = setTimeout(cancel, budget);
  opts.signal?.addEventListener('abort', cancel, { once: true });
  try {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const found: Address[] = [
      ...(v4.status === 'fulfilled' ? v4.value.map((a) => ({ address: a, family: 4 as const })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((a) => ({ address: a, family: 6 as const })) : []),
    ];
    if (found.length) return found;
    const codes = [v4, v6].map((r) => (r.status === 'rejected' ? String((r.reason as NodeJS.ErrnoException).code) : 'ENODATA'));
    if (opts.signal?.aborted || codes.some((c) => c === 'ETIMEOUT' || c === 'ECANCELLED')) {
      throw dnsError(DNS_TIMEOUT, host, `no DNS answer for ${host} within ${budget} ms`);
    }
    // DNS answered: nothing there. The system resolver may still know the name (search domains, NIS, LDAP, ...)
    // and, DNS having just answered, will not hang on it.
    return await systemLookup(host);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', cancel);
  }
}

/** A `lookup` for node:http/net options (it is called with and without `all`), bounded as above. */
export function boundedLookup(opts: { timeoutMs: number; signal?: AbortSignal }): net.LookupFunction {
  return ((hostname: string, options: dns.LookupOptions | number, callback: (...args: unknown[]) => void) => {
    const all = typeof options === 'object' && options.all === true;
    const want = typeof options === 'object' ? options.family : options;
    resolveHost(hostname, opts).then(
      (addrs) => {
        const usable = want === 4 || want === 6 ? addrs.filter((a) => a.family === want) : addrs;
        if (!usable.length) return callback(dnsError('ENOTFOUND', hostname, `getaddrinfo ENOTFOUND ${hostname}`));
        if (all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (err) => callback(err),
    );
  }) as net.LookupFunction;
}
