// Server-sent events parsing for OpenAI-style chat streams: `data:` payloads out, chunks folded into text and tool calls.

/** Splits a text stream into the data payloads of complete events; keeps a partial event for the next push. */
export class SseParser {
  private buf = '';

  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.buf);
      if (!m) break;
      const block = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      const data = dataOf(block);
      if (data !== undefined) out.push(data);
    }
    return out;
  }

  /** What is left when the stream ends (a last event without its blank line). */
  end(): string[] {
    const data = this.buf.trim() ? dataOf(this.buf) : undefined;
    this.buf = '';
    return data === undefined ? [] : [data];
  }
}

function dataOf(block: string): string | undefined {
  const lines: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith('data:')) lines.push(line.slice(5).replace(/^ /, ''));
  }
  return lines.length ? lines.join('\n') : undefined;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export class BadChunkError extends Error {}

/** Folds chat.completion.chunk objects; throws BadChunkError for anything that is not one. */
export class ChatAccumulator {
  text = '';
  finishReason: string | undefined;
  done = false;
  private readonly calls: Array<{ id: string; name: string; arguments: string }> = [];

  /** Takes one data payload; returns the content token it carried, if any. */
  feed(payload: string): string | undefined {
    if (payload.trim() === '[DONE]') {
      this.done = true;
      return undefined;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(payload);
    } catch {
      throw new BadChunkError(`stream chunk is not JSON: ${payload.slice(0, 60)}`);
    }
    const choices = (chunk as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices)) throw new BadChunkError('stream chunk has no choices array');
    let token: string | undefined;
    for (const c of choices as Array<{ delta?: Record<string, unknown>; finish_reason?: unknown }>) {
      const delta = c?.delta ?? {};
      if (typeof delta.content === 'string' && delta.content) {
        this.text += delta.content;
        token = (token ?? '') + delta.content;
      }
      if (Array.isArray(delta.tool_calls)) {
        for (const tc of delta.tool_calls as Array<{ index?: unknown; id?: unknown; function?: { name?: unknown; arguments?: unknown } }>) {
          const i = typeof tc.index === 'number' ? tc.index : this.calls.length;
          const cur = (this.calls[i] ??= { id: '', name: '', arguments: '' });
          if (typeof tc.id === 'string') cur.id = tc.id;
          if (typeof tc.function?.name === 'string' && tc.function.name) cur.name = tc.function.name;
          if (typeof tc.function?.arguments === 'string') cur.arguments += tc.function.arguments;
        }
      }
      if (typeof c?.finish_reason === 'string') this.finishReason = c.finish_reason;
    }
    return token;
  }

  toolCalls(): ToolCall[] {
    return this.calls.filter(Boolean).map((c, i) => ({ id: c.id || `call_${i}`, name: c.name, arguments: c.arguments }));
  }
}
