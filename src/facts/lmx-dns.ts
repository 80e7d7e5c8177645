// Fact lmx-dns: how lmx.host resolves: A and AAAA asked separately, each with its time and error, and where the answer came from (IP literal, hosts file, mDNS for .local, DNS).
import net from 'node:net';
import { DEFAULT_CONFIG } from '../core/config-lite.js';
import { readSmallFile } from '../core/read-small.js';
import { DNS_TIMEOUT, hostsFileLookup, systemLookup } from '../core/resolve.js';
import { innerTimeout, type FactCollector } from './fact.js';

/** Where lmx.host's addresses come from: nothing to ask (a literal, localhost), /etc/hosts, mDNS (.local), DNS. */
export type DnsSource = 'literal' | 'localhost' | 'hosts' | 'mdns' | 'dns';

/** One query (A or AAAA): ok, no-data (the name has no record of this type), not-found, timeout, error, not-asked. */
export interface DnsQuery {
  status: 'ok' | 'no-data' | 'not-found' | 'timeout' | 'error' | 'not-asked';
  /** How long the answer took, or how long opta waited for none; null when nothing was asked. */
  ms: number | null;
  addresses: string[];
  /** The first address (what a printed command names), or null. */
  first: string | null;
  errorCode: string | null;
}

const HOSTS_FILE = '/etc/hosts';
/** A hosts file bigger than this is not read (it is someone else's file: bounded). */
const MAX_HOSTS = 256 * 1024;
/** Addresses kept per query (a round-robin name may list many; the fact stays small). */
const MAX_ADDRESSES = 8;

const notAsked = (addresses: string[] = []): DnsQuery => ({ status: 'not-asked', ms: null, addresses, first: addresses[0] ?? null, errorCode: null });
const answered = (addresses: string[], ms: number | null): DnsQuery => {
  const kept = addresses.slice(0, MAX_ADDRESSES);
  return { status: kept.length ? 'ok' : 'no-data', ms, addresses: kept, first: kept[0] ?? null, errorCode: kept.length ? null : 'ENODATA' };
};

/** Where `host` is resolved from, without asking anything (the hosts file is read by the caller). */
export function sourceOf(host: string, inHosts: boolean): DnsSource {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (net.isIP(h.replace(/^\[|\]$/g, ''))) return 'literal';
  if (h === 'localhost' || h.endsWith('.localhost')) return 'localhost';
  if (inHosts) return 'hosts';
  if (h.endsWith('.local')) return 'mdns';
  return 'dns';
}

/**
 * c-ares's ETIMEOUT is "no answer"; getaddrinfo's EAI_AGAIN is also a SERVFAIL or an unreachable server, which can come
 * at once, so it stays an error with its code (a slow one is still slow by its time, which the rules read).
 */
function classify(err: NodeJS.ErrnoException, ms: number): DnsQuery {
  const code = String(err.code ?? 'ERROR');
  const status: DnsQuery['status'] =
    code === 'ENODATA' ? 'no-data' : code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'NXDOMAIN' ? 'not-found' : code === 'ETIMEOUT' || code === DNS_TIMEOUT ? 'timeout' : 'error';
  return { status, ms, addresses: [], first: null, errorCode: code };
}

/**
 * One query, bounded by its own timer: whatever the resolver does (an AAAA never answered, c-ares retrying another
 * server), the query is 'timeout' after `boundMs` and the caller goes on. A and AAAA are separate calls, so one's
 * stall never hides the other's answer.
 */
async function timed(ask: () => Promise<string[]>, boundMs: number): Promise<DnsQuery> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<DnsQuery>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout', ms: ms(), addresses: [], first: null, errorCode: 'ETIMEOUT' }), boundMs);
  });
  try {
    return await Promise.race([ask().then((a) => answered(a, ms()), (e: NodeJS.ErrnoException) => classify(e, ms())), bound]);
  } finally {
    clearTimeout(timer);
  }
}

export const lmxDns: FactCollector<'lmx-dns'> = {
  id: 'lmx-dns',
  description: 'resolves lmx.host: A and AAAA asked apart (times, errors) and the source (literal, hosts file, mDNS, DNS)',
  async collect(ctx) {
    const cfg = await ctx.fact('config');
    const host = String((cfg.lmx as { host?: string } | undefined)?.host ?? DEFAULT_CONFIG.lmx.host);
    const bare = host.replace(/^\[|\]$/g, '');
    // Nothing to time for an address or localhost: the healthy doctor of such a setup pays no lookup at all.
    const early = sourceOf(bare, false);
    if (early === 'literal') {
      const v4 = net.isIPv4(bare);
      return { host, source: early, resolver: 'none', boundMs: null, a: notAsked(v4 ? [bare] : []), aaaa: notAsked(v4 ? [] : [bare]) };
    }
    if (early === 'localhost') return { host, source: early, resolver: 'none', boundMs: null, a: notAsked(), aaaa: notAsked() };
    let hostsText = '';
    try {
      hostsText = readSmallFile(HOSTS_FILE, MAX_HOSTS);
    } catch {
      // No hosts file (or not a readable file): names go to the resolver.
    }
    // The same reading of the file as opta's own probes (core/resolve.ts), from a bounded read.
    const listed = hostsText ? hostsFileLookup(bare.toLowerCase().replace(/\.$/, ''), hostsText) : [];
    const source = sourceOf(bare, listed.length > 0);
    if (listed.length) {
      // The system's resolver answers from the file and asks no one (hosts: files first): nothing to time.
      const of = (f: 4 | 6) => listed.filter((x) => x.family === f).map((x) => x.address);
      return { host, source, resolver: 'hosts-file', boundMs: null, a: answered(of(4), null), aaaa: answered(of(6), null) };
    }
    const boundMs = innerTimeout(ctx);
    if (source === 'mdns' || !bare.includes('.')) {
      // A .local name is answered by mDNS through the system's resolver (nss-mdns, mDNSResponder), which c-ares does
      // not speak, and a name without a dot by whatever it is configured with (search domains, NIS): the system
      // resolver per family, in a child the bound kills (core/resolve.ts systemLookup), so a stalled AAAA can neither
      // hold the run past its deadline nor keep the process from exiting.
      const lookup = (family: 4 | 6) => () => systemLookup(bare, { family, timeoutMs: boundMs, signal: ctx.signal }).then((r) => r.map((x) => x.address));
      const [a, aaaa] = await Promise.all([timed(lookup(4), boundMs), timed(lookup(6), boundMs)]);
      return { host, source, resolver: 'system', boundMs, a, aaaa };
    }
    // DNS: c-ares, one try per server and opta's own time limit, so nothing waits on resolv.conf's 5 s x attempts,
    // and cancel() lets go of the sockets when the bound or the run's deadline comes first.
    const dns = await import('node:dns/promises');
    const resolver = new dns.Resolver({ timeout: boundMs, tries: 1 });
    const cancel = () => resolver.cancel();
    ctx.signal.addEventListener('abort', cancel, { once: true });
    try {
      const [a, aaaa] = await Promise.all([timed(() => resolver.resolve4(bare), boundMs), timed(() => resolver.resolve6(bare), boundMs)]);
      return { host, source, resolver: 'dns', boundMs, a, aaaa };
    } finally {
      ctx.signal.removeEventListener('abort', cancel);
      cancel();
    }
  },
};
