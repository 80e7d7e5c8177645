// The daemon log: lines in the guide's format ([10:00:01] INFO  msg), appended, rotated past a size cap.
import fs from 'node:fs';
import { ensurePrivateDir } from '../core/atomic.js';
import path from 'node:path';

export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export function formatLogLine(level: Level, message: string, at = new Date()): string {
  const hh = String(at.getHours()).padStart(2, '0');
  const mm = String(at.getMinutes()).padStart(2, '0');
  const ss = String(at.getSeconds()).padStart(2, '0');
  // The guide pads the level to five characters plus one space: "INFO  daemon", "ERROR lmx".
  return `[${hh}:${mm}:${ss}] ${level.padEnd(5)} ${message}\n`;
}

export class Logger {
  private fd: number | undefined;
  /** Applied to every message before it is written: the log never holds the token, the API key or a secret-shaped value. */
  private scrub?: (message: string) => string;
  constructor(private readonly file: string, private readonly maxBytes: number, private readonly echo = false) {}

  setScrubber(scrub: (message: string) => string): void {
    this.scrub = scrub;
  }

  private open(): number {
    ensurePrivateDir(path.dirname(this.file));
    this.fd = fs.openSync(this.file, 'a', 0o600);
    return this.fd;
  }

  private current(): number {
    if (this.fd === undefined) return this.open();
    // Someone removed or rotated the file under us (the guide's reset does): start a new one.
    const st = fs.fstatSync(this.fd);
    if (st.nlink === 0) {
      fs.closeSync(this.fd);
      return this.open();
    }
    return this.fd;
  }

  private rotateIfNeeded(fd: number, incoming: number): number {
    const size = fs.fstatSync(fd).size;
    if (size === 0 || size + incoming <= this.maxBytes) return fd;
    fs.closeSync(fd);
    this.fd = undefined;
    fs.renameSync(this.file, this.file + '.1');
    return this.open();
  }

  write(level: Level, message: string): void {
    const line = formatLogLine(level, this.scrub ? this.scrub(message) : message);
    if (this.echo) process.stderr.write(line);
    try {
      const fd = this.rotateIfNeeded(this.current(), Buffer.byteLength(line));
      fs.writeSync(fd, line);
    } catch (err) {
      // Logging must never take the daemon down; say so on stderr, which is also captured.
      process.stderr.write(`opta daemon: cannot write ${this.file}: ${(err as Error).message}\n`);
    }
  }

  info(m: string) { this.write('INFO', m); }
  warn(m: string) { this.write('WARN', m); }
  error(m: string) { this.write('ERROR', m); }
  debug(m: string) { if (process.env.OPTA_DEBUG) this.write('DEBUG', m); }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
