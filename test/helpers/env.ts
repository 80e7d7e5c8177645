// Shared test plumbing: throwaway homes, free ports, running opta as a real process, and pid-based clean-up.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
export { freePortBlock } from '../../fixtures/free-ports.js';
import { timeoutMessage, waitUntil, WaitTimeout } from './wait.js';
export { waitUntil };

export const ROOT = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/** package.json's `bin`: what ships is what the tests run (the bin and its bundles, built by `npm run build`). */
export const OPTA_BIN = path.join(ROOT, (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: { opta: string } }).bin.opta);
/** package.json's version: what `opta --version`, state.json and /v3/identity must say (never a hard-coded copy). */
/**
 * The code cache every test's opta shares (XDG_CACHE_HOME in makeHome's env): outside the throwaway HOMEs, so a
 * read-only check of a HOME sees opta's own writes only, and later runs start from cached code as a user's do.
 * Tests of the cache itself set their own.
 */
export const TEST_CACHE_HOME = path.join(ROOT, 'dist', 'test-cache');
// Daemons a test starts in-process (through control.ts, with this process's environment) cache there too, never in
// the real home.
process.env.XDG_CACHE_HOME = TEST_CACHE_HOME;
export const PKG_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export interface TestHome {
  /** The throwaway HOME. */
  home: string;
  /** The OPTA_HOME in use (HOME/.config/opta unless a custom one was asked for). */
  optaHome: string;
  env: NodeJS.ProcessEnv;
  paths: { stateFile: string; logFile: string; lockFile: string; sessionsDir: string; configFile: string; daemonDir: string };
  /** Pids to kill in cleanup() if still alive (daemons, simulators, foreign holders). */
  pids: Set<number>;
  cleanup(): Promise<void>;
}

