// Test plumbing for the daemon core: a real daemon plus a real LMX simulator, an HTTP caller and a WebSocket recorder.
import fs from 'node:fs';
import WebSocket from 'ws';
import { spawnLmxSim, type SpawnLmxSimArgs, type SpawnedLmxSim } from '../../fixtures/lmx-sim/client.js';
import { cmdlineOf, daemonConfig, freePortBlock, makeHome, readJson, runOpta, waitUntil, type TestHome } from './env.js';
import { onceWithin, timeoutMessage, withTimeout, WaitTimeout } from './wait.js';

export interface Envelope {
  v: 1;
  seq: number;
  sessionId: string;
  event: string;
  ts: string;
  payload: Record<string, any>;
}

export interface Api {
  status: number;
  body: any;
}

export interface DaemonRig {
  h: TestHome;
  sim: SpawnedLmxSim;
  port: number;
  token: string;
  pid: number;
  base: string;
  /** One HTTP call to the daemon; it fails naming the call when no whole answer comes within `timeoutMs` (default 30 s). */
  api(method: string, path: string, body?: unknown, opts?: { raw?: string; headers?: Record<string, string>; timeoutMs?: number }): Promise<Api>;
  ws(sessionId: string, afterSeq?: number): Promise<WsRecorder>;
  log(): string;
  /** Re-reads state.json (after a restart). */
  refresh(): void;
  cleanup(): Promise<void>;
}

/** The limit of one rig.api call: far above any answer the tests expect (a 50 MB replay included). */
const API_TIMEOUT_MS = 30_000;

/** A daemon configured against a fresh simulator; `config` is merged over the defaults (permissions 1 s). */
export async function startRig(opts: { sim?: SpawnLmxSimArgs; config?: Record<string, unknown>; start?: boolean } = {}): Promise<DaemonRig> {
  const sim = await spawnLmxSim({ port: 0, ...opts.sim });
  const port = await freePortBlock(3);
  const sections: Record<string, Record<string, unknown>> = {
    lmx: { host: '127.0.0.1', port: sim.port, timeoutMs: 2000 },
    permissions: { timeoutMs: 1000 },
  };
  // Merged one level deep, so { lmx: { timeoutMs } } keeps the simulator's host and port.
  for (const [k, v] of Object.entries(opts.config ?? {})) sections[k] = { ...sections[k], ...(v as Record<string, unknown>) };
  const h = makeHome({ config: daemonConfig(port, 2, sections) });
  h.pids.add(sim.pid);
  let pid = 0;
  const rig: DaemonRig = {
    h,
    sim,
    port: 0,
    token: '',
    /**
     * The daemon's pid, as its state file last named it (refresh). Never 0: process.kill(0, ...) signals the test's own
     * process group (the test runner, a mutation run, the shell that started them), so a test whose daemon never
     * started fails here, naming why, instead of killing its own runner.
     */
    get pid(): number {
      if (!(pid > 0)) throw new Error('the rig has no daemon pid yet (its daemon was never seen running: refresh() after it starts)');
      return pid;
    },
    set pid(v: number) {
      pid = v;
    },
    base: '',
    async api(method, path, body, o = {}) {
      const limit = o.timeoutMs ?? API_TIMEOUT_MS;
      const signal = AbortSignal.timeout(limit);
      try {
        const res = await fetch(rig.base + path, {
          signal,
          method,
          headers: {
            authorization: `Bearer ${rig.token}`,
            ...(body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}),
            ...o.headers,
          },
          body: o.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        });
        const text = await res.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        return { status: res.status, body: json };
      } catch (e) {
        if (signal.aborted) throw new WaitTimeout(timeoutMessage(limit, `the daemon's answer to ${method} ${path}`));
        throw e;
      }
    },
    ws: (sessionId, afterSeq) => WsRecorder.connect(rig, sessionId, afterSeq),
    log: () => {
      try {
        return fs.readFileSync(h.paths.logFile, 'utf8');
      } catch {
        return '';
      }
    },
    refresh() {
      const s = readJson<{ port: number; token: string; pid: number; host: string }>(h.paths.stateFile);
      rig.port = s.port;
      rig.token = s.token;
      rig.base = `http://127.0.0.1:${s.port}`;
      // Only a live daemon of this home is ours to stop later: a stopped record names a pid that has exited, and the
      // system may have given that number to some other process since.
      if (cmdlineOf(s.pid).includes(h.optaHome)) {
        rig.pid = s.pid;
        h.pids.add(s.pid);
      }
    },
    async cleanup() {
      await sim.stop();
      await h.cleanup();
    },
  };
  if (opts.start !== false) {
    const r = await runOpta(h, ['daemon', 'start']);
    if (r.code !== 0) throw new Error(`daemon start failed: ${r.stdout}${r.stderr}`);
    rig.refresh();
  }
  return rig;
}

