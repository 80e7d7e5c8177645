// Fact proxy-env: proxy variables that would send requests for the LMX host through a proxy (no NO_PROXY entry for it).
import { DEFAULT_CONFIG } from '../core/config-lite.js';
import type { FactCollector } from './fact.js';

const PROXY_VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'];

/** Hides credentials in a proxy URL: http://user:pass@proxy:3128 -> http://****@proxy:3128. */
export function redactProxy(value: string): string {
  return value.replace(/\/\/[^/@]+@/, '//****@');
}

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((n) => n > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** curl's NO_PROXY rules: "*", exact names, domain suffixes (with or without a leading dot), IPs and IPv4 CIDR. */
export function noProxyMatches(noProxy: string, host: string): string | null {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return entry;
    const name = entry.replace(/^\[|\]$/g, '').replace(/:\d+$/, '');
    if (name.includes('/')) {
      const [net, bitsText] = name.split('/');
      const a = ipv4(net);
      const b = ipv4(h);
      const bits = Number(bitsText);
      if (a !== undefined && b !== undefined && bits >= 0 && bits <= 32) {
        const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
        if (((a & mask) >>> 0) === ((b & mask) >>> 0)) return entry;
      }
      continue;
    }
    const bare = name.startsWith('.') ? name.slice(1) : name;
    if (h === bare || h.endsWith('.' + bare)) return entry;
  }
  return null;
}

export const proxyEnv: FactCollector<'proxy-env'> = {
  id: 'proxy-env',
  description: 'HTTP(S)_PROXY/ALL_PROXY and NO_PROXY (either case) against lmx.host',
  async collect(ctx) {
    const cfg = await ctx.fact('config');
    const host = String((cfg.lmx as { host?: string } | undefined)?.host ?? DEFAULT_CONFIG.lmx.host);
    const set = PROXY_VARS.filter((v) => ctx.env[v]);
    const noProxy = [ctx.env.no_proxy, ctx.env.NO_PROXY].filter(Boolean).join(',');
    const match = noProxy ? noProxyMatches(noProxy, host) : null;
    return {
      lmxHost: host,
      proxyVars: set.join(', '),
      proxies: Object.fromEntries(set.map((v) => [v, redactProxy(String(ctx.env[v]))])),
      noProxy: noProxy || null,
      noProxyMatch: match,
      routedThroughProxy: set.length > 0 && match === null,
    };
  },
};
