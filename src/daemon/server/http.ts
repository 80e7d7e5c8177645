// The daemon's HTTP control plane: a small router with bearer-token auth, loopback Host checks and JSON errors.
import http from 'node:http';
import crypto from 'node:crypto';

export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** Parsed JSON body; undefined for an empty body. Throws HttpError 400/413/415 for bad input. */
  body(): Promise<unknown>;
}

export type Handler = (ctx: RequestContext) => Promise<unknown> | unknown;

/** An error of another layer that carries its own HTTP answer (e.g. a StorageError: 507 when the disk is full). */
interface Exposed {
  expose: true;
  status: number;
  code: string;
  message: string;
}

function isExposed(err: unknown): err is Exposed {
  const e = err as Partial<Exposed> | null;
  return !!e && e.expose === true && typeof e.status === 'number' && typeof e.code === 'string';
}

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  auth: boolean;
}

/** Constant-time comparison that also hides the token's length. */
export function tokenMatches(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

export function bearerFrom(req: http.IncomingMessage, url?: URL, allowQuery = false): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  if (m) return m[1];
  if (allowQuery && url) return url.searchParams.get('token') ?? undefined;
  return undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Refuses requests whose Host is not a loopback name, which defeats DNS rebinding from a browser. */
export function hostAllowed(hostHeader: string | undefined, bindHost: string): boolean {
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0];
  return LOOPBACK_HOSTS.has(name.toLowerCase()) || name === bindHost;
}

/**
 * A browser page sends its Origin: only loopback pages (any port) may talk to the daemon, so a page on the internet
 * cannot try tokens through a visitor's browser. Clients that send no Origin (curl, the CLI) are not browsers.
 */
export function originAllowed(origin: string | undefined, bindHost: string): boolean {
  if (origin === undefined) return true;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  return LOOPBACK_HOSTS.has(u.hostname.toLowerCase()) || u.hostname === bindHost;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * The server's clientError: a request node could not parse gets an answer, not a reset. Oversized headers are 431, the
 * rest 400; then the socket closes (half-close first, so the answer is not lost to a reset of unread input).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, errCode, message] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', `request headers larger than ${http.maxHeaderSize} bytes`]
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request took too long to arrive']
        : [400, 'BAD_REQUEST', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code: errCode, message } });
  socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 5000).unref();
}

/**
 * The request-target as a URL, or undefined when it is none: node's parser lets through targets such as `//[` or an
 * absolute `http://a:b`, on which `new URL` throws, and a throw in a request or upgrade listener would end the daemon.
 */
export function requestUrl(req: http.IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    return undefined;
  }
}

export const BAD_TARGET_MESSAGE = 'the request target is not a valid URL path';

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** After a 413 the rest of a body is read and dropped (so the client gets the answer, not a reset), up to this much. */
const MAX_DISCARD_BYTES = 16 * 1024 * 1024;

/** Drops the rest of a body that is too large; a client that keeps sending past MAX_DISCARD_BYTES is cut off. */
function discardRest(req: http.IncomingMessage, already: number): void {
  let dropped = already;
  req.removeAllListeners('data');
  req.on('data', (c: Buffer) => {
    dropped += c.length;
    if (dropped > MAX_DISCARD_BYTES) req.socket.destroy();
  });
  req.resume();
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new HttpError(413, 'PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      reject(tooLarge());
      discardRest(req, 0);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // A chunked body has no length up front: it is refused here, answered 413 like a declared one.
        reject(tooLarge());
        chunks.length = 0;
        discardRest(req, size);
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'BAD_JSON', 'request body is not valid JSON'));
      }
    });
  });
}

interface HandlerOptions {
  token: () => string;
  bindHost: string;
  onError?: (err: unknown) => void;
}

export class Router {
  private routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: { auth?: boolean } = {}): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, auth: opts.auth ?? true });
    return this;
  }

  private match(method: string, pathname: string): { route?: Route; params: Record<string, string>; pathMatched: boolean } {
    const parts = pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const p = route.parts[i];
        if (p.startsWith(':')) {
          try { params[p.slice(1)] = decodeURIComponent(parts[i]); } catch { ok = false; break; }
        } else if (p !== parts[i]) { ok = false; break; }
      }
      if (!ok) continue;
      pathMatched = true;
      if (route.method === method) return { route, params, pathMatched };
    }
    return { params: {}, pathMatched };
  }

  handler(opts: HandlerOptions): http.RequestListener {
    return (req, res) => {
      try {
        this.dispatch(req, res, opts);
      } catch (err) {
        // Whatever a request carries, it ends in an answer: a listener that throws would take the daemon down.
        opts.onError?.(err);
        sendError(res, 500, 'INTERNAL', 'internal error; see daemon.log');
      }
    };
  }

  private dispatch(req: http.IncomingMessage, res: http.ServerResponse, opts: HandlerOptions): void {
    const url = requestUrl(req);
    if (!url) {
      sendError(res, 400, 'BAD_REQUEST', BAD_TARGET_MESSAGE);
      return;
    }
    if (!hostAllowed(req.headers.host, opts.bindHost)) {
      sendError(res, 403, 'FORBIDDEN_HOST', 'requests must use a loopback host name (127.0.0.1 or localhost)');
      return;
    }
    if (!originAllowed(req.headers.origin, opts.bindHost)) {
      sendError(res, 403, 'FORBIDDEN_ORIGIN', 'requests from a web page are only accepted from a loopback origin');
      return;
    }
    const { route, params, pathMatched } = this.match(req.method ?? 'GET', url.pathname);
    if (!route) {
      if (pathMatched) sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`);
      else sendError(res, 404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`);
      return;
    }
    if (route.auth && !tokenMatches(bearerFrom(req), opts.token())) {
      res.setHeader('www-authenticate', 'Bearer');
      sendError(res, 401, 'UNAUTHORIZED', 'missing or wrong bearer token (see token in opta daemon status --show-secrets)');
      return;
    }
    const ctx: RequestContext = { req, res, url, params, body: () => readBody(req) };
    Promise.resolve()
      .then(() => route.handler(ctx))
      .then((result) => {
        if (!res.headersSent && result !== undefined) sendJson(res, 200, result);
      })
      .catch((err: unknown) => {
        if (err instanceof HttpError || isExposed(err)) sendError(res, err.status, err.code, err.message);
        else {
          opts.onError?.(err);
          sendError(res, 500, 'INTERNAL', 'internal error; see daemon.log');
        }
      });
  }
}
