// Fact lmx-path: the path to LMX: its address, the route (interface, gateway, overlay or not, local subnet), and TCP connect and /healthz round-trip times.
import { DEFAULT_CONFIG, readConfigLite } from '../core/config-lite.js';
import { errorCode } from '../core/errors.js';
import { resolveHost } from '../core/resolve.js';
import { innerTimeout, type FactCollector } from './fact.js';
import { samplePath, stats, type PathSample } from './path-samples.js';
import { routeTo, type RouteFacts } from './route-to.js';

/** Samples per round, taken in parallel: a healthy doctor pays one round (a few ms on a LAN), no more. */
export const ROUND = 3;
/** Rounds at most: the second and third only when the first looks bad, or the run is thorough (--verbose, --only network). */
export const MAX_ROUNDS = 3;
/**
 * When a first round "looks bad" enough to be worth more samples: this only decides how many samples to take, never
 * whether anything is wrong (that is the rules' thresholds, in rules/doctor/lmx-latency-high.json and lmx-jitter-high.json).
 */
const SUSPECT_MS = 50;
const SUSPECT_SPREAD_MS = 20;

function looksBad(samples: PathSample[]): boolean {
  const rt = samples.map((s) => s.healthzMs).filter((v): v is number => v !== null);
  const conn = samples.map((s) => s.connectMs).filter((v): v is number => v !== null);
  if (!rt.length) return false; // nothing answered: more samples say nothing new (LMX's own check says why)
  if (samples.some((s) => s.error)) return true;
  return Math.max(...rt, ...conn) > SUSPECT_MS || Math.max(...rt) - Math.min(...rt) > SUSPECT_SPREAD_MS;
}

export const lmxPath: FactCollector<'lmx-path'> = {
  id: 'lmx-path',
  description: 'the path to lmx.host: route (ip route get / route -n get), overlay or not, TCP connect and GET /healthz times (min/median/p95/jitter)',
  timeoutMs: 2500,
  async collect(ctx) {
    const cfg = await ctx.fact('config');
    const { host, port } = (cfg.lmx as { host?: string; port?: number } | undefined) ?? {};
    const h = host ?? DEFAULT_CONFIG.lmx.host;
    const p = port ?? DEFAULT_CONFIG.lmx.port;
    // Three quarters of the usual inner budget: when LMX hangs, the lmx fact says so; this one must not be the fact
    // that runs out of time on a loaded machine (a tight --timeout would report it as a check that timed out).
    const budget = Math.max(20, Math.floor(innerTimeout(ctx) * 0.75));
    const endsAt = Date.now() + budget;
    const left = () => endsAt - Date.now();
    const out: Record<string, unknown> = { host: h, port: p, address: `${h}:${p}`, thorough: ctx.thorough === true };
    const none = { ok: 0, failed: 0, minMs: null, medianMs: null, p95Ms: null, maxMs: null, jitterMs: null, error: null };

    // One address for every figure (the first, as the lmx fact and the daemon connect to): connects go to it, so name
    // resolution never counts in them.
    let ip: string;
    try {
      const addrs = await resolveHost(h, { timeoutMs: Math.max(1, Math.floor(budget * 0.6)) });
      ip = addrs[0].address;
    } catch (e) {
      const code = errorCode(e) ?? 'ERROR';
      return { ...out, ip: null, resolveError: code, routeCommand: null, interface: null, gateway: null, source: null, loopback: false, localSubnet: null, routeError: `no address for ${h} (${code})`, overlay: false, overlayKind: null, overlayReason: null, samples: 0, rounds: 0, connect: { ...none, error: code }, healthz: { ...none, error: code }, summary: `no address for ${h} (${code})` };
    }
    out.ip = ip;
    out.resolveError = null;

    const file = readConfigLite(ctx.paths.configFile);
    const apiKey = file.status === 'valid' ? file.config.lmx.apiKey : undefined;
    const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    const hostHeader = `${h.includes(':') ? `[${h}]` : h}:${p}`;
    const round = () => Promise.all(Array.from({ length: ROUND }, () => samplePath(ip, p, hostHeader, headers, Math.max(20, left()))));

    // The route and the first round at once.
    const [route, first] = await Promise.all([routeTo(ip, Math.max(20, Math.min(1000, left()))), round()]);
    const samples = [...first];
    let rounds = 1;
    // On this machine the figures are its CPU load, not a network: more samples only when asked for.
    const more = () => ctx.thorough === true || (!route.loopback && looksBad(samples));
    while (rounds < MAX_ROUNDS && more() && samples.some((s) => s.healthzMs !== null)) {
      // Another round only while it can finish: twice the slowest answer so far, and a margin.
      const slowest = Math.max(...samples.map((s) => (s.connectMs ?? 0) + (s.healthzMs ?? 0)));
      if (left() < 2 * slowest + 50) break;
      samples.push(...(await round()));
      rounds++;
    }
    const connect = stats(samples.map((s) => s.connectMs), samples.map((s) => (s.connectMs === null ? s.error : null)));
    const healthz = stats(samples.map((s) => s.healthzMs), samples.map((s) => s.error));
    return { ...out, ...(route as RouteFacts), samples: samples.length, rounds, connect, healthz, summary: summary(ip, p, route, healthz) };
  },
};

/** The network check's one line when nothing fired: by which way LMX is reached and how fast it answers. */
function summary(ip: string, port: number, route: RouteFacts, healthz: ReturnType<typeof stats>): string {
  const by = route.interface ? `by ${route.interface}${route.gateway ? ` via ${route.gateway}` : ''}${route.loopback ? ' (this machine)' : ''}` : 'route unknown';
  // No times here: two healthy runs give the same line (support diff compares facts; the times are in the table).
  const answers = healthz.ok > 0 ? `GET /healthz answered ${healthz.ok} of ${healthz.ok + healthz.failed}` : `no answer (${healthz.error ?? 'unknown'})`;
  return `${ip}:${port} ${by}; ${answers}`;
}
