// The WebSocket event plane: /v3/ws?sessionId=&afterSeq=, authenticated on upgrade, replay-then-live without gaps.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { z } from 'zod';
import { causeText } from '../../core/errors.js';
import type { DaemonContext } from './context.js';
import type { SessionCore } from './core.js';
import type { EventEnvelope } from '../protocol.js';
import { BAD_TARGET_MESSAGE, bearerFrom, HttpError, hostAllowed, MAX_BODY_BYTES, originAllowed, requestUrl, tokenMatches } from './http.js';
import { afterSeqParam, sessionOr404 } from './session-routes.js';
import { requestSchemas, type RequestSchemas } from './request-schemas.js';

/** A ping every interval; a client that has not answered the last one by the next is dropped (tests shorten it). */
const HEARTBEAT_MS = Number(process.env.OPTA_WS_HEARTBEAT_MS) > 0 ? Number(process.env.OPTA_WS_HEARTBEAT_MS) : 30_000;
const WS_REPLAY_CHUNK_BYTES = 256 * 1024;
/**
 * How far a client may fall behind the live events (bytes queued for it) before it is disconnected: a client that
 * stops reading would otherwise hold every event in the daemon's memory until the heartbeat notices (up to 60 s).
 * Events are on disk first, so it loses nothing: it reconnects with afterSeq = the last seq it got.
 */
export const WS_MAX_BEHIND_BYTES = 8 * 1024 * 1024;

/** Close codes a client (or the daemon stopping) sends when it leaves on purpose: 1000 normal, 1001 going away, 1005 no code. */
const NORMAL_CLOSE = new Set([1000, 1001, 1005]);

/**
 * Why a client went away, for its disconnect line (rules/logs/ws-drop-*.json read it): a reason the daemon set when
 * it dropped the client wins; otherwise the close code tells (1006: the connection ended without a close frame).
 */
export function disconnectReason(code: number, droppedFor: string | undefined): { normal: boolean; kind: string } {
  if (droppedFor) return { normal: false, kind: droppedFor };
  if (NORMAL_CLOSE.has(code)) return { normal: true, kind: 'normal close' };
  if (code === 1006) return { normal: false, kind: 'client gone without a close frame' };
  return { normal: false, kind: 'error' };
}