/** The limit of opening or closing a WebSocket (an event waited for has its own, 10 s unless a test says). */
const WS_TIMEOUT_MS = 10_000;

/** Records every envelope a WebSocket receives; waitFor resolves on the first matching one (past or future). */
export class WsRecorder {
  readonly events: Envelope[] = [];
  readonly other: any[] = [];
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly ws: WebSocket,
    readonly sessionId: string,
  ) {
    // An error after the socket opened ends in 'close', which every wait sees; unheard, it would crash the test file.
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg && msg.v === 1 && typeof msg.seq === 'number') this.events.push(msg);
      else this.other.push(msg);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static connect(rig: Pick<DaemonRig, 'port' | 'token'>, sessionId: string, afterSeq?: number, token = rig.token): Promise<WsRecorder> {
    const q = new URLSearchParams({ sessionId });
    if (afterSeq !== undefined) q.set('afterSeq', String(afterSeq));
    const ws = new WebSocket(`ws://127.0.0.1:${rig.port}/v3/ws?${q}`, { headers: { authorization: `Bearer ${token}` } });
    const rec = new WsRecorder(ws, sessionId);
    return onceWithin(ws, 'open', WS_TIMEOUT_MS, `the WebSocket of session ${sessionId} to open`, () => ws.terminate()).then(() => rec);
  }

  /** Resolves with the first event matching pred (searching what already arrived too). */
  async waitFor(pred: (e: Envelope) => boolean, timeoutMs = 10000, what = 'event'): Promise<Envelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (this.closed) throw new Error(`socket closed while waiting for ${what} on session ${this.sessionId}; got: ${this.names()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeout(timeoutMessage(timeoutMs, `${what} on session ${this.sessionId} over the WebSocket; got: ${this.names() || 'nothing'}`));
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The event named `event` of turn `turnId`. */
  turnEvent(turnId: string, event: string, timeoutMs?: number): Promise<Envelope> {
    return this.waitFor((e) => e.event === event && e.payload.turnId === turnId, timeoutMs, `${event} of ${turnId}`);
  }

  /** turn.done or turn.error of a turn, whichever comes. */
  turnEnd(turnId: string, timeoutMs?: number): Promise<Envelope> {
    return this.waitFor((e) => (e.event === 'turn.done' || e.event === 'turn.error') && e.payload.turnId === turnId, timeoutMs, `end of ${turnId}`);
  }

  names(): string {
    return this.events.map((e) => `${e.seq}:${e.event}`).join(' ');
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** Closes the socket; a server that never answers the close is cut off (terminate) after the limit, which fails the wait. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const closed = onceWithin(this.ws, 'close', WS_TIMEOUT_MS, `the WebSocket of session ${this.sessionId} to close`, () => this.ws.terminate());
    this.ws.close();
    return closed.then(() => undefined);
  }
}

export { waitUntil, runOpta };

/** The HTTP status a WebSocket upgrade gets (101 when it opens), answered before or by the upgrade. */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(url, { headers });
  const answered = new Promise<number>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
  return withTimeout(answered, WS_TIMEOUT_MS, `an answer to the WebSocket upgrade ${url}`, () => ws.terminate());
}
