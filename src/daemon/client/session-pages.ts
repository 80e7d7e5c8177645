// The pages of GET /v3/sessions put together: one page, or every page (--all), through whichever caller asks the daemon.
import type { HttpResult } from '../../core/http-client.js';
import type { SessionPage, SessionSummary } from '../protocol.js';

/** The path of the page after session `after` (null: the first page), of `limit` sessions or the daemon's default. */
function sessionsPath(after: string | null, limit?: number): string {
  // Not URLSearchParams: its first use in a process is ~0.15 ms of `opta sessions list`.
  const q = [limit !== undefined ? `limit=${limit}` : '', after !== null ? `after=${encodeURIComponent(after)}` : ''].filter(Boolean).join('&');
  return `/v3/sessions${q ? `?${q}` : ''}`;
}

/**
 * Asks for the first page, or for every page when `all`, through `get` (the guardian's call, or the quick call to a
 * daemon that plainly runs). Undefined when `get` gives up on a page (the quick call: then the caller asks again
 * through the guardian, from the first page). `total` and `next` come from daemons that page (since 1.1); an older one
 * answers everything at once.
 */
export async function sessionPages(
  get: (path: string) => Promise<HttpResult | undefined>,
  opts: { all?: boolean; limit?: number } = {},
): Promise<SessionPage | undefined> {
  const sessions: SessionSummary[] = [];
  let after: string | null = null;
  for (;;) {
    const r = await get(sessionsPath(after, opts.limit));
    if (!r) return undefined;
    const page = r.json as Partial<SessionPage> & { sessions: SessionSummary[] };
    if (!page || !Array.isArray(page.sessions)) return undefined;
    sessions.push(...page.sessions);
    const next = typeof page.next === 'string' ? page.next : null;
    const total = typeof page.total === 'number' ? page.total : sessions.length;
    if (!opts.all || next === null || page.sessions.length === 0) return { sessions, total, next: opts.all ? null : next };
    after = next;
  }
}
