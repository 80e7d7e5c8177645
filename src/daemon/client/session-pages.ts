// The daemon's sessions a page at a time (GET /v3/sessions, ?after=, next), over whichever way of calling it the caller has.
import type { SessionPage, SessionSummary } from '../protocol.js';

/** One GET's answer as the loop needs it; undefined when the caller gives up on this way of calling. */
export type PageGet = (path: string) => Promise<{ json?: unknown } | undefined>;

/**
 * One page of sessions in id order (the daemon's page size unless `limit`), or every page when `all`; undefined as soon
 * as `get` gives up. `total` and `next` come from daemons that page (since 1.1); an older one answers everything at once.
 */
export async function sessionPages(get: PageGet, opts: { all?: boolean; limit?: number } = {}): Promise<SessionPage | undefined> {
  const sessions: SessionSummary[] = [];
  let after: string | null = null;
  for (;;) {
    const q = new URLSearchParams();
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    if (after !== null) q.set('after', after);
    const r = await get(`/v3/sessions${q.size ? `?${q}` : ''}`);
    if (!r) return undefined;
    const page = r.json as Partial<SessionPage> & { sessions: SessionSummary[] };
    sessions.push(...page.sessions);
    const next = typeof page.next === 'string' ? page.next : null;
    const total = typeof page.total === 'number' ? page.total : sessions.length;
    if (!opts.all || next === null || page.sessions.length === 0) return { sessions, total, next: opts.all ? null : next };
    after = next;
  }
}
