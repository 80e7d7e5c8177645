// A small JSON-over-HTTP client on node:http for loopback calls: cheap to load, with hard timeouts.
import http from 'node:http';
import { errorCode } from './errors.js';
import { boundedLookup } from './resolve.js';

export interface HttpResult {
  ok: boolean;
  status?: number;
  json?: unknown;
  text?: string;
  /** ECONNREFUSED, ENOTFOUND, TIMEOUT, BAD_JSON, ... when the call did not give a usable answer. */
  errorCode?: string;
  error?: string;
  ms: number;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
}

/** Never throws: every failure comes back as a result with an errorCode. */
export function httpJson(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<HttpResult, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: ms() });
    };
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const timeoutMs = opts.timeoutMs ?? 2000;
    const req = http.request(url, {
      method: opts.method ?? 'GET',
      // Never getaddrinfo where it can hang: a pending one holds the process open past any deadline (see resolve.ts).
      lookup: boundedLookup({ timeoutMs }),
      headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...opts.headers },
      agent: false,
    });
    const timer = setTimeout(() => {
      done({ ok: false, errorCode: 'TIMEOUT', error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => done({ ok: false, errorCode: errorCode(err) ?? 'ERROR', error: err.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => done({ ok: false, status: res.statusCode, errorCode: errorCode(err) ?? 'ERROR', error: err.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          done({ ok: false, status: res.statusCode, text, errorCode: 'BAD_JSON', error: 'answer is not JSON' });
          return;
        }
        const status = res.statusCode ?? 0;
        done({ ok: status >= 200 && status < 300, status, json, text });
      });
    });
    req.end(payload);
  });
}
