// One JSON-over-HTTP/1.1 exchange on node:net, with hard timeouts: the framing under http-client.ts's httpJson.
//
// Why not node:http: loading it costs ~1.3 ms and its first request ~2.6 ms more (the parser and its pools), a tenth
// of a healthy `opta doctor`. These calls are small and one-shot: one request per connection (Connection: close), an
// answer framed by Content-Length, chunked encoding or the end of the connection, read whole.
// Apart from http-client.ts so that a caller that only ever calls an address (the quick call to the daemon its
// record names, in `opta sessions list`'s small bundle) does not carry the resolver (resolve.ts, node:dns's names).
import net from 'node:net';
import { errorCode } from './errors.js';

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

/**
 * Where a call goes: an http: URL, or its parts (a caller that has them, the daemon's record: no URL to parse, whose
 * first parse in a process is ~0.2-0.4 ms of `opta sessions list`). `host` as a URL names it, an IPv6 address in
 * brackets or not; `path` with its query, from its first slash.
 */
export type HttpTarget = string | { host: string; port: number; path: string };

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  /**
   * Asked once the connection has begun, before anything is sent: false abandons the call (errorCode NOT_SENT). For a
   * check that guards what the request carries (is the pid at this port the daemon whose token this is?) without
   * delaying the connection: it runs while the connection is made.
   */
  beforeSend?: () => boolean;
}

/** A parsed response head: status and lower-case headers, and where the body starts in the bytes received. */
interface Head {
  status: number;
  headers: Map<string, string>;
  bodyAt: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** More than any answer of the daemon's API or LMX's health endpoints: a peer that sends more is not one of them. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** A target's host (as a URL's hostname), Host header, port and request path; throws for what no request can name. */
function partsOf(target: HttpTarget): { hostname: string; host: string; port: number; path: string } {
  if (typeof target === 'string') {
    const u = new URL(target);
    if (u.protocol !== 'http:') throw Object.assign(new Error(`only http: URLs, not ${u.protocol}`), { code: 'ERR_INVALID_PROTOCOL' });
    return { hostname: u.hostname, host: u.host, port: Number(u.port || 80), path: `${u.pathname}${u.search}` };
  }
  const bare = target.host.replace(/^\[(.*)\]$/, '$1');
  const hostname = bare.includes(':') ? `[${bare}]` : bare;
  // What a URL would refuse or escape (a space, a line break in the path; a port out of range) is refused here.
  if (!/^\/[\x21-\x7e]*$/.test(target.path)) throw Object.assign(new Error(`not a request path: ${JSON.stringify(target.path)}`), { code: 'ERR_INVALID_URL' });
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535 || !/^[\w.:-]+$/.test(bare)) throw Object.assign(new Error(`not a host and port: ${target.host}:${target.port}`), { code: 'ERR_INVALID_URL' });
  return { hostname, host: target.port === 80 ? hostname : `${hostname}:${target.port}`, port: target.port, path: target.path };
}

/** The head of the response in `buf` (skipping 1xx interim answers), undefined until it is all there, or an Error. */
export function parseHead(buf: Buffer): Head | undefined | Error {
  let from = 0;
  for (;;) {
    const end = buf.indexOf(CRLFCRLF, from);
    if (end < 0) return undefined;
    const lines = buf.toString('latin1', from, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]);
    if (!m) return Object.assign(new Error(`not an HTTP answer: ${JSON.stringify(lines[0].slice(0, 40))}`), { code: 'BAD_HTTP' });
    const status = Number(m[1]);
    if (status >= 100 && status < 200) {
      from = end + 4;
      continue;
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return Object.assign(new Error(`a malformed header line: ${JSON.stringify(line.slice(0, 40))}`), { code: 'BAD_HTTP' });
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    return { status, headers, bodyAt: end + 4 };
  }
}

/**
 * The body of a chunked answer once it is all in `data` (from the body's start), undefined while more is to come,
 * or an Error when the framing is broken.
 */
