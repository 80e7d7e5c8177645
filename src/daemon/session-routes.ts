// HTTP routes for sessions: create/list/get, submit a turn, cancel, resolve a permission, and poll events.
import { z } from 'zod';
import type { DaemonContext } from './daemon.js';
import type { SessionCore } from './core.js';
import { HttpError, sendJson, type RequestContext } from './http.js';
import type { Session } from './session.js';
import { isSafeSessionId, SESSION_ID_RE, SESSION_ID_RULE } from './session-id.js';
import { readEvents } from './session-store.js';
import { parseInput } from './validate.js';
import path from 'node:path';

const CreateBody = z.object({ id: z.string().regex(SESSION_ID_RE, SESSION_ID_RULE).optional() }).strict();
const TurnBody = z.object({ content: z.string().min(1, 'must be a non-empty string').max(256 * 1024) }).strict();
const DecisionBody = z.object({ decision: z.enum(['allow', 'deny']) }).strict();
const AfterSeq = z.coerce.number().int().min(0);

export function sessionView(s: Session, core: SessionCore) {
  return {
    id: s.id,
    createdAt: s.createdAt,
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
  if (!/^\d+$/.test(raw)) throw new HttpError(400, 'BAD_REQUEST', 'afterSeq: must be a whole number of at least 0');
  return parseInput(AfterSeq, raw, 'afterSeq');
}

export function installSessionRoutes(ctx: DaemonContext, core: SessionCore): void {
  const r = ctx.router;

  r.add('POST', '/v3/sessions', async (c: RequestContext) => {
    const body = parseInput(CreateBody, (await c.body()) ?? {});
    const { session, created } = core.registry.create(body.id);
    sendJson(c.res, created ? 201 : 200, { created, session: sessionView(session, core) });
  });

  r.add('GET', '/v3/sessions', () => ({ sessions: core.registry.list().map((s) => sessionView(s, core)) }));

  r.add('GET', '/v3/sessions/:id', (c) => ({ session: sessionView(sessionOr404(core, c.params.id), core) }));

  r.add('POST', '/v3/sessions/:id/turns', async (c) => {
    const s = sessionOr404(core, c.params.id);
    const body = parseInput(TurnBody, await c.body());
    const { turn, position, seq } = s.submit(body.content);
    sendJson(c.res, 202, { turnId: turn.id, sessionId: s.id, position, seq });
  });

  // The guide's literal curl sends no body and no content type: whatever comes is drained and ignored.
  r.add('POST', '/v3/sessions/:id/cancel', (c) => {
    const s = sessionOr404(core, c.params.id);
    c.req.resume();
    const { cancelled, turnIds } = s.cancel((turn) => core.broker.settleTurn(turn, 'cancel'));
    if (cancelled) ctx.logger.info(`session ${s.id}: cancelled ${cancelled} turn(s)`);
    return { cancelled, turnIds };
  });

  r.add('POST', '/v3/sessions/:id/permissions/:requestId', async (c) => {
    const s = sessionOr404(core, c.params.id);
    const body = parseInput(DecisionBody, await c.body());
    const requestId = c.params.requestId;
    if (!core.broker.resolve(s.id, requestId, body.decision, 'client')) {
      throw new HttpError(404, 'PERMISSION_NOT_PENDING', `no pending permission request "${requestId}" in session ${s.id} (already resolved, timed out or cancelled; see GET /v3/permissions?state=pending)`);
    }
    return { requestId, sessionId: s.id, decision: body.decision };
  });

  r.add('GET', '/v3/sessions/:id/events', (c) => {
    const s = sessionOr404(core, c.params.id);
    const after = afterSeqParam(c.url) ?? 0;
    const { events } = readEvents(path.dirname(s.eventLogFile));
    return { sessionId: s.id, lastSeq: s.lastSeq, events: events.filter((e) => e.seq > after) };
  });
}
