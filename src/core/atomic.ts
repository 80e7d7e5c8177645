// Atomic, private file writes: temp file, fsync, rename, so a kill -9 leaves the old or the new file.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
}

export function writeFileAtomic(file: string, data: string | Buffer, mode = FILE_MODE): void {
  const dir = path.dirname(file);
  ensurePrivateDir(dir);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  // fsync the directory so the rename itself survives a power loss.
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch {
    // Some platforms cannot open directories; the rename is still atomic.
  }
}
