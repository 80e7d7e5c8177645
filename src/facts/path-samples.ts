// Samples of the path to an HTTP server: per fresh connection, the TCP connect time and the GET /healthz round trip; and their statistics.
import net from 'node:net';
import { errorCode } from '../core/errors.js';
import { parseHead } from '../core/http-exchange.js';

export interface PathSample {
  connectMs: number | null;
  /** From writing the request to the end of the answer's head. */
  healthzMs: number | null;
  status: number | null;
  error: string | null;
}

export interface Stats {
  ok: number;
  failed: number;
  minMs: number | null;
  medianMs: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  /** The standard deviation of the samples (what ping prints as mdev). */
  jitterMs: number | null;
  /** The first failure's code (ECONNREFUSED, TIMEOUT, HTTP_503, ...), or null. */
  error: string | null;
}

/** An answer's head is small; a peer sending more before it ends is not an HTTP server. */
const MAX_HEAD_BYTES = 16 * 1024;

const r1 = (x: number) => Math.round(x * 10) / 10;
// process.hrtime, not performance.now(): the global `performance` loads perf_hooks (see core/http-client.ts).
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** One connection to `ip:port` (an address: no name resolution in the figures), one GET /healthz on it; never throws. */
export function samplePath(ip: string, port: number, hostHeader: string, headers: Record<string, string>, timeoutMs: number): Promise<PathSample> {
  return new Promise((resolve) => {
    const t0 = now();
    let tReq = 0;
    let connectMs: number | null = null;
    let buf = Buffer.alloc(0);
    let settled = false;
    const sock = net.connect({ host: ip, port });
    const done = (s: Omit<PathSample, 'connectMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ connectMs, ...s });
    };
    const timer = setTimeout(() => done({ healthzMs: null, status: null, error: 'TIMEOUT' }), timeoutMs);
    sock.setNoDelay(true);
    sock.once('connect', () => {
      connectMs = r1(now() - t0);
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      tReq = now();
      sock.write(`GET /healthz HTTP/1.1\r\nHost: ${hostHeader}\r\nAccept: application/json\r\nConnection: close\r\n${extra}\r\n`);
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const head = parseHead(buf);
      if (head === undefined && buf.length < MAX_HEAD_BYTES) return;
      const ms = r1(now() - tReq);
      if (head === undefined || head instanceof Error) return done({ healthzMs: null, status: null, error: 'BAD_HTTP' });
      done({ healthzMs: ms, status: head.status, error: head.status >= 200 && head.status < 300 ? null : `HTTP_${head.status}` });
    });
    sock.once('error', (e) => done({ healthzMs: null, status: null, error: errorCode(e) ?? 'ERROR' }));
    sock.once('close', () => done({ healthzMs: null, status: null, error: connectMs === null ? 'CLOSED' : 'CLOSED_BEFORE_ANSWER' }));
  });
}

/** min, median, p95 (nearest rank), max and jitter of the figures that exist; failures counted, the first named. */
export function stats(values: Array<number | null>, errors: Array<string | null>): Stats {
  const xs = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  const error = errors.find((e): e is string => e !== null) ?? null;
  if (!xs.length) return { ok: 0, failed: values.length, minMs: null, medianMs: null, p95Ms: null, maxMs: null, jitterMs: null, error };
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return {
    ok: xs.length,
    failed: values.length - xs.length,
    minMs: xs[0],
    medianMs: r1(median),
    p95Ms: xs[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)],
    maxMs: xs[xs.length - 1],
    jitterMs: r1(sd),
    error,
  };
}