export function dechunk(data: Buffer): Buffer | undefined | Error {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(data.toString('latin1', at, eol).split(';')[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) return Object.assign(new Error('a malformed chunk size'), { code: 'BAD_HTTP' });
    if (size === 0) {
      // Trailers (if any) end with an empty line.
      const end = data.indexOf('\r\n\r\n', eol);
      if (end < 0 && data.indexOf('\r\n', eol + 2) !== eol + 2) return undefined;
      return Buffer.concat(parts);
    }
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/**
 * Never throws: every failure comes back as a result with an errorCode. `lookupFor` resolves a host name within the
 * call's timeout (http-client.ts gives resolve.ts's); without it a host must be an IP address (ERR_NEEDS_LOOKUP).
 */
export function exchange(target: HttpTarget, opts: HttpOptions = {}, lookupFor?: (timeoutMs: number) => net.LookupFunction): Promise<HttpResult> {
  // process.hrtime, not performance.now(): the global `performance` loads perf_hooks and nine modules behind it (~1 ms).
  const started = process.hrtime.bigint();
  const ms = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  return new Promise((resolve) => {
    let settled = false;
    let socket: net.Socket | undefined;
    const done = (r: Omit<HttpResult, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve({ ...r, ms: ms() });
    };
    // Whole milliseconds: a caller's budget left of a deadline is printed ("no answer within 637 ms").
    const timeoutMs = Math.max(1, Math.round(opts.timeoutMs ?? 2000));
    const timer = setTimeout(() => done({ ok: false, errorCode: 'TIMEOUT', error: `no answer within ${timeoutMs} ms` }), timeoutMs);

    let u: { hostname: string; host: string; port: number; path: string };
    try {
      u = partsOf(target);
    } catch (err) {
      return done({ ok: false, errorCode: errorCode(err) ?? 'ERR_INVALID_URL', error: (err as Error).message });
    }
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { host: u.host, accept: 'application/json' };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(payload.length) });
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    headers.connection = 'close';
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
    // A value with a line break (a hand-edited token) would smuggle a header: refused, as node:http refuses it.
    if (head.some((l) => /[\r\n\0]/.test(l))) return done({ ok: false, errorCode: 'ERR_INVALID_CHAR', error: 'a header value holds a line break' });
    const request = Buffer.concat([Buffer.from(`${opts.method ?? 'GET'} ${u.path} HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n`, 'latin1'), payload ?? Buffer.alloc(0)]);

    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    // Never getaddrinfo where it can hang: a pending one holds the process open past any deadline (see resolve.ts).
    if (!lookupFor && !net.isIP(host)) return done({ ok: false, errorCode: 'ERR_NEEDS_LOOKUP', error: `${host} is a name, and this call resolves none` });
    socket = net.connect(lookupFor ? { host, port: u.port, lookup: lookupFor(timeoutMs) } : { host, port: u.port });
    const chunks: Buffer[] = [];
    let received = 0;
    let parsed: Head | undefined;
    const answer = (status: number, body: Buffer) => {
      const text = body.toString('utf8');
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        return done({ ok: false, status, text, errorCode: 'BAD_JSON', error: 'answer is not JSON' });
      }
      done({ ok: status >= 200 && status < 300, status, json, text });
    };
    /** Finishes as soon as the answer is complete by its own framing (a server may keep the connection open). */
    const check = (ended: boolean) => {
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      chunks.length = 0;
      chunks.push(all);
      if (!parsed) {
        const h = parseHead(all);
        if (h instanceof Error) return done({ ok: false, errorCode: 'BAD_HTTP', error: h.message });
        if (!h) return ended ? done({ ok: false, errorCode: 'ECONNRESET', error: 'socket hang up' }) : undefined;
        parsed = h;
      }
      const body = all.subarray(parsed.bodyAt);
      const status = parsed.status;
      if (status === 204 || status === 304 || opts.method === 'HEAD') return answer(status, Buffer.alloc(0));
      if (/\bchunked\b/i.test(parsed.headers.get('transfer-encoding') ?? '')) {
        const b = dechunk(body);
        if (b instanceof Error) return done({ ok: false, status, errorCode: 'BAD_HTTP', error: b.message });
        if (b) return answer(status, b);
        return ended ? done({ ok: false, status, errorCode: 'ECONNRESET', error: 'the answer was cut short' }) : undefined;
      }
      const length = parsed.headers.get('content-length');
      if (length !== undefined) {
        const n = Number(length);
        if (body.length >= n) return answer(status, body.subarray(0, n));
        return ended ? done({ ok: false, status, errorCode: 'ECONNRESET', error: 'the answer was cut short' }) : undefined;
      }
      if (ended) answer(status, body);
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
      // Garbage from the network (a stream that never ends) must not grow without bound until the timeout.
      if (received > MAX_ANSWER_BYTES) return done({ ok: false, status: parsed?.status, errorCode: 'TOO_LARGE', error: `the answer is larger than ${MAX_ANSWER_BYTES} bytes` });
      check(false);
    });
    socket.on('end', () => check(true));
    socket.on('error', (err) => done({ ok: false, errorCode: errorCode(err) ?? 'ERROR', error: err.message }));
    socket.on('close', () => (received ? check(true) : done({ ok: false, errorCode: 'ECONNRESET', error: 'socket hang up' })));
    if (opts.beforeSend && !opts.beforeSend()) return done({ ok: false, errorCode: 'NOT_SENT', error: 'the request was not sent: its check failed' });
    // Not end(): some servers take a half-closed connection for an abandoned request.
    socket.write(request);
  });
}
