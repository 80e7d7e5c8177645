// The durability promise through the daemon's fs seam: every event is written and fsynced before any listener sees it,
// and a failed append publishes nothing. (kill -9 keeps the page cache, so a crash test cannot see a missing fsync.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { durableIo } from '../src/daemon/server/durable-fs.js';
import { EventLog } from '../src/daemon/server/event-log.js';
import { Logger } from '../src/daemon/server/logger.js';
import { Session } from '../src/daemon/server/session.js';
import { SpaceGuard } from '../src/daemon/server/space-reserve.js';

function rig(t: { after(fn: () => void): void }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-durable-'));
  const dir = path.join(root, 'sessions', 's1');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(root, 'daemon'), { mode: 0o700 });
  const space = new SpaceGuard(path.join(root, 'daemon', 'space.reserve'), path.join(root, 'sessions'));
  const logger = new Logger(path.join(root, 'daemon', 'daemon.log'), 1 << 20);
  const log = new EventLog(dir, space);
  const session = new Session({ id: 's1', createdAt: new Date().toISOString(), workspace: null }, { log, runner: async () => undefined, logger, space });
  const trace: string[] = [];
  const saved = { openSync: durableIo.openSync, writeSync: durableIo.writeSync, fsyncSync: durableIo.fsyncSync };
  // Only the event log's own descriptors are traced (the space reserve goes through the same seam).
  const eventFds = new Set<number>();
  durableIo.openSync = (file, flags, mode) => {
    const fd = saved.openSync(file, flags, mode);
    if (file === log.file) eventFds.add(fd);
    return fd;
  };
  durableIo.writeSync = (fd, b, o, l, p) => {
    if (eventFds.has(fd)) trace.push('write');
    return saved.writeSync(fd, b, o, l, p);
  };
  durableIo.fsyncSync = (fd) => {
    if (eventFds.has(fd)) trace.push('fsync');
    saved.fsyncSync(fd);
  };
  t.after(() => {
    Object.assign(durableIo, saved);
    log.close();
    logger.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return { session, log, trace, saved };
}

test('each event is written, then fsynced, then published; a listener always finds its line in events.jsonl', (t) => {
  const { session, log, trace } = rig(t);
  const onDisk: boolean[] = [];
  session.subscribe((e) => {
    trace.push(`publish ${e.seq}`);
    const lines = fs.readFileSync(log.file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number });
    onDisk.push(lines.some((l) => l.seq === e.seq));
  });
  for (let i = 0; i < 3; i++) session.emit('turn.token', { turnId: 'turn_1', text: `t${i}` });
  // Short writes may loop (several "write"s), but each event's writes come first, then one fsync, then its publish.
  const compact = trace.filter((x, i) => !(x === 'write' && trace[i - 1] === 'write'));
  assert.deepEqual(compact, ['write', 'fsync', 'publish 1', 'write', 'fsync', 'publish 2', 'write', 'fsync', 'publish 3']);
  assert.deepEqual(onDisk, [true, true, true]);
});

test('an append whose fsync fails is cut back and never published; seq does not advance', (t) => {
  const { session, log, saved } = rig(t);
  const published: number[] = [];
  session.subscribe((e) => published.push(e.seq));
  session.emit('turn.token', { turnId: 'turn_1', text: 'kept' });
  const size = fs.statSync(log.file).size;
  durableIo.fsyncSync = () => {
    throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
  };
  assert.throws(() => session.emit('turn.token', { turnId: 'turn_1', text: 'lost' }));
  durableIo.fsyncSync = saved.fsyncSync;
  assert.equal(fs.statSync(log.file).size, size, 'the unsynced line was cut back');
  assert.deepEqual(published, [1]);
  assert.equal(session.emit('turn.token', { turnId: 'turn_1', text: 'next' }).seq, 2, 'seq continues from the last stored event');
  assert.deepEqual(published, [1, 2]);
});
