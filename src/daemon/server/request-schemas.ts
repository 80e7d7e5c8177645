// The daemon's request schemas (HTTP bodies and queries, WebSocket messages), built on the first request that needs one: zod then loads, not while the daemon starts (~10 ms of every start before it served).
import type { z as Zod } from 'zod';
import { SESSION_ID_RE, SESSION_ID_RULE } from '../session-id.js';

/** GET /v3/sessions answers at most this many sessions a page (?limit=). */
export const MAX_PAGE = 10_000;

function build(z: typeof Zod) {
  return {
    CreateBody: z
      .object({
        id: z.string().regex(SESSION_ID_RE, SESSION_ID_RULE).optional(),
        workspace: z.string().min(1, 'must be a non-empty absolute path').optional(),
      })
      .strict(),
    TurnBody: z.object({ content: z.string().min(1, 'must be a non-empty string').max(256 * 1024) }).strict(),
    DecisionBody: z.object({ decision: z.enum(['allow', 'deny']) }).strict(),
    Limit: z.coerce.number().int().min(1).max(MAX_PAGE),
    ClientMessage: z.discriminatedUnion('type', [
      z.object({ type: z.literal('permission.resolve'), requestId: z.string().min(1), decision: z.enum(['allow', 'deny']) }),
      z.object({ type: z.literal('ping') }),
    ]),
  };
}

export type RequestSchemas = ReturnType<typeof build>;

let schemasP: Promise<RequestSchemas> | undefined;

/** The schemas, zod loaded and they built once, on first use. */
export function requestSchemas(): Promise<RequestSchemas> {
  return (schemasP ??= import('zod').then(({ z }) => build(z)));
}
