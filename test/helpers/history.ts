// Session history written by real turns (one cut off mid-turn by kill -9), and byte-for-byte snapshots of a directory tree.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DaemonRig } from './daemon.js';
import { runOpta, waitUntil } from './env.js';

export interface FileSnap {
  sha256: string;
  bytes: Buffer;
  mode: number;
}

/** Every file (and directory, as an empty entry) under dir: path -> hash, bytes and mode. */
export function snapshot(dir: string): Map<string, FileSnap> {
  const out = new Map<string, FileSnap>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      const mode = fs.lstatSync(p).mode & 0o7777;
      if (e.isDirectory()) {
        out.set(rel + '/', { sha256: '', bytes: Buffer.alloc(0), mode });
        walk(p);
      } else {
        const bytes = fs.readFileSync(p);
        out.set(rel, { sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes, mode });
      }
    }
  };
  walk(dir);
  return out;
}

/** Every file of `before` still exists with exactly the same bytes (sha256); nothing was removed. */
export function assertSameBytes(before: Map<string, FileSnap>, after: Map<string, FileSnap>, what: string): void {
  for (const [rel, b] of before) {
    const a = after.get(rel);
    assert.ok(a, `${what}: ${rel} is gone`);
    assert.equal(a.sha256, b.sha256, `${what}: ${rel} changed`);
  }
}

/**
 * Like assertSameBytes, except that the sessions in `openTurns` (a turn the daemon was cut off in) may have grown
 * by what the daemon itself appends when it loads them again: whole event lines, turn.error DAEMON_RESTARTED.
 */
export function assertSessionsKept(before: Map<string, FileSnap>, after: Map<string, FileSnap>, openTurns: string[] = []): void {
  for (const [rel, b] of before) {
    const a = after.get(rel);
    assert.ok(a, `sessions/${rel} is gone`);
    const session = rel.split(path.sep)[0];
    if (a.sha256 === b.sha256) continue;
    assert.ok(openTurns.includes(session) && rel.endsWith('events.jsonl'), `sessions/${rel} changed`);
    assert.deepEqual(a.bytes.subarray(0, b.bytes.length), b.bytes, `sessions/${rel}: its old bytes were rewritten`);
    const added = a.bytes.subarray(b.bytes.length).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(added.length > 0);
    for (const e of added) assert.deepEqual([e.event, e.payload.code], ['turn.error', 'DAEMON_RESTARTED'], `sessions/${rel}: only the daemon's restart note may be appended`);
  }
}

async function turnDone(rig: DaemonRig, session: string, content: string): Promise<void> {
  const t = await rig.api('POST', `/v3/sessions/${session}/turns`, { content });
  assert.equal(t.status, 202, JSON.stringify(t.body));
  await waitUntil(async () => {
    const ev = (await rig.api('GET', `/v3/sessions/${session}/events?afterSeq=0`)).body.events as Array<{ event: string; payload: { turnId?: string } }>;
    return ev.some((e) => e.event === 'turn.done' && e.payload.turnId === t.body.turnId);
  }, 10000, `turn.done in ${session}`);
}

/**
 * Writes history through the daemon: session "talk" with two finished turns, and session "cut" with a turn that
 * waits on a tool permission when the daemon is killed (kill -9). The rig needs permissions.timeoutMs well above
 * the test's run time. Returns with the daemon dead (stale state) and "cut" cut off mid-turn.
 */
export async function historyCutByKill(rig: DaemonRig): Promise<void> {
  await rig.api('POST', '/v3/sessions', { id: 'talk' });
  await turnDone(rig, 'talk', 'hello');
  await turnDone(rig, 'talk', 'and again');
  await rig.sim.setConfig({ toolCalls: [{ name: 'list_dir', arguments: { path: rig.h.home } }] });
  await rig.api('POST', '/v3/sessions', { id: 'cut' });
  await rig.api('POST', '/v3/sessions/cut/turns', { content: 'list it' });
  await waitUntil(async () => (await rig.api('GET', '/v3/permissions?state=pending')).body.permissions.length === 1, 10000, 'a pending permission');
  await rig.sim.setConfig({ toolCalls: [] });
  process.kill(rig.pid, 'SIGKILL');
  await waitUntil(() => {
    try {
      process.kill(rig.pid, 0);
      return fs.readFileSync(`/proc/${rig.pid}/stat`, 'utf8').includes(') Z');
    } catch {
      return true;
    }
  }, 5000, 'the daemon to die');
}

/** The same history, then a fresh daemon (which closes the cut turn with DAEMON_RESTARTED): a running stack with history. */
export async function historyThenRunning(rig: DaemonRig): Promise<void> {
  await historyCutByKill(rig);
  const r = await runOpta(rig.h, ['daemon', 'start']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  rig.refresh();
  // The daemon reads a session its catalog does not vouch for after it serves, and closes the cut turn then: wait for
  // that note, so that what a test snapshots next is the history as the daemon left it.
  await waitUntil(async () => {
    const ev = (await rig.api('GET', '/v3/sessions/cut/events?afterSeq=0')).body.events as Array<{ event: string; payload: { code?: string } }>;
    return ev.some((e) => e.event === 'turn.error' && e.payload.code === 'DAEMON_RESTARTED');
  }, 10000, 'the restarted daemon to close the turn cut off in session cut');
}
