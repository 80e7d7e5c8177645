// The redactor: secret shapes from rules/redact plus the exact secrets of a home, replaced by stable placeholders ([REDACTED:bearer-1]).
import type { RuleProblem } from '../rules/rule-problem.js';
import type { RedactRule } from './redact-schema.js';
export type { RedactRule } from './redact-schema.js';
import { byCodeUnit } from '../core/order.js';

export interface Shape {
  id: string;
  label: string;
  priority: number;
  keywords?: string[];
  regexes: RegExp[];
  keys?: RegExp;
}

/** A secret known by value (the daemon token, lmx.apiKey): replaced wherever it appears, before any shape runs. */
export interface KnownSecret {
  value: string;
  label: string;
}

/** Shorter exact values are left to the shapes: replacing "abc" everywhere would wreck the text and protect nothing. */
export const MIN_KNOWN_SECRET = 6;
const PLACEHOLDER = /\[REDACTED:[a-z0-9-]+\]/;
const MASKED = /^(?:\*{3,}|null|undefined|true|false|none|\(not set\))$/i;

export function compileShape(rule: RedactRule): Shape {
  const expand = (src: string) => (rule.keys === undefined ? src : src.split('{{keys}}').join(`(?:${rule.keys})`));
  return {
    id: rule.id,
    label: rule.label,
    priority: rule.priority ?? 50,
    keywords: rule.keywords?.map((k) => k.toLowerCase()),
    // d: the offsets of the `secret` group; g: every occurrence.
    regexes: rule.patterns.map((p) => new RegExp(expand(p.regex), `${p.flags ?? ''}gd`)),
    keys: rule.keys === undefined ? undefined : new RegExp(`^[\\w.-]*?(?:${rule.keys})$`, 'i'),
  };
}

/**
 * Whether a secret a shape found is replaced everywhere else too: long enough and not a plain word, so a value like
 * "invalid" (taken from "token: invalid") does not wreck every sentence that uses the word.
 */
/** A long-lived redactor (the daemon's log scrubber) keeps its per-text cost bounded. */
const MAX_LEARNED = 1000;

function learnable(secret: string): boolean {
  return secret.length >= 8 && /[^A-Za-z]/.test(secret);
}

export interface RedactionCounts {
  /** Distinct values redacted, by label. */
  byLabel: Record<string, number>;
  values: number;
  occurrences: number;
}

export class Redactor {
  private readonly shapes: Shape[];
  private readonly known: KnownSecret[];
  private readonly placeholders = new Map<string, string>();
  /** Secrets a shape found that are distinctive enough to replace wherever they turn up again, longest first. */
  private learned: string[] = [];
  private readonly perLabel = new Map<string, number>();
  private occurrences = 0;

  constructor(shapes: Shape[], known: KnownSecret[] = []) {
    this.shapes = [...shapes].sort((a, b) => b.priority - a.priority || byCodeUnit(a.id, b.id));
    // Longest first, so a secret that contains another is replaced whole.
    const seen = new Set<string>();
    this.known = known
      .filter((k) => k.value.length >= MIN_KNOWN_SECRET && !seen.has(k.value) && (seen.add(k.value), true))
      .sort((a, b) => b.value.length - a.value.length);
  }

  /** The same secret always gets the same placeholder, whichever shape found it first. */
  placeholder(secret: string, label: string): string {
    this.occurrences++;
    let p = this.placeholders.get(secret);
    if (!p) {
      const n = (this.perLabel.get(label) ?? 0) + 1;
      this.perLabel.set(label, n);
      p = `[REDACTED:${label}-${n}]`;
      this.placeholders.set(secret, p);
      if (learnable(secret) && this.learned.length < MAX_LEARNED) this.learned = [...this.learned, secret].sort((a, b) => b.length - a.length);
    }
    return p;
  }

  /** Every bare occurrence of a learned secret, replaced by its placeholder. */
  private replaceLearned(s: string): string {
    for (const secret of this.learned) {
      if (!s.includes(secret)) continue;
      const parts = s.split(secret);
      this.occurrences += parts.length - 1;
      s = parts.join(this.placeholders.get(secret)!);
    }
    return s;
  }

