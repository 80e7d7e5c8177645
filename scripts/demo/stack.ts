// The demo's throwaway stack: its own home and ports, the processes it starts (tracked by pid), and the built opta CLI.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnLmxSim, type SpawnedLmxSim } from '../../fixtures/lmx-sim/client.js';
import type { ScriptedToolCall } from '../../fixtures/lmx-sim/config.js';
import { isAlive, isOptaDaemonOf, processStartId, waitForExit } from '../../src/core/proc.js';
import { readStateLite } from '../../src/core/state-lite.js';
import { freePortBlock } from '../../fixtures/free-ports.js';

/** The repository root (this file runs as dist/scripts/demo/stack.js). */
export const ROOT = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** The CLI a user runs: package.json's `bin.opta`, built by npm run build. */
export function optaBin(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: { opta: string } };
  return path.join(ROOT, pkg.bin.opta);
}

export interface RunResult {
  args: string[];
  /** null when the run was stopped for taking longer than its timeout. */
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface Tracked {
  pid: number;
  what: string;
  /** Tells this process from a later one given the same pid: we never signal a stranger. */
  startId: string | undefined;
}

export interface Stopped {
  pid: number;
  what: string;
  gone: boolean;
}

const OPTA_TIMEOUT_MS = 30_000;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Thrown into the story when the person stops the demo (Ctrl-C): the step ends there, the clean-up still runs. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string, signal?: AbortSignal, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new Interrupted();
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export class DemoStack {
  /** The throwaway HOME of every process the demo starts. */
  readonly home: string;
  /** Its opta home (HOME/.config/opta, also given as OPTA_HOME). */
  readonly optaHome: string;
  readonly stateFile: string;
  /** The directory the demo's session may read (its workspace). */
  readonly project: string;
  private readonly tracked: Tracked[] = [];
  private readonly bin = optaBin();
  private readonly abort = new AbortController();
  /** Aborted when the person stops the demo: waits end, a running opta is stopped. */
  readonly signal = this.abort.signal;

  private constructor(
    readonly ports: { daemon: number; fallback: [number, number]; lmx: number },
    private readonly colour: boolean,
  ) {
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-demo-'));
    this.optaHome = path.join(this.home, '.config', 'opta');
    this.stateFile = path.join(this.optaHome, 'daemon', 'state.json');
    this.project = path.join(this.home, 'project');
    fs.mkdirSync(this.optaHome, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.project, { mode: 0o700 });
    fs.writeFileSync(path.join(this.project, 'README.md'), '# demo project\n\nA file for the demo session to ask about.\n');
  }

  static async create(colour: boolean): Promise<DemoStack> {
    const base = await freePortBlock(4);
    return new DemoStack({ daemon: base, fallback: [base + 1, base + 2], lmx: base + 3 }, colour);
  }

  /**
   * What every child gets: the throwaway home (never the real one: XDG_CONFIG_HOME and other OPTA_* settings are
   * dropped), and the demo's colour decision spelled out for opta, which reads NO_COLOR/FORCE_COLOR itself.
   */
  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: this.home, OPTA_HOME: this.optaHome };
    for (const k of Object.keys(env)) if (k.startsWith('OPTA_') && k !== 'OPTA_HOME') delete env[k];
    delete env.XDG_CONFIG_HOME;
    delete env.APPDATA;
    delete env.GITHUB_STEP_SUMMARY;
    if (this.colour) {
      delete env.NO_COLOR;
      env.FORCE_COLOR = '1';
    } else {
      env.NO_COLOR = '1';
      env.FORCE_COLOR = '0';
    }
    return env;
  }

  interrupt(): void {
    this.abort.abort();
  }

  /** Runs the built CLI as a user would, stdin closed (nothing may wait for input), output captured. */
  opta(args: string[], timeoutMs = OPTA_TIMEOUT_MS): Promise<RunResult> {
    const started = Date.now();
    if (this.signal.aborted) return Promise.reject(new Interrupted());
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [this.bin, ...args], { env: this.env(), cwd: this.home, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      // Ctrl-C reaches opta too when it runs in the terminal's process group; SIGINT it anyway for a signal from elsewhere.
      const onAbort = () => child.kill('SIGINT');
      this.signal.addEventListener('abort', onAbort, { once: true });
      child.once('error', (e) => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
        reject(e);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
        if (this.signal.aborted) {
          this.noteDaemon();
          return reject(new Interrupted());
        }
        if (timedOut) stderr += `\n(stopped: opta ${args.join(' ')} did not finish within ${timeoutMs / 1000} s)\n`;
        // Whatever a run left running (a daemon it started) is ours to stop at the end.
        this.noteDaemon();
        resolve({ args, code: timedOut ? null : code, stdout, stderr, ms: Date.now() - started });
      });
    });
  }

  /** The daemon state.json names, when it is this home's daemon; remembered for the final clean-up. */
  noteDaemon(): number | undefined {
    const read = readStateLite(this.stateFile);
    if (read.class !== 'valid' || !isOptaDaemonOf(read.state.pid, this.optaHome)) return undefined;
    this.track(read.state.pid, 'opta daemon');
    return read.state.pid;
  }

  /** state.json as the daemon wrote it (port, token), or undefined when missing or corrupt. */
  state(): { pid: number; port: number; host: string; token: string } | undefined {
    const read = readStateLite(this.stateFile);
    return read.class === 'valid' ? read.state : undefined;
  }

  track(pid: number, what: string): void {
    if (this.tracked.some((t) => t.pid === pid)) return;
    this.tracked.push({ pid, what, startId: processStartId(pid) });
  }

  async startLmx(toolCalls: ScriptedToolCall[]): Promise<SpawnedLmxSim> {
    const sim = await spawnLmxSim({ port: this.ports.lmx, toolCalls, env: this.env() });
    this.track(sim.pid, 'LMX simulator');
    return sim;
  }

  /** A program that is not opta listening on `port` (node's net server), like the guide's `node 12345 ... (LISTEN)`. */
  async holdPort(port: number): Promise<number> {
    const child = spawn(process.execPath, ['-e', `require('net').createServer((s) => s.end()).listen(${port}, '127.0.0.1')`], {
      env: this.env(),
      stdio: 'ignore',
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start a process to hold port ${port}`);
    this.track(pid, `node holding port ${port}`);
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(async () => {
      if (exited) throw new Error(`the process meant to hold port ${port} exited (is the port taken?)`);
      return accepts(port);
    }, 10_000, `a process listening on port ${port}`, this.signal);
    return pid;
  }

  /** SIGTERM, then SIGKILL after a grace period; only while the pid is still the process we started. */
  async stop(pid: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
    const t = this.tracked.find((x) => x.pid === pid);
    if (!isAlive(pid)) return true;
    if (t && t.startId !== undefined && processStartId(pid) !== t.startId) return true; // ours is gone; the pid was reused
    try {
      process.kill(pid, signal);
    } catch {
      return !isAlive(pid);
    }
    if (await waitForExit(pid, 3000)) return true;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    return waitForExit(pid, 3000);
  }

  /** Every live daemon whose command line names this home (a safety net for one the demo did not see start). */
  daemonsOfHome(): number[] {
    let pids: number[];
    try {
      pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
    } catch {
      return [];
    }
    return pids.filter((pid) => isOptaDaemonOf(pid, this.optaHome) && isAlive(pid));
  }

  /** Stops every process the demo started, newest first, and says which are gone. */
  async stopAll(): Promise<Stopped[]> {
    for (const pid of this.daemonsOfHome()) this.track(pid, 'opta daemon');
    const out: Stopped[] = [];
    for (const t of [...this.tracked].reverse()) {
      const stillOurs = isAlive(t.pid) && (t.startId === undefined || processStartId(t.pid) === t.startId);
      out.push({ pid: t.pid, what: t.what, gone: stillOurs ? await this.stop(t.pid) : true });
    }
    return out.reverse();
  }

  removeHome(): boolean {
    fs.rmSync(this.home, { recursive: true, force: true });
    return !fs.existsSync(this.home);
  }
}
