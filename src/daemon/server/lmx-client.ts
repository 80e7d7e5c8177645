// The LMX client: a preflight (readyz, models) before each turn and a streamed chat completion, with error codes.
import type { Dispatcher } from 'undici';
import { errorCode } from '../../core/errors.js';
import { BadChunkError, ChatAccumulator, SseParser, type ToolCall } from './sse.js';
import type { ChatMessage } from './session.js';

export interface LmxTarget {
  host: string;
  port: number;
  timeoutMs: number;
  apiKey?: string;
}

export type LmxFailureCode = 'LMX_UNREACHABLE' | 'LMX_TIMEOUT' | 'LMX_NO_MODEL' | 'LMX_BAD_RESPONSE' | 'CANCELLED';

export interface LmxFailure {
  ok: false;
  code: LmxFailureCode;
  /** For the log line after "lmx preflight failed: " / "lmx request failed: "; never holds the API key. */
  detail: string;
  /** For the turn.error a client reads. */
  message: string;
}

let agentP: Promise<Dispatcher> | undefined;
/**
 * undici's Agent, loaded on first use: only the daemon talks to LMX this way, and the CLI must never pay undici's
 * start-up cost. Only the Agent and its request API are used (the build leaves the rest of undici out of its bundle).
 */
const agent = () => (agentP ??= import('undici').then(({ Agent }) => new Agent()));

/** Loads undici and makes the Agent now (the daemon does it once it settled, not in its first turn). */
export async function warmLmxClient(): Promise<void> {
  await agent();
}

