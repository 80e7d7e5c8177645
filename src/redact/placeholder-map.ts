// The local placeholder map (sos clean's idea): the same value gets the same placeholder in every bundle and redacted file of this user, across runs; it holds keyed hashes, never a value.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { causeText } from '../core/errors.js';

/** What the redactor asks of a map: a placeholder given before, recording a new one, whether one is taken. */
export interface PlaceholderStore {
  lookup(secret: string): string | undefined;
  record(secret: string, placeholder: string): void;
  taken(placeholder: string): boolean;
}

const FORMAT = 'opta-redact-map';
/** A map that full is not grown: new values are then numbered past every placeholder it holds, just not remembered. */
const MAX_ENTRIES = 20000;
const MAX_FILE = 8 * 1024 * 1024;
const PLACEHOLDER = /^\[REDACTED:[a-z0-9-]+-\d{1,9}\]$/;

/**
 * Outside the opta home, so that a bundle still changes nothing there: $XDG_STATE_HOME/opta/redact-map.json, else
 * ~/.local/state/opta/redact-map.json. Undefined without a HOME (nothing is remembered then).
 */
export function placeholderMapFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)) return path.join(env.XDG_STATE_HOME, 'opta', 'redact-map.json');
  return env.HOME ? path.join(env.HOME, '.local', 'state', 'opta', 'redact-map.json') : undefined;
}

interface MapFile {
  format: typeof FORMAT;
  version: 1;
  /** The HMAC key (hex): without it a hash says nothing about the value; the file is 0600 like state.json. */
  key: string;
  entries: Record<string, string>;
}

function read(file: string): MapFile | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_FILE) return undefined;
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as MapFile;
    if (m?.format !== FORMAT || m.version !== 1 || !/^[0-9a-f]{64}$/.test(m.key) || typeof m.entries !== 'object' || m.entries === null) return undefined;
    const entries = Object.fromEntries(Object.entries(m.entries).filter(([h, p]) => /^[0-9a-f]{32}$/.test(h) && typeof p === 'string' && PLACEHOLDER.test(p)));
    return { ...m, entries };
  } catch {
    return undefined;
  }
}

export class PlaceholderMap implements PlaceholderStore {
  private readonly added = new Map<string, string>();
  private readonly used: Set<string>;

  private constructor(
    readonly file: string | undefined,
    private readonly key: string,
    private readonly entries: Record<string, string>,
  ) {
    this.used = new Set(Object.values(entries));
  }

  /** The map of this user; a missing, unreadable or foreign file starts a new one (replaced when saved). */
  static load(env: NodeJS.ProcessEnv): PlaceholderMap {
    const file = placeholderMapFile(env);
    const m = file ? read(file) : undefined;
    return new PlaceholderMap(file, m?.key ?? crypto.randomBytes(32).toString('hex'), m?.entries ?? {});
  }

  private hash(secret: string, key = this.key): string {
    return crypto.createHmac('sha256', Buffer.from(key, 'hex')).update(secret).digest('hex').slice(0, 32);
  }

  lookup(secret: string): string | undefined {
    const h = this.hash(secret);
    return this.added.get(h) ?? this.entries[h];
  }

  record(secret: string, placeholder: string): void {
    this.used.add(placeholder);
    if (Object.keys(this.entries).length + this.added.size < MAX_ENTRIES) this.added.set(this.hash(secret), placeholder);
  }

  taken(placeholder: string): boolean {
    return this.used.has(placeholder);
  }

  /**
   * Writes what this run added, merged with what another run wrote meanwhile (its entries win; one of ours whose
   * placeholder it used for another value is dropped). Returns a note when it could not be written; never throws.
   */
  save(): string | undefined {
    if (!this.file || !this.added.size) return undefined;
    try {
      const now = read(this.file);
      const base = now && now.key === this.key ? now.entries : now ? undefined : this.entries;
      // Another run started a map with another key meanwhile: ours would mean nothing in it; keep theirs.
      if (!base) return undefined;
      const taken = new Set(Object.values(base));
      const entries = { ...base };
      for (const [h, p] of this.added) if (!(h in entries) && !taken.has(p)) entries[h] = p;
      const out: MapFile = { format: FORMAT, version: 1, key: this.key, entries };
      writeFileAtomic(this.file, JSON.stringify(out) + '\n', 0o600);
      this.added.clear();
      return undefined;
    } catch (e) {
      return `could not record the placeholders in ${this.file} (${causeText(e)}): a later bundle may number the same values differently`;
    }
  }
}
