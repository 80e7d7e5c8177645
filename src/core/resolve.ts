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

/** getent(1), where the C library has one (glibc, musl): the system resolver in a process a deadline can kill. */
const GETENT = ['/usr/bin/getent', '/bin/getent'].find((p) => process.platform === 'linux' && fs.existsSync(p));

/**
 * The system resolver (getaddrinfo: /etc/nsswitch.conf, nss-mdns for *.local, search domains), bounded by `timeoutMs`
 * and the signal. On Linux the lookup runs in `getent ahosts*`, a child killed at the deadline: getaddrinfo in this
 * process would hold a libuv thread, and process.exit with it, until the resolver gives up (an AAAA that mDNS never
 * answers: 15 s and more). Elsewhere (macOS has no getent) dns.lookup, raced against the same timer.
 * family 6 asks AAAA alone: getent's ahostsv6 maps IPv4 answers (::ffff:a.b.c.d), which are not IPv6 addresses.
 */
export async function systemLookup(host: string, opts: { family?: 0 | 4 | 6; timeoutMs: number; signal?: AbortSignal }): Promise<Address[]> {
  const family = opts.family ?? 0;
  const timeout = () => dnsError(DNS_TIMEOUT, host, `the system resolver gave no answer for ${host} within ${opts.timeoutMs} ms`);
  // A host name never starts with '-'; refusing it here keeps a config value from being read as getent's option.
  if (host.startsWith('-') || !host) throw dnsError('ENOTFOUND', host, `getaddrinfo ENOTFOUND ${host}`);
  if (!GETENT) {
    const dns = await nodeDns();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeout()), opts.timeoutMs);
      opts.signal?.addEventListener('abort', () => reject(timeout()), { once: true });
    });
    const ask = dns.promises.lookup(host, { all: true, family }).then((addrs) => addrs.map((a) => ({ address: a.address, family: a.family as 4 | 6 })));
    try {
      return await Promise.race([ask, bound]);
    } finally {
      clearTimeout(timer);
    }
  }
  const { spawn } = await import('node:child_process');
  const db = family === 4 ? 'ahostsv4' : family === 6 ? 'ahostsv6' : 'ahosts';
  return new Promise<Address[]>((resolve, reject) => {
    const child = spawn(GETENT, [db, host], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', stop);
      f();
    };
    const stop = () => {
      child.kill('SIGKILL');
      finish(() => reject(timeout()));
    };
    const timer = setTimeout(stop, opts.timeoutMs);
    opts.signal?.addEventListener('abort', stop, { once: true });
    child.stdout.setEncoding('utf8');
    // A resolver's answer is a few lines; more than 64 KiB is not one.
    child.stdout.on('data', (d: string) => (out.length < 65536 ? (out += d) : child.kill('SIGKILL')));
    child.on('error', (e) => finish(() => reject(dnsError('EAI_FAIL', host, `the system resolver could not be asked for ${host}: ${e.message}`))));
    child.on('close', (code) => {
      const seen = new Set<string>();
      const found: Address[] = [];
      for (const line of out.split('\n')) {
        const addr = line.split(/\s+/)[0] ?? '';
        const f = net.isIP(addr);
        if (!f || seen.has(addr) || (family === 6 && /^::ffff:/i.test(addr))) continue;
        seen.add(addr);
        found.push({ address: addr, family: f as 4 | 6 });
      }
      if (found.length) return finish(() => resolve(found));
      // getent: 2 is "no such key"; answers that were all mapped IPv4 mean the name has no AAAA record.
      if (code === 0 || (code === 2 && family === 6 && out)) return finish(() => reject(dnsError('ENODATA', host, `no ${family === 6 ? 'AAAA' : 'A'} record for ${host}`)));
      if (code === 2) return finish(() => reject(dnsError('ENOTFOUND', host, `getaddrinfo ENOTFOUND ${host}`)));
      finish(() => reject(dnsError('EAI_FAIL', host, `the system resolver failed for ${host} (getent exit ${code})`)));
    });
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
  // Four fifths of the probe's time: a silent DNS server is then reported as such, not as a host that gave no answer.
  // c-ares's own timeout is per attempt and grows, so our timer cancels the queries.
  const budget = Math.max(1, Math.floor(opts.timeoutMs * 0.8));
  if (name.endsWith('.local') || !name.includes('.')) return systemLookup(host, { timeoutMs: budget, signal: opts.signal });
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
    return await systemLookup(host, { timeoutMs: budget, signal: opts.signal });
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
