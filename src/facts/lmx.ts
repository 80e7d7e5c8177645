// Fact lmx: /healthz and /readyz (guide and real-LMX shapes) of the configured LMX, model name, latency, and why it failed.
import { DEFAULT_CONFIG, readConfigLite } from '../core/config-lite.js';
import { httpJson, type HttpResult } from '../core/http-client.js';
import { innerTimeout, type FactCollector } from './fact.js';

type ErrorKind = 'refused' | 'not-found' | 'timeout' | 'bad-answer' | 'network';

function kindOf(r: HttpResult): ErrorKind {
  switch (r.errorCode) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return 'not-found';
    case 'TIMEOUT':
    case 'DNS_TIMEOUT':
      return 'timeout';
    case 'BAD_JSON':
    case 'BAD_HTTP':
    case 'TOO_LARGE':
    case undefined:
      return 'bad-answer';
    default:
      return 'network';
  }
}

function describe(r: HttpResult, what: string): string {
  if (r.errorCode === 'BAD_JSON') return `${what} answered HTTP ${r.status} with something that is not JSON${r.text ? ` (${JSON.stringify(r.text.slice(0, 40))})` : ''}`;
  if (r.errorCode) return `${r.errorCode}: ${r.error ?? ''}`.trim();
  return `${what} answered HTTP ${r.status}${r.text ? ` ${r.text.slice(0, 80)}` : ''}`;
}

export const lmx: FactCollector<'lmx'> = {
  id: 'lmx',
  description: 'GET /healthz, /readyz and (when readyz names no model) /v1/models on lmx.host:lmx.port',
  async collect(ctx) {
    const cfg = await ctx.fact('config');
    const { host, port } = (cfg.lmx as { host?: string; port?: number } | undefined) ?? {};
    const h = host ?? DEFAULT_CONFIG.lmx.host;
    const p = port ?? DEFAULT_CONFIG.lmx.port;
    const base = `http://${h.includes(':') ? `[${h}]` : h}:${p}`;
    // Taken after waiting for the config fact: innerTimeout counts what is left of the budget when that wait was long.
    const timeoutMs = innerTimeout(ctx);
    const file = readConfigLite(ctx.paths.configFile);
    const apiKey = file.status === 'valid' ? file.config.lmx.apiKey : undefined;
    const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    const [healthz, readyz] = await Promise.all([httpJson(`${base}/healthz`, { timeoutMs, headers }), httpJson(`${base}/readyz`, { timeoutMs, headers })]);
    const out: Record<string, unknown> = { host: h, port: p, url: base, address: `${h}:${p}`, latencyMs: healthz.ms };
    const answered = healthz.status !== undefined;
    const healthy = healthz.ok && typeof healthz.json === 'object' && healthz.json !== null;
    out.healthz = { status: healthz.status ?? null, errorCode: healthz.errorCode ?? null, ms: healthz.ms };
    if (!healthy) {
      const kind = answered ? 'bad-answer' : kindOf(healthz);
      return { ...out, reachable: false, error: kind, errorCode: healthz.errorCode ?? `HTTP_${healthz.status}`, detail: describe(healthz, 'GET /healthz'), modelLoaded: null, modelState: 'unknown', model: null };
    }
    const body = readyz.json as Record<string, unknown> | undefined;
    let shape: 'guide' | 'lmx' | 'unknown' = 'unknown';
    let ready: boolean | null = null;
    let model: string | null = null;
    if (body && typeof body === 'object' && 'ready' in body) {
      shape = 'guide';
      ready = body.ready === true;
      model = typeof body.model === 'string' && body.model ? body.model : null;
    } else if (body && typeof body === 'object' && 'status' in body) {
      shape = 'lmx';
      ready = body.status === 'ready' && (typeof body.models_loaded !== 'number' || body.models_loaded > 0);
    }
    out.readyz = { status: readyz.status ?? null, shape, ready, errorCode: readyz.errorCode ?? null, reason: typeof body?.reason === 'string' ? body.reason : null };
    if (readyz.errorCode && readyz.status === undefined) {
      return { ...out, reachable: true, error: null, modelLoaded: null, modelState: 'unknown', model: null, detail: `GET /readyz: ${describe(readyz, 'GET /readyz')}` };
    }
    let modelSource: string | null = model ? 'readyz' : null;
    if (ready !== false && !model) {
      // Real LMX's /readyz names no model: ask /v1/models, as clients have to.
      const left = Math.max(50, timeoutMs - healthz.ms);
      const models = await httpJson(`${base}/v1/models`, { timeoutMs: left, headers });
      const data = (models.json as { data?: Array<{ id?: unknown }> } | undefined)?.data;
      if (models.ok && Array.isArray(data)) {
        const first = data.find((m) => typeof m?.id === 'string');
        model = (first?.id as string | undefined) ?? null;
        modelSource = model ? 'v1/models' : null;
        if (ready === null) ready = data.length > 0;
        if (!model) ready = false;
      }
    }
    const modelState = ready === false ? 'none' : ready === true && model ? 'loaded' : 'unknown';
    const reason = typeof body?.reason === 'string' ? ` (${body.reason})` : '';
    const detail =
      modelState === 'none'
        ? `GET /readyz answered HTTP ${readyz.status}${reason}`
        : modelState === 'unknown'
          ? 'LMX answers but names no model (GET /readyz, GET /v1/models)'
          : null;
    return { ...out, reachable: true, error: null, model, modelSource, modelLoaded: ready, modelState, detail };
  },
};
