// Writes a big finished session (~50 MB of events.jsonl, one torn line inside) as an earlier daemon would have left it.
import fs from 'node:fs';
import path from 'node:path';
import type { Envelope } from './daemon.js';

export const TARGET_BYTES = 50 * 1024 * 1024;

export interface BigSession {
  count: number;
  /** Every 9973rd event, as written. */
  sample: Map<number, Envelope>;
  /** The seq after which a torn line (from a kill -9) sits, about 500 KB before the end. */
  tornAfter: number;
  torn: string;
  /** The bytes of all events, without their newlines. */
  eventBytes: number;
}

/** Writes a finished session of ~targetBytes as an earlier daemon would have, with one torn line near the end. */
export function writeBigSession(dir: string, id: string, targetBytes = TARGET_BYTES): BigSession {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ id, createdAt: '2026-11-25T10:00:00.000Z' }) + '\n', { mode: 0o600 });
  const fd = fs.openSync(path.join(dir, 'events.jsonl'), 'w', 0o600);
  const sample = new Map<number, Envelope>();
  const text = 'token '.repeat(40);
  let seq = 0;
  let size = 0;
  let turn = 0;
  let tornAfter = 0;
  let eventBytes = 0;
  const torn = `{"v":1,"seq":99999999,"sessionId":"${id.slice(0, 1)}`;
  const lines: string[] = [];
  const flush = () => {
    const buf = lines.join('');
    fs.writeSync(fd, buf);
    size += Buffer.byteLength(buf);
    lines.length = 0;
  };
  const push = (event: string, payload: Record<string, unknown>) => {
    const e = { v: 1 as const, seq: ++seq, sessionId: id, event, ts: '2026-11-25T10:00:01.000Z', payload };
    if (seq % 9973 === 1) sample.set(seq, e);
    const line = JSON.stringify(e);
    eventBytes += Buffer.byteLength(line);
    lines.push(line + '\n');
  };
  while (size < targetBytes) {
    const turnId = `turn_${++turn}`;
    push('turn.queued', { turnId, content: `question ${turn}`, position: 0 });
    push('turn.start', { turnId });
    for (let i = 0; i < 50; i++) push('turn.token', { turnId, text: `${text}${i}` });
    push('turn.done', { turnId, text: 'answer', model: 'm', toolRounds: 0 });
    flush();
    if (!tornAfter && size > targetBytes - 512 * 1024) {
      tornAfter = seq;
      fs.writeSync(fd, torn + '\n');
    }
  }
  fs.closeSync(fd);
  return { count: seq, sample, tornAfter, torn, eventBytes };
}