  /**
   * A second look at text or a JSON value redacted earlier: secrets found since then (a token a later section's shape
   * caught) are replaced there too. The bundle takes it over every section once all of them are redacted.
   */
  again<T>(v: T): T {
    if (typeof v === 'string') return this.replaceLearned(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.again(x)) as T;
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.again(x)])) as T;
    return v;
  }

  text(input: string): string {
    let s = input;
    for (const k of this.known) {
      const parts = s.split(k.value);
      if (parts.length < 2) continue;
      const p = this.placeholder(k.value, k.label);
      this.occurrences += parts.length - 2;
      s = parts.join(p);
    }
    // Replacements only remove text (a placeholder can add a keyword, which costs a regex run, nothing more).
    const lower = s.toLowerCase();
    for (const shape of this.shapes) {
      if (shape.keywords && !shape.keywords.some((w) => lower.includes(w))) continue;
      for (const re of shape.regexes) s = this.apply(s, re, shape.label);
    }
    // A secret a shape found (here or in an earlier text) is a secret wherever else it appears, context or not.
    return this.replaceLearned(s);
  }

  private apply(s: string, re: RegExp, label: string): string {
    re.lastIndex = 0;
    let out = '';
    let from = 0;
    for (let m = re.exec(s); m; m = re.exec(s)) {
      if (m[0] === '') {
        // A pattern that matches nothing is refused by validation; never loop on one that slipped through.
        re.lastIndex++;
        continue;
      }
      // With a `secret` group, only the group is replaced (and nothing when it did not take part).
      const span = m.groups && 'secret' in m.groups ? m.indices?.groups?.secret : m.indices![0];
      if (!span) continue;
      const secret = s.slice(span[0], span[1]);
      if (!secret || PLACEHOLDER.test(secret) || MASKED.test(secret)) continue;
      out += s.slice(from, span[0]) + this.placeholder(secret, label);
      from = span[1];
    }
    return from === 0 ? s : out + s.slice(from);
  }

  /**
   * Redacts a JSON value: every string through text(), and the whole value of a key that names a secret
   * (apiKey, token, password, ...), whatever it looks like.
   */
  value<T>(v: T): T {
    return this.walk(v, undefined) as T;
  }

  private walk(v: unknown, key: string | undefined): unknown {
    if (key !== undefined && (typeof v === 'string' || typeof v === 'number')) {
      const keyShape = this.shapes.find((s) => s.keys?.test(key));
      const str = String(v);
      // A value known exactly keeps its own label (daemon-token, lmx-api-key), whoever finds it first.
      const known = this.known.find((k) => k.value === str);
      if (keyShape && str !== '' && !MASKED.test(str) && !PLACEHOLDER.test(str)) return this.placeholder(str, known?.label ?? keyShape.label);
    }
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x, undefined));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.walk(x, k)]));
    return v;
  }

  counts(): RedactionCounts {
    const byLabel = Object.fromEntries([...this.perLabel.entries()].sort(([a], [b]) => byCodeUnit(a, b)));
    return { byLabel, values: this.placeholders.size, occurrences: this.occurrences };
  }
}

export class RedactShapesError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(`a redaction shape could not be loaded: ${problems.map((p) => `rule file ${p.file} is invalid at ${p.jsonPath}: ${p.message}`).join('; ')}`);
  }
}

/**
 * A stream of text (a followed log) redacted whole lines at a time, so a secret split across two reads is still seen
 * whole; end() flushes a last line without its newline.
 */
export function lineRedactor(redactor: Redactor, write: (text: string) => void): { push(text: string): void; end(): void } {
  let pending = '';
  return {
    push(text) {
      pending += text;
      const end = pending.lastIndexOf('\n');
      if (end < 0) return;
      write(redactor.text(pending.slice(0, end + 1)));
      pending = pending.slice(end + 1);
    },
    end() {
      if (pending) write(redactor.text(pending));
      pending = '';
    },
  };
}