/** Answers an upgrade request with a plain HTTP error (the same JSON shape as the control plane) and closes. */
function refuse(socket: Duplex, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error' } as Record<number, string>)[status] ?? 'Error';
  const head = [`HTTP/1.1 ${status} ${reason}`, 'Content-Type: application/json; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  for (const [k, v] of Object.entries(extra)) head.push(`${k}: ${v}`);
  socket.end(head.join('\r\n') + '\r\n\r\n' + body);
  socket.destroy();
}

function send(ws: WebSocket, msg: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}

export function installEventSocket(ctx: DaemonContext, core: SessionCore): void {
  // ws (with https, tls and zlib behind it, ~4 ms) loads on the first upgrade, not while the daemon starts.
  let wss: WebSocketServer | undefined;
  const server = async () => (wss ??= new (await import('ws')).WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES }));

  ctx.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      upgrade(req, socket, head);
    } catch (err) {
      // As on the HTTP routes: an upgrade request that makes this throw gets an answer, and the daemon lives on.
      ctx.logger.error(`request failed: WebSocket upgrade: ${causeText(err)}`);
      refuse(socket, 500, 'INTERNAL', 'internal error; see daemon.log');
    }
  });

  function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = requestUrl(req);
    if (!url) return refuse(socket, 400, 'BAD_REQUEST', BAD_TARGET_MESSAGE);
    if (url.pathname !== '/v3/ws') return refuse(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${url.pathname} (use /v3/ws)`);
    if (!hostAllowed(req.headers.host, ctx.config.daemon.host)) return refuse(socket, 403, 'FORBIDDEN_HOST', 'requests must use a loopback host name (127.0.0.1 or localhost)');
    // A browser page elsewhere could otherwise open sockets with guessed tokens: like the Host check, loopback only.
    if (!originAllowed(req.headers.origin, ctx.config.daemon.host)) return refuse(socket, 403, 'FORBIDDEN_ORIGIN', 'WebSocket connections from a web page are only accepted from a loopback origin');
    if (!tokenMatches(bearerFrom(req, url, true), ctx.state.token)) {
      return refuse(socket, 401, 'UNAUTHORIZED', 'missing or wrong bearer token (Authorization: Bearer or ?token=; see opta daemon status --show-secrets)', { 'WWW-Authenticate': 'Bearer' });
    }
    let sessionId: string;
    let afterSeq: number | undefined;
    try {
      sessionId = url.searchParams.get('sessionId') ?? '';
      if (!sessionId) throw new HttpError(400, 'BAD_REQUEST', 'sessionId: required query parameter');
      const session = sessionOr404(core, sessionId);
      afterSeq = afterSeqParam(url);
      // A client cannot have seen an event the disk lacks; a seq from the future means it follows another history.
      if (afterSeq !== undefined && afterSeq > session.lastSeq) {
        throw new HttpError(409, 'AFTER_SEQ_AHEAD', `afterSeq ${afterSeq} is beyond the last event of session ${sessionId} (seq ${session.lastSeq}); reconnect with afterSeq=${session.lastSeq} or lower`);
      }
    } catch (err) {
      const e = err as HttpError;
      return refuse(socket, e.status ?? 400, e.code ?? 'BAD_REQUEST', e.message);
    }
    void Promise.all([server(), requestSchemas()]).then(([s, { ClientMessage }]) =>
      s.handleUpgrade(req, socket, head, (ws) => {
        attach(ws, sessionId, afterSeq, ClientMessage).catch((err: unknown) => {
          // Reading the backlog failed (an unreadable events.jsonl): this client gets a close code, the daemon lives on.
          ctx.logger.error(`WebSocket for session ${sessionId} failed: ${causeText(err)}`);
          ws.close(1011, 'internal error; see daemon.log');
        });
      }),
      (err: unknown) => {
        ctx.logger.error(`WebSocket for session ${sessionId} failed: ${causeText(err)}`);
        socket.destroy();
      },
    );
  }

  /** Sends stored lines as text frames, then waits until the socket took the last one (backpressure for big replays). */
  function sendStored(ws: WebSocket, lines: Buffer[]): Promise<void> {
    return new Promise((resolve) => {
      if (ws.readyState !== ws.OPEN || lines.length === 0) return resolve();
      const done = () => {
        ws.off('close', done);
        resolve();
      };
      ws.once('close', done);
      for (let i = 0; i < lines.length - 1; i++) ws.send(lines[i], { binary: false });
      ws.send(lines[lines.length - 1], { binary: false }, done);
    });
  }

  async function attach(ws: WebSocket, sessionId: string, afterSeq: number | undefined, ClientMessage: RequestSchemas['ClientMessage']): Promise<void> {
    const session = core.registry.get(sessionId)!;
    let lastSent = afterSeq ?? session.lastSeq;
    let replaying = true;
    let closed = false;
    /** Set when the daemon drops the client, so the disconnect line says why rather than "1006". */
    let droppedFor: string | undefined;
    const connectedAt = Date.now();
    const held: EventEnvelope[] = [];
    const deliver = (e: EventEnvelope) => {
      if (e.seq <= lastSent || ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > WS_MAX_BEHIND_BYTES) {
        ctx.logger.info(
          `WebSocket client of session ${sessionId} stopped reading (${Math.round(ws.bufferedAmount / 1024)} KiB queued, seq ${e.seq}); disconnected: it can reconnect with afterSeq of the last event it got`,
        );
        droppedFor = 'slow reader';
        return ws.terminate();
      }
      lastSent = e.seq;
      send(ws, e);
    };
    // Live first, backlog second: anything emitted while the backlog is read is held, then deduped by seq.
    const unsubscribe = session.subscribe((e) => (replaying ? held.push(e) : deliver(e)));
    core.clients.add(sessionId);
    // Never the URL: its query may carry the token (?token=).
    ctx.logger.info(`WebSocket client connected: session ${sessionId}`);

    let alive = true;
    const beat = setInterval(() => {
      if (!alive) {
        droppedFor = `heartbeat timeout: no pong within ${HEARTBEAT_MS} ms`;
        return ws.terminate();
      }
      alive = false;
      ws.ping();
    }, HEARTBEAT_MS);
    beat.unref();
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => {
      let msg: z.infer<typeof ClientMessage>;
      try {
        const parsed = ClientMessage.safeParse(JSON.parse(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString()));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return send(ws, { type: 'error', error: { code: 'BAD_REQUEST', message: `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}` } });
        }
        msg = parsed.data;
      } catch {
        return send(ws, { type: 'error', error: { code: 'BAD_JSON', message: 'message is not valid JSON' } });
      }
      if (msg.type === 'ping') return send(ws, { type: 'pong' });
      try {
        const ok = core.broker.resolve(sessionId, msg.requestId, msg.decision, 'client');
        if (!ok) send(ws, { type: 'error', error: { code: 'PERMISSION_NOT_PENDING', message: `no pending permission request "${msg.requestId}" in session ${sessionId}` } });
      } catch (err) {
        ctx.logger.error(`permission.resolve from a client failed: ${causeText(err)}`);
        send(ws, { type: 'error', error: { code: 'INTERNAL', message: 'internal error; see daemon.log' } });
      }
    });
    ws.on('error', (err) => (droppedFor ??= `error: ${causeText(err)}`));
    ws.once('close', (closeCode: number) => {
      closed = true;
      const r = disconnectReason(closeCode, droppedFor);
      const after = ((Date.now() - connectedAt) / 1000).toFixed(1);
      if (r.normal) ctx.logger.info(`WebSocket client disconnected: session ${sessionId} after ${after} s, code ${closeCode} (${r.kind})`);
      else ctx.logger.warn(`WebSocket client dropped: session ${sessionId} after ${after} s, code ${closeCode} (${r.kind})`);
      clearInterval(beat);
      unsubscribe();
      core.clients.remove(sessionId);
    });

    if (afterSeq !== undefined) {
      // A replay is a use: the session's index is read now if it is not in memory (the subscription above keeps it
      // there until the socket closes, and holds what is emitted meanwhile).
      const from = afterSeq;
      const backlog = await core.registry.use(session, () => session.events.replay(from, session.events.snapshot().count, WS_REPLAY_CHUNK_BYTES));
      // The stored events up to now, by byte range, as stored; the socket's pace sets the reading pace.
      // Smaller chunks than HTTP's: each event is a frame of its own, and a chunk's frames are queued in one go.
      for await (const chunk of backlog) {
        if (closed) break;
        const lines: Buffer[] = [];
        for (const l of chunk) {
          if (l.seq <= lastSent) continue;
          lastSent = l.seq;
          lines.push(l.line);
        }
        await sendStored(ws, lines);
      }
    }
    for (const e of held.splice(0)) deliver(e);
    replaying = false;
  }

  ctx.onShutdown.push(async () => {
    if (!wss) return;
    for (const ws of wss.clients) ws.close(1001, 'daemon stopping');
    // Give clients a moment to answer the close frame; a silent one must not hold the shutdown.
    if (wss.clients.size) await new Promise((r) => setTimeout(r, 100));
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
}