/** One request to LMX; `reset`: a fresh connection each time, so a pooled socket never hides that LMX went away. */
async function lmxRequest(t: LmxTarget, path: string, opts: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; signal: AbortSignal }): Promise<Dispatcher.ResponseData> {
  return (await agent()).request({ origin: baseUrl(t), path, ...opts, reset: true });
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUTS = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function lmxAddress(t: LmxTarget): string {
  return `${t.host}:${t.port}`;
}

function baseUrl(t: LmxTarget): string {
  return `http://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

function headers(t: LmxTarget, json = false): Record<string, string> {
  const h: Record<string, string> = { accept: json ? 'application/json' : 'text/event-stream, application/json' };
  if (json) h['content-type'] = 'application/json';
  if (t.apiKey) h.authorization = `Bearer ${t.apiKey}`;
  return h;
}

function codeOf(err: unknown): string | undefined {
  const c = errorCode(err);
  if (c && c !== 'undefined') return c;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause ? errorCode(cause) : undefined;
}

/** Turns a thrown error into a failure; `timedOut`/`cancelled` say which of our own signals fired, if any. */
export function classify(err: unknown, t: LmxTarget, timedOut: boolean, cancelled: boolean): LmxFailure {
  const where = lmxAddress(t);
  if (cancelled) return { ok: false, code: 'CANCELLED', detail: `cancelled ${where}`, message: 'the turn was cancelled' };
  const code = codeOf(err);
  if (timedOut || (code && TIMEOUTS.has(code)) || (err as Error)?.name === 'TimeoutError') {
    return {
      ok: false,
      code: 'LMX_TIMEOUT',
      detail: `TIMEOUT ${where} (no answer within ${t.timeoutMs} ms)`,
      message: `LMX at ${where} did not answer within ${t.timeoutMs} ms (lmx.timeoutMs)`,
    };
  }
  if (code && UNREACHABLE.has(code)) {
    return { ok: false, code: 'LMX_UNREACHABLE', detail: `${code} ${where}`, message: `cannot reach LMX at ${where} (${code}); check it runs: curl ${baseUrl(t)}/healthz` };
  }
  if (err instanceof BadChunkError) return bad(t, err.message);
  return { ok: false, code: 'LMX_UNREACHABLE', detail: `${code ?? (err as Error)?.message ?? 'error'} ${where}`, message: `cannot reach LMX at ${where}: ${(err as Error)?.message ?? String(err)}` };
}

function bad(t: LmxTarget, why: string): LmxFailure {
  const where = lmxAddress(t);
  return { ok: false, code: 'LMX_BAD_RESPONSE', detail: `bad response from ${where} (${why})`, message: `LMX at ${where} gave a malformed answer: ${why}` };
}

function noModel(t: LmxTarget, why: string): LmxFailure {
  const where = lmxAddress(t);
  return { ok: false, code: 'LMX_NO_MODEL', detail: `no model loaded on ${where} (${why})`, message: `LMX at ${where} has no model loaded (${why}); check: curl ${baseUrl(t)}/readyz` };
}

/** A signal that fires on cancel or after timeoutMs, and remembers which. */
function deadline(t: LmxTarget, cancel: AbortSignal): { signal: AbortSignal; timedOut: () => boolean } {
  const timeout = AbortSignal.timeout(t.timeoutMs);
  return { signal: AbortSignal.any([cancel, timeout]), timedOut: () => timeout.aborted && !cancel.aborted };
}

async function getJson(t: LmxTarget, path: string, signal: AbortSignal): Promise<{ status: number; json: unknown; text: string }> {
  const res = await lmxRequest(t, path, { method: 'GET', headers: headers(t, true), signal });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, text };
}

export type Preflight = { ok: true; model: string } | LmxFailure;

/** readyz (the guide's shape names the model; LMX's own shape does not, then /v1/models names it). */
export async function preflight(t: LmxTarget, cancel: AbortSignal): Promise<Preflight> {
  // Load the HTTP client before the clock starts: its first import is not LMX's time to answer.
  await agent();
  const d = deadline(t, cancel);
  try {
    const r = await getJson(t, '/readyz', d.signal);
    const body = r.json as { ready?: unknown; model?: unknown; status?: unknown } | undefined;
    if (r.status === 503) return noModel(t, 'readyz says not ready');
    if (r.status !== 200) return bad(t, `readyz answered HTTP ${r.status}`);
    if (!body || typeof body !== 'object') return bad(t, 'readyz answer is not JSON');
    if (body.ready === false || (body.status !== undefined && body.status !== 'ready' && body.ready === undefined)) return noModel(t, 'readyz says not ready');
    if (typeof body.model === 'string' && body.model) return { ok: true, model: body.model };
    const m = await getJson(t, '/v1/models', d.signal);
    if (m.status !== 200) return bad(t, `/v1/models answered HTTP ${m.status}`);
    const data = (m.json as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data)) return bad(t, '/v1/models answer has no data array');
    const id = (data[0] as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || !id) return noModel(t, '/v1/models lists no model');
    return { ok: true, model: id };
  } catch (err) {
    return classify(err, t, d.timedOut(), cancel.aborted);
  }
}

export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export type ChatResult = { ok: true; text: string; toolCalls: ToolCall[]; finishReason?: string } | LmxFailure;

/**
 * Streams one chat completion. timeoutMs bounds the wait for headers and every gap between chunks (an idle
 * timer, reset by each chunk), so a slow but steady stream is fine and a stalled one fails with LMX_TIMEOUT.
 */
export async function streamChat(
  t: LmxTarget,
  req: { model: string; messages: ChatMessage[]; tools: ToolSpec[] },
  cancel: AbortSignal,
  onToken: (text: string) => void,
): Promise<ChatResult> {
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), t.timeoutMs);
  };
  const signal = AbortSignal.any([cancel, idle.signal]);
  const acc = new ChatAccumulator();
  try {
    arm();
    const res = await lmxRequest(t, '/v1/chat/completions', {
      method: 'POST',
      headers: headers(t, true),
      body: JSON.stringify({ model: req.model, messages: req.messages, tools: req.tools, stream: true }),
      signal,
    });
    arm();
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '');
      if (res.statusCode === 503 && /model/i.test(text)) return noModel(t, 'chat answered 503 no model loaded');
      return bad(t, `chat answered HTTP ${res.statusCode}`);
    }
    const type = String(res.headers['content-type'] ?? '');
    if (!type.includes('text/event-stream')) {
      await res.body.text().catch(() => '');
      return bad(t, `expected text/event-stream, got ${type || 'no content type'}`);
    }
    const parser = new SseParser();
    res.body.setEncoding('utf8');
    for await (const piece of res.body as AsyncIterable<string>) {
      arm();
      for (const payload of parser.push(piece)) {
        const token = acc.feed(payload);
        if (token) onToken(token);
        if (acc.done) break;
      }
      if (acc.done) break;
    }
    for (const payload of parser.end()) {
      const token = acc.feed(payload);
      if (token) onToken(token);
    }
    if (!acc.done && !acc.finishReason) return bad(t, 'stream ended without a finish reason or [DONE]');
    return { ok: true, text: acc.text, toolCalls: acc.toolCalls(), finishReason: acc.finishReason };
  } catch (err) {
    return classify(err, t, idle.signal.aborted && !cancel.aborted, cancel.aborted);
  } finally {
    clearTimeout(timer);
  }
}
