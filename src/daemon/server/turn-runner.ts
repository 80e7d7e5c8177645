// Runs one turn: LMX preflight, streamed completion, tool calls behind permission requests, until turn.done/turn.error.
import { causeText } from '../../core/errors.js';
import type { OptaConfig } from '../../core/config.js';
import { preflight, streamChat, type LmxFailure, type LmxTarget } from './lmx-client.js';
import type { Logger } from './logger.js';
import type { PermissionBroker } from './permissions.js';
import type { ChatMessage, Session, Turn, TurnRunner } from './session.js';
import type { ToolCall } from './sse.js';
import { runTool, TOOL_NAMES, TOOL_SPECS } from './tools.js';

/** A model that keeps calling tools gets this many rounds; then the turn ends instead of looping forever. */
export const MAX_TOOL_ROUNDS = 8;
const TOOL_END_OUTPUT_CHARS = 4096;

export interface TurnDeps {
  config: OptaConfig;
  logger: Logger;
  broker: PermissionBroker;
  /** Tools never read the opta home, whatever a session's workspace. */
  optaHome: string;
}

export function lmxTarget(config: OptaConfig): LmxTarget {
  return { host: config.lmx.host, port: config.lmx.port, timeoutMs: config.lmx.timeoutMs, apiKey: config.lmx.apiKey };
}

function fail(session: Session, turn: Turn, f: LmxFailure): void {
  session.emitForTurn(turn, 'turn.error', { code: f.code, message: f.message });
}

async function toolCall(deps: TurnDeps, session: Session, turn: Turn, call: ToolCall): Promise<string> {
  const base = { callId: call.id, tool: call.name };
  let args: Record<string, unknown>;
  try {
    const parsed = JSON.parse(call.arguments || '{}') as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('arguments are not a JSON object');
    args = parsed as Record<string, unknown>;
  } catch (err) {
    session.emitForTurn(turn, 'tool.start', { ...base, args: call.arguments });
    const error = `bad tool arguments: ${causeText(err)}`;
    session.emitForTurn(turn, 'tool.end', { ...base, ok: false, error });
    return `error: ${error}`;
  }
  session.emitForTurn(turn, 'tool.start', { ...base, args });
  if (!TOOL_NAMES.has(call.name)) {
    const error = `unknown tool "${call.name}"`;
    session.emitForTurn(turn, 'tool.end', { ...base, ok: false, error });
    return `error: ${error}`;
  }
  const decision = await deps.broker.request(session, turn, call.name, args);
  if (turn.ended) return '';
  if (decision === 'deny') {
    session.emitForTurn(turn, 'tool.end', { ...base, ok: false, denied: true, error: 'permission denied' });
    return 'error: permission denied: the user did not allow this tool call, so it was not run. Continue without its result.';
  }
  const t = deps.config.tools;
  const r = await runTool(call.name, args, {
    memoryLimitMb: t.memoryLimitMb,
    maxReadBytes: t.maxReadBytes,
    timeoutMs: t.timeoutMs,
    workspace: session.workspace,
    optaHome: deps.optaHome,
    signal: turn.controller.signal,
    logger: deps.logger,
  });
  if (turn.ended) return '';
  if (!r.ok) {
    session.emitForTurn(turn, 'tool.end', { ...base, ok: false, error: r.error });
    return `error: ${r.error}`;
  }
  session.emitForTurn(turn, 'tool.end', {
    ...base,
    ok: true,
    truncated: r.truncated,
    output: r.output.length > TOOL_END_OUTPUT_CHARS ? r.output.slice(0, TOOL_END_OUTPUT_CHARS) : r.output,
  });
  // A cut output already ends with a line saying so.
  return r.output;
}

async function run(deps: TurnDeps, session: Session, turn: Turn): Promise<void> {
  const t = lmxTarget(deps.config);
  const signal = turn.controller.signal;
  session.emitForTurn(turn, 'turn.start', {});
  const pre = await preflight(t, signal);
  if (turn.ended) return;
  if (!pre.ok) {
    deps.logger.error(`lmx preflight failed: ${pre.detail}`);
    return fail(session, turn, pre);
  }
  const messages: ChatMessage[] = [...session.conversation(), { role: 'user', content: turn.content }];
  let text = '';
  for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
    const r = await streamChat(t, { model: pre.model, messages, tools: TOOL_SPECS }, signal, (token) => {
      session.emitForTurn(turn, 'turn.token', { text: token });
    });
    if (turn.ended) return;
    if (!r.ok) {
      // The code the client got in turn.error, so a drop seen by a client can be matched to the log line.
      deps.logger.error(`lmx request failed: ${r.detail}; turn.error ${r.code}`);
      return fail(session, turn, r);
    }
    text += r.text;
    if (r.toolCalls.length === 0) {
      session.commitExchange(turn.content, text);
      session.emitForTurn(turn, 'turn.done', { text, model: pre.model, toolRounds: round });
      return;
    }
    messages.push({
      role: 'assistant',
      content: r.text || null,
      tool_calls: r.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
    });
    for (const call of r.toolCalls) {
      const result = await toolCall(deps, session, turn, call);
      if (turn.ended) return;
      messages.push({ role: 'tool', tool_call_id: call.id, content: result });
    }
  }
  session.emitForTurn(turn, 'turn.error', { code: 'TOO_MANY_TOOL_ROUNDS', message: `the model kept calling tools for ${MAX_TOOL_ROUNDS} rounds; the turn was stopped` });
}

export function turnRunner(deps: TurnDeps): TurnRunner {
  return async (session, turn) => {
    try {
      await run(deps, session, turn);
    } catch (err) {
      // A bug in a turn ends that turn, never the daemon.
      deps.logger.error(`turn ${turn.id} in session ${session.id} failed: ${causeText(err)}`);
      try {
        session.emitForTurn(turn, 'turn.error', { code: 'INTERNAL', message: 'internal error; see daemon.log' });
      } catch {
        // The event log itself failed; the log line above is all that can be done.
      }
    }
  };
}
