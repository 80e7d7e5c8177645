// The events file is opened to read without ever blocking: a FIFO put where a session's events.jsonl should be, after
// the start's lstat of it (or in a session first read later), is refused by the open itself, naming it, instead of
// blocking the daemon until a writer comes. Run in a child process: a blocked open would block this test's own thread.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/env.js';
import { childOutput } from './helpers/wait.js';

test('a FIFO as events.jsonl: EventLog refuses it at once (no blocking open), naming the file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-fifo-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const session = path.join(dir, 'sessions', 'fifo');
  fs.mkdirSync(session, { recursive: true });
  execFileSync('mkfifo', [path.join(session, 'events.jsonl')]);
  const url = (p: string) => JSON.stringify(new URL(`file://${path.join(ROOT, 'dist', 'src', p)}`).href);
  const script = `
    const { EventLog } = await import(${url('daemon/server/event-log.js')});
    const { SpaceGuard } = await import(${url('daemon/server/space-reserve.js')});
    const log = new EventLog(${JSON.stringify(session)}, new SpaceGuard(${JSON.stringify(path.join(dir, 'space.reserve'))}, ${JSON.stringify(dir)}));
    try { console.log('lastSeq', log.lastSeq); } catch (e) { console.log('refused:', e.message); }
    try { await log.build(() => {}); console.log('built'); } catch (e) { console.log('refused:', e.message); }
    log.close();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r = await childOutput(child, 10_000, 'EventLog to refuse a FIFO without blocking on it');
  assert.equal(r.code, 0, r.stderr);
  const refused = r.stdout.split('\n').filter((l) => l.startsWith('refused:'));
  assert.equal(refused.length, 2, r.stdout);
  for (const l of refused) assert.match(l, /fifo\/events\.jsonl is a FIFO, not a file the daemon wrote; move it aside \(mv /);
});
