// The daemon log: lines in the guide's format ([10:00:01] INFO  msg), appended whole, rotated past a size cap, never through a link.
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../../core/atomic.js';
import { AppendFile } from './durable-fs.js';
import { openFailure } from '../log-file.js';

export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export function formatLogLine(level: Level, message: string, at = new Date()): string {
  const hh = String(at.getHours()).padStart(2, '0');
  const mm = String(at.getMinutes()).padStart(2, '0');
  const ss = String(at.getSeconds()).padStart(2, '0');
  // The guide pads the level to five characters plus one space: "INFO  daemon", "ERROR lmx".
  return `[${hh}:${mm}:${ss}] ${level.padEnd(5)} ${message}\n`;
}

export class Logger {
  private readonly out: AppendFile;
  /** Applied to every message before it is written: the log never holds the token, the API key or a secret-shaped value. */
  private scrub?: (message: string) => string;
  constructor(private readonly file: string, private readonly maxBytes: number, private readonly echo = false) {
    this.out = new AppendFile(file, { sync: false });
  }

  setScrubber(scrub: (message: string) => string): void {
    this.scrub = scrub;
  }

  /** Opens the log now, so a daemon refuses to start (with the reason) rather than run without one. Throws OptaError. */
  open(): void {
    ensurePrivateDir(path.dirname(this.file));
    try {
      this.out.open();
    } catch (err) {
      throw openFailure(this.file, err);
    }
  }

  private rotateIfNeeded(incoming: number): void {
    // Someone removed or rotated the file under us (the guide's reset does): start a new one.
    this.out.reopenIfUnlinked();
    this.out.open();
    const size = this.out.length;
    if (size === 0 || size + incoming <= this.maxBytes) return;
    this.out.close();
    fs.renameSync(this.file, this.file + '.1');
  }

  write(level: Level, message: string): void {
    const line = formatLogLine(level, this.scrub ? this.scrub(message) : message);
    if (this.echo) {
      try {
        process.stderr.write(line);
      } catch {
        // A terminal that went away must not stop the daemon.
      }
    }
    try {
      this.rotateIfNeeded(Buffer.byteLength(line));
      this.out.append(line);
    } catch (err) {
      // Logging must never take the daemon down; say so on stderr (which may be this very file, hence the guard).
      try {
        process.stderr.write(`opta daemon: cannot write ${this.file}: ${(err as Error).message}\n`);
      } catch {
        // Nowhere left to say it.
      }
    }
  }

  info(m: string) { this.write('INFO', m); }
  warn(m: string) { this.write('WARN', m); }
  error(m: string) { this.write('ERROR', m); }
  debug(m: string) { if (process.env.OPTA_DEBUG) this.write('DEBUG', m); }

  close(): void {
    this.out.close();
  }
}
