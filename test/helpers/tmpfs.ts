// Test plumbing for full-disk tests: a small tmpfs mounted over a test's opta home, filled to the page, always unmounted.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { daemonPidsOfHome, killAndWait } from './env.js';

export const PAGE = 4096;

export interface Tmpfs {
  dir: string;
  /** Free bytes as the file system reports them (what a write can still use). */
  free(): number;
  /** Fills the file system so that exactly `leave` bytes (whole pages) stay free. */
  fill(leave?: number): void;
  /** Gives back everything fill() took. */
  unfill(): void;
  /** Stops the daemons of `optaHome` (they hold files open), then unmounts. Idempotent. */
  unmount(): Promise<void>;
}

/**
 * Mounts a tmpfs of `sizeBytes` over `owner.optaHome` (files already there are copied onto it) and registers one
 * clean-up that stops the home's daemons, unmounts, then runs owner.cleanup(): a mount is never left behind, and the
 * home is never removed while mounted. Skips the test when this machine does not allow mounting.
 */
export async function mountTmpfs(t: TestContext, owner: { optaHome: string; cleanup(): Promise<void> }, opts: { sizeBytes?: number } = {}): Promise<Tmpfs | undefined> {
  const dir = owner.optaHome;
  const saved = new Map<string, Buffer>();
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isFile()) saved.set(name, fs.readFileSync(p));
  }
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.sizeBytes ?? 1024 * 1024},mode=0700`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    t.after(() => owner.cleanup());
    t.skip(`cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`);
    return undefined;
  }
  for (const [name, data] of saved) fs.writeFileSync(path.join(dir, name), data, { mode: 0o600 });
  const filler = path.join(dir, '.filler');
  let mounted = true;
  const fsx: Tmpfs = {
    dir,
    free() {
      const s = fs.statfsSync(dir);
      return s.bavail * s.bsize;
    },
    fill(leave = 0) {
      // Write until the file system refuses, then give back exactly `leave` bytes.
      const fd = fs.openSync(filler, 'a', 0o600);
      try {
        const chunk = Buffer.alloc(64 * 1024, 0x78);
        for (;;) {
          try {
            if (fs.writeSync(fd, chunk) < chunk.length) break;
          } catch {
            break;
          }
        }
        const small = Buffer.alloc(1, 0x78);
        for (;;) {
          try {
            if (fs.writeSync(fd, small) < 1) break;
          } catch {
            break;
          }
        }
        const size = fs.fstatSync(fd).size;
        if (leave > 0) fs.ftruncateSync(fd, Math.max(0, size - leave - (size % PAGE)));
      } finally {
        fs.closeSync(fd);
      }
      if (fsx.free() !== leave) throw new Error(`tmpfs fill: wanted ${leave} bytes free, have ${fsx.free()}`);
    },
    unfill() {
      fs.rmSync(filler, { force: true });
    },
    async unmount() {
      if (!mounted) return;
      for (const pid of daemonPidsOfHome(dir)) await killAndWait(pid);
      for (let i = 0; ; i++) {
        try {
          execFileSync('umount', [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
          break;
        } catch (err) {
          // A process that has not finished exiting may still hold a file; never leave a mount behind.
          if (i >= 20) {
            execFileSync('umount', ['-l', dir]);
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
          void err;
        }
      }
      mounted = false;
    },
  };
  t.after(async () => {
    try {
      await fsx.unmount();
    } finally {
      await owner.cleanup();
    }
  });
  return fsx;
}

/** Temp files an atomic or exclusive write may leave (".name.pid.rand.tmp"), anywhere under dir. */
export function tempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tmp$/.test(e.name)) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out;
}