/** A fresh HOME and OPTA_HOME. `viaDefault` leaves OPTA_HOME unset so opta falls back to HOME/.config/opta. */
export function makeHome(opts: { viaDefault?: boolean; config?: Record<string, unknown> } = {}): TestHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-test-'));
  const optaHome = path.join(home, '.config', 'opta');
  fs.mkdirSync(optaHome, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    CI: 'true',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    TERM: 'dumb',
    LANG: 'C.UTF-8',
    XDG_CACHE_HOME: TEST_CACHE_HOME,
  };
  if (!opts.viaDefault) env.OPTA_HOME = optaHome;
  if (opts.config) fs.writeFileSync(path.join(optaHome, 'config.json'), JSON.stringify(opts.config, null, 2), { mode: 0o600 });
  const daemonDir = path.join(optaHome, 'daemon');
  const pids = new Set<number>();
  return {
    home,
    optaHome,
    env,
    pids,
    paths: {
      daemonDir,
      stateFile: path.join(daemonDir, 'state.json'),
      logFile: path.join(daemonDir, 'daemon.log'),
      lockFile: path.join(daemonDir, 'daemon.lock'),
      sessionsDir: path.join(optaHome, 'sessions'),
      configFile: path.join(optaHome, 'config.json'),
    },
    async cleanup() {
      // Stop every daemon of this home by the pid its state names, then anything registered.
      try {
        const s = JSON.parse(fs.readFileSync(path.join(daemonDir, 'state.json'), 'utf8')) as { pid?: number };
        if (typeof s.pid === 'number' && cmdlineOf(s.pid).includes(optaHome)) pids.add(s.pid);
      } catch { /* no state */ }
      for (const pid of daemonPidsOfHome(optaHome)) pids.add(pid);
      for (const pid of pids) await killAndWait(pid);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export function cmdlineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Every live opta daemon whose command line names this home (found through /proc). */
export function daemonPidsOfHome(optaHome: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const argv = (() => { try { return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0'); } catch { return []; } })();
    const i = argv.indexOf('--home');
    if (argv.includes('--opta-daemon') && i >= 0 && argv[i + 1] === optaHome && alive(Number(d))) out.push(Number(d));
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // An exited process waiting to be reaped is not alive.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function killAndWait(pid: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!alive(pid)) return;
  try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
  try { process.kill(pid, signal); } catch { return; }
  try {
    await waitUntil(() => !alive(pid), 3000, `pid ${pid} to exit on ${signal}`);
  } catch {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await waitUntil(() => !alive(pid), 3000, `pid ${pid} to exit on SIGKILL`).catch(() => undefined);
  }
}

/** Config for a daemon on `port` with fallback range port+1..port+n. */
export function daemonConfig(port: number, fallback = 2, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { daemon: { port, portRange: `${port + 1}-${port + fallback}` }, ...extra };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command as a real process and collects its output; past `timeoutMs` (default 30 s) it is killed and the
 * promise rejects with what it printed (`killAfterMs` instead kills it and resolves, for a test that measures the stop).
 */
export function runCommand(
  command: string,
  args: string[],
  opts: { timeoutMs?: number; killAfterMs?: number; env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      if (opts.killAfterMs === undefined) reject(new WaitTimeout(timeoutMessage(opts.timeoutMs ?? 30000, `${command} ${args.join(' ')} to finish (killed)`) + `\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.killAfterMs ?? opts.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs opta as a real process with the test home's environment. */
export function runOpta(h: Pick<TestHome, 'env'>, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<RunResult> {
  return runCommand(process.execPath, [OPTA_BIN, ...args], { ...opts, env: { ...h.env, ...opts.env } }).catch((e: Error) => {
    throw new Error(e.message.replace(`${process.execPath} ${OPTA_BIN}`, 'opta'));
  });
}

/** Starts a long-running opta process (e.g. logs --follow) and returns it with its accumulating output. */
export function spawnOpta(h: Pick<TestHome, 'env'>, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [OPTA_BIN, ...args], { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  child.stdout!.on('data', (d) => (buf += d));
  child.stderr!.on('data', (d) => (buf += d));
  return { child, output: () => buf };
}

/** A foreign (non-opta) process listening on a port: a node one-liner, or python3's http.server. */
export async function holdPort(port: number, kind: 'node' | 'python3' = 'node'): Promise<{ pid: number; stop(): Promise<void> }> {
  const child =
    kind === 'python3'
      ? spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'ignore'] })
      : spawn(process.execPath, ['-e', `require('net').createServer(s=>s.end()).listen(${port},'127.0.0.1',()=>console.log('listening'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = child.pid!;
  await waitUntil(() => new Promise<boolean>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  }), 10000, `foreign process on port ${port}`);
  return { pid, stop: () => killAndWait(pid) };
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Every entry under `dir` with its type, mode and content hash (or link target): what "changed no byte" compares. */
export function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      // Gone since the listing (a running daemon's temp file, renamed into place): not part of either snapshot.
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      const mode = (st.mode & 0o7777).toString(8);
      if (e.isDirectory()) {
        out.set(rel, `dir ${mode}`);
        walk(p);
      } else if (e.isSymbolicLink()) out.set(rel, `link ${fs.readlinkSync(p)}`);
      else if (e.isFile()) {
        let data: Buffer;
        try {
          data = fs.readFileSync(p);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        out.set(rel, `file ${mode} ${createHash('sha256').update(data).digest('hex')}`);
      } else out.set(rel, `other ${mode}`);
    }
  };
  walk(dir);
  return out;
}

/** What differs between two hashTree() results, one line per path (empty: nothing changed). */
export function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of before) if (after.get(k) !== v) out.push(`${after.has(k) ? 'changed' : 'removed'}: ${k}`);
  for (const k of after.keys()) if (!before.has(k)) out.push(`added: ${k}`);
  return out.sort();
}

/** A 32 MB text file (400,000 lines of 80 bytes): more than a tool worker's 16 MB test heap can hold. */
export function bigTextFile(file: string): string {
  const fd = fs.openSync(file, 'w');
  const chunk = ('y'.repeat(79) + '\n').repeat(10000);
  for (let i = 0; i < 40; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  return file;
}
