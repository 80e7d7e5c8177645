// HTTP routes for sessions: create/list/get, submit a turn, cancel, resolve a permission, and poll events.
import type { ServerResponse } from 'node:http';
import { causeText } from '../../core/errors.js';
import type { DaemonContext } from './context.js';
import type { SessionCore } from './core.js';
import { HttpError, sendJson, type RequestContext } from './http.js';
import type { Session } from './session.js';
import type { Listed } from './sessions.js';
import type { ReplayLine } from './event-log.js';
import type { SessionCancelled, SessionCreated, SessionPage, SessionSummary } from '../protocol.js';
import { isSafeSessionId, SESSION_ID_RULE } from '../session-id.js';
import { requestSchemas } from './request-schemas.js';
import { parseInput } from './validate.js';
import { checkWorkspace } from './workspace.js';

/** GET /v3/sessions answers this many sessions unless asked for another page size (?limit=, at most MAX_PAGE). */
export const SESSIONS_PAGE = 100;

export function sessionView(s: Listed, core: SessionCore): SessionSummary {
  return {
    id: s.id,
    createdAt: s.createdAt,
    workspace: s.workspace,
    lastSeq: s.lastSeq,
    turns: s.turnCount,
    activeTurn: s.active?.id ?? null,
    queuedTurns: s.queue.length,
    pendingPermissions: core.broker.countFor(s.id),
    wsClients: core.clients.count(s.id),
  };
}

export function sessionOr404(core: SessionCore, id: string): Session {
  if (!isSafeSessionId(id)) throw new HttpError(400, 'BAD_SESSION_ID', `bad session id: ${SESSION_ID_RULE}`);
  const s = core.registry.get(id);
  if (!s) throw new HttpError(404, 'SESSION_NOT_FOUND', `no session "${id}" (list them with GET /v3/sessions or: opta sessions list)`);
  return s;
}

/** afterSeq from a query string: absent means undefined, anything but a whole number >= 0 is a 400 naming it. */
export function afterSeqParam(url: URL): number | undefined {
  const raw = url.searchParams.get('afterSeq');
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new HttpError(400, 'BAD_REQUEST', 'afterSeq: must be a whole number of at least 0');
  return n;
}

const COMMA = Buffer.from(',');

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

export function installSessionRoutes(ctx: DaemonContext, core: SessionCore): void {
  const r = ctx.router;

  r.add('POST', '/v3/sessions', async (c: RequestContext) => {
    const body = parseInput((await requestSchemas()).CreateBody, (await c.body()) ?? {});
    let workspace: string | null = null;
    if (body.workspace !== undefined) {
      const w = checkWorkspace(body.workspace, ctx.paths.home);
      if (!w.ok) throw new HttpError(400, 'BAD_REQUEST', `workspace: ${w.problem}`);
      workspace = w.dir;
    }
    const { session, created } = core.registry.create(body.id, workspace);
    if (!(await core.registry.known(session))) throw new HttpError(500, 'STORAGE_ERROR', `session ${session.id} exists but its events cannot be read; see daemon.log`);
    sendJson(c.res, created ? 201 : 200, { created, session: sessionView(session, core) } satisfies SessionCreated);
  });

  // From the metadata the daemon keeps (no events are read for a session it knows), a page at a time in id order:
  // ?limit= (default SESSIONS_PAGE) and ?after=<the last id of the previous page>, which `next` gives (null at the end).
  r.add('GET', '/v3/sessions', async (c): Promise<SessionPage> => {
    const rawLimit = c.url.searchParams.get('limit');
    const limit = rawLimit === null ? SESSIONS_PAGE : parseInput((await requestSchemas()).Limit, rawLimit, 'limit');
    const after = c.url.searchParams.get('after') ?? undefined;
    if (after !== undefined && !isSafeSessionId(after)) throw new HttpError(400, 'BAD_REQUEST', `after: ${SESSION_ID_RULE}`);
    const page = core.registry.page(after, limit);
    const shown: Listed[] = [];
    for (const id of page.ids) {
      const k = await core.registry.listed(id);
      if (k) shown.push(k);
    }
    return { sessions: shown.map((s) => sessionView(s, core)), total: page.total, next: page.next };
  });

  r.add('GET', '/v3/sessions/:id', async (c) => {
    const id = c.params.id;
    if (!isSafeSessionId(id)) sessionOr404(core, id);
    return { session: sessionView((await core.registry.listed(id)) ?? sessionOr404(core, id), core) };
  });

  r.add('POST', '/v3/sessions/:id/turns', async (c) => {
    const s = sessionOr404(core, c.params.id);
    const body = parseInput((await requestSchemas()).TurnBody, await c.body());
    const { turn, position, seq } = await core.registry.use(s, () => s.submit(body.content));
    sendJson(c.res, 202, { turnId: turn.id, sessionId: s.id, position, seq });
  });

  // The guide's literal curl sends no body and no content type: whatever comes is drained and ignored.
  r.add('POST', '/v3/sessions/:id/cancel', (c): SessionCancelled => {
    const s = sessionOr404(core, c.params.id);
    c.req.resume();
    const { cancelled, turnIds } = s.cancel((turn) => core.broker.settleTurn(turn, 'cancel'));
    if (cancelled) ctx.logger.info(`session ${s.id}: cancelled ${cancelled} turn(s)`);
    return { cancelled, turnIds };
  });

  r.add('POST', '/v3/sessions/:id/permissions/:requestId', async (c) => {
    const s = sessionOr404(core, c.params.id);
    const body = parseInput((await requestSchemas()).DecisionBody, await c.body());
    const requestId = c.params.requestId;
    if (!core.broker.resolve(s.id, requestId, body.decision, 'client')) {
      throw new HttpError(404, 'PERMISSION_NOT_PENDING', `no pending permission request "${requestId}" in session ${s.id} (already resolved, timed out or cancelled; see GET /v3/permissions?state=pending)`);
    }
    return { requestId, sessionId: s.id, decision: body.decision };
  });

  // Streams the stored lines as they are (no parse, no stringify), a chunk at a time, waiting for the client to take
  // each: the cost is the events returned, and other requests are served in between.
  r.add('GET', '/v3/sessions/:id/events', async (c) => {
    const s = sessionOr404(core, c.params.id);
    const after = afterSeqParam(c.url) ?? 0;
    const { lastSeq, chunks } = await core.registry.use(s, () => {
      s.replays++;
      const { count, lastSeq } = s.events.snapshot();
      return { lastSeq, chunks: s.events.replay(after, count) };
    });
    try {
      await streamEvents(c.res, s, lastSeq, chunks);
    } finally {
      s.replays--;
      s.usedAt = performance.now();
    }
  });

  async function streamEvents(res: ServerResponse, s: Session, lastSeq: number, chunks: AsyncGenerator<ReplayLine[]>): Promise<void> {
    let next = await chunks.next(); // an unreadable file fails here, as a 500, before any byte is sent
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.write(`{"sessionId":${JSON.stringify(s.id)},"lastSeq":${lastSeq},"events":[`);
    let first = true;
    try {
      while (!next.done) {
        const parts: Buffer[] = [];
        for (const l of next.value) {
          if (!first) parts.push(COMMA);
          parts.push(l.line);
          first = false;
        }
        if (!res.write(Buffer.concat(parts)) && !res.destroyed) await drained(res);
        if (res.destroyed) return void (await chunks.return(undefined));
        next = await chunks.next();
      }
      res.end(']}');
    } catch (err) {
      ctx.logger.error(`replay of session ${s.id} failed: ${causeText(err)}`);
      res.destroy();
    }
  }
}
