// A small JSON-over-HTTP/1.1 client on node:net for opta's own calls (the daemon's API, LMX's health): cheap to load, with hard timeouts.
//
// The exchange itself is http-exchange.ts; this adds the resolution of host names by a deadline (resolve.ts).
import { exchange, type HttpOptions, type HttpResult, type HttpTarget } from './http-exchange.js';
import { boundedLookup } from './resolve.js';

export { type HttpOptions, type HttpResult, type HttpTarget } from './http-exchange.js';

/** Never throws: every failure comes back as a result with an errorCode. A host name is resolved within the timeout. */
export function httpJson(target: HttpTarget, opts: HttpOptions = {}): Promise<HttpResult> {
  return exchange(target, opts, (timeoutMs) => boundedLookup({ timeoutMs }));
}
