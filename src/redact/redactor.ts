// The redactor: secret shapes from rules/redact plus the exact secrets of a home, replaced by stable placeholders ([REDACTED:bearer-1]).
import type { RuleProblem } from '../rules/rule-problem.js';
import type { RedactRule } from './redact-schema.js';
export type { RedactRule } from './redact-schema.js';
import { byCodeUnit } from '../core/order.js';
import { looksRandom } from './entropy.js';
import { DEFAULT_PROFILE, profileRank, type RedactProfile } from './profile.js';
import type { PlaceholderStore } from './placeholder-map.js';

export interface Shape {
  id: string;
  label: string;
  priority: number;
  keywords?: string[];
  regexes: RegExp[];
  keys?: RegExp;
  /** The least profile that runs this shape. */
  profile: RedactProfile;
}

/** A secret known by value (the daemon token, lmx.apiKey): replaced wherever it appears, before any shape runs. */
export interface KnownSecret {
  value: string;
  label: string;
  /** The secret this is an encoded form of (URL-encoded, JSON-escaped, base64): it shares that secret's placeholder. */
  of?: string;
}

/** A known secret as it turns up elsewhere: URL-encoded (a query string), JSON-escaped (a log line), base64 (a header, a config blob). */
export function encodedForms(k: KnownSecret): KnownSecret[] {
  const b64 = Buffer.from(k.value, 'utf8').toString('base64');
  const forms = [
    encodeURIComponent(k.value),
    encodeURIComponent(k.value).replace(/%20/g, '+'),
    JSON.stringify(k.value).slice(1, -1),
    JSON.stringify(JSON.stringify(k.value).slice(1, -1)).slice(1, -1),
    b64,
    b64.replace(/=+$/, ''),
    b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  ];
  return [...new Set(forms)].filter((v) => v !== k.value).map((value) => ({ value, label: k.label, of: k.value }));
}

/** Shorter exact values are left to the shapes: replacing "abc" everywhere would wreck the text and protect nothing. */
export const MIN_KNOWN_SECRET = 6;
const PLACEHOLDER = /\[REDACTED:[a-z0-9-]+\]/;
const PLACEHOLDERS = /\[REDACTED:([a-z0-9-]+?)-(\d{1,9})\]/g;
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
    profile: rule.profile ?? DEFAULT_PROFILE,
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

/**
 * The placeholders a text holds, by label: what a bundle's header reports, so its counts are those of the file
 * itself (a value redacted in data the text bundle does not carry is not counted there).
 */
export function placeholderCounts(text: string): RedactionCounts {
  const distinct = new Map<string, string>();
  let occurrences = 0;
  for (const m of text.matchAll(PLACEHOLDERS)) {
    occurrences++;
    distinct.set(m[0], m[1]);
  }
  const byLabel: Record<string, number> = {};
  for (const label of [...distinct.values()].sort(byCodeUnit)) byLabel[label] = (byLabel[label] ?? 0) + 1;
  return { byLabel, values: distinct.size, occurrences };
}

export interface RedactorOptions {
  /** minimal, standard (the default) or paranoid: see profile.ts. */
  profile?: RedactProfile;
  /** false: only the shapes and known secrets run, not the rules written in code (pairs, entropy): how a shape file is checked alone. */
  codeRules?: boolean;
  /** A map of placeholders given before (placeholder-map.ts): the same value keeps its placeholder across runs. */
  store?: PlaceholderStore;
}

/** Key names that sound secret without saying so (*_KEY, auth, signature, salt, ...): their values go when they look random. */
const SECRETISH_KEY = /(?:^|_)(?:key|keys|auth|cred|creds|sig|signature|salt|cookie|session|private|cert|nonce|seed|hmac|otp|pin|pass|pwd|pw|secret|token)$/;
/**
 * A value-like run of 16+ characters (KEY=value, "key": "value", key: value), its key then read from just before it.
 * Linear on hostile lines: a run starts only where the previous character cannot belong to it ("=" only as padding),
 * so "A=A=A=..." offers no start that scans far; the key is matched on the 80 characters before the run.
 */
const VALUE_RUN = /(?<![A-Za-z0-9+/_.~-])[A-Za-z0-9+/_.~-]{16,4096}={0,2}(?![A-Za-z0-9+/=_.~-])/dg;
const KEY_BEFORE = /(?<![\w.-])(?<key>[A-Za-z_][\w.-]{0,63})\\?["']?[ \t]*[:=][ \t]*\\?["']?$/;
/** {"name": "KEY", "value": "v"} (container env, JSON logs), also JSON-escaped inside a log line. */
const NAME_VALUE_JSON = /(?<q>\\?")name\k<q>[ \t]*:[ \t]*\k<q>(?<key>[\w.-]{1,128})\k<q>[ \t]*,[ \t]*\k<q>value\k<q>[ \t]*:[ \t]*\k<q>(?<secret>[^"\\\r\n]{1,4096})\k<q>/dgi;
/** - name: KEY / value: v on the next line (a Kubernetes env list in YAML). */
const NAME_VALUE_YAML = /^[ \t]*(?:-[ \t]+)?name:[ \t]*["']?(?<key>[\w.-]{1,128})["']?[ \t]*\r?\n[ \t]*value:[ \t]*["']?(?<secret>[^\s"'#]{1,4096})/dgim;
/** Paranoid: any long token-like run, judged by looksRandom. */
const TOKEN_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,4096}={0,2}(?![A-Za-z0-9+/=_-])/dg;

function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[.-]/g, '_').toLowerCase();
}

/** A key that sounds secret, unless it says public (public key: age1..., PUBLIC_KEY=...). */
function secretish(key: string, before = ''): boolean {
  const k = snake(key);
  return SECRETISH_KEY.test(k) && !/public/.test(k) && !/public[ \t_-]?$/i.test(before);
}

export class Redactor {
  private readonly shapes: Shape[];
  private readonly known: KnownSecret[];
  private readonly placeholders = new Map<string, string>();
  /** Secrets a shape found that are distinctive enough to replace wherever they turn up again, longest first. */
  private learned: string[] = [];
  private readonly perLabel = new Map<string, number>();
  private readonly profile: RedactProfile;
  private readonly codeRules: boolean;
  private readonly store?: PlaceholderStore;
  /** Placeholders given out in this run. */
  private readonly issued = new Set<string>();
  private readonly knownValues: Set<string>;

  constructor(shapes: Shape[], known: KnownSecret[] = [], opts: RedactorOptions = {}) {
    this.profile = opts.profile ?? DEFAULT_PROFILE;
    this.codeRules = opts.codeRules !== false;
    this.store = opts.store;
    const rank = profileRank(this.profile);
    this.shapes = shapes.filter((s) => profileRank(s.profile ?? DEFAULT_PROFILE) <= rank).sort((a, b) => b.priority - a.priority || byCodeUnit(a.id, b.id));
    // Longest first, so a secret that contains another is replaced whole; each also in its encoded forms.
    const seen = new Set<string>();
    this.known = known
      .filter((k) => k.value.length >= MIN_KNOWN_SECRET)
      .flatMap((k) => [k, ...encodedForms(k)])
      .filter((k) => !seen.has(k.value) && (seen.add(k.value), true))
      .sort((a, b) => b.value.length - a.value.length);
    this.knownValues = new Set(this.known.map((k) => k.of ?? k.value));
  }

  /** The same secret always gets the same placeholder, whichever shape found it first. */
  placeholder(secret: string, label: string): string {
    let p = this.placeholders.get(secret);
    if (!p) {
      // The placeholder an earlier run gave this value (unless this run gave it to another value already).
      // Known secrets (the token, lmx.apiKey) are numbered in the run: their label names the setting, and a new token must not count up forever.
      const store = this.knownValues.has(secret) ? undefined : this.store;
      const before = store?.lookup(secret);
      if (before && !this.issued.has(before)) p = before;
      else {
        let n = (this.perLabel.get(label) ?? 0) + 1;
        const taken = (c: string) => this.issued.has(c) || Boolean(store?.taken(c));
        while (taken(`[REDACTED:${label}-${n}]`)) n++;
        this.perLabel.set(label, n);
        p = `[REDACTED:${label}-${n}]`;
        store?.record(secret, p);
      }
      this.issued.add(p);
      this.placeholders.set(secret, p);
      if (learnable(secret) && this.learned.length < MAX_LEARNED) this.learned = [...this.learned, secret].sort((a, b) => b.length - a.length);
    }
    return p;
  }

  /** Every bare occurrence of a learned secret, replaced by its placeholder. */
  private replaceLearned(s: string): string {
    for (const secret of this.learned) {
      if (!s.includes(secret)) continue;
      s = s.split(secret).join(this.placeholders.get(secret)!);
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
      const p = this.placeholder(k.of ?? k.value, k.label);
      s = parts.join(p);
    }
    const standard = this.codeRules && profileRank(this.profile) >= profileRank('standard');
    // {"name": KEY, "value": v} before the shapes: the key's own shape names the value (AWS_SECRET_ACCESS_KEY -> aws-secret-key).
    if (standard && /name/i.test(s)) {
      s = this.apply(s, NAME_VALUE_JSON, (m) => this.labelFor(m.groups!.key, m.groups!.secret));
      s = this.apply(s, NAME_VALUE_YAML, (m) => this.labelFor(m.groups!.key, m.groups!.secret));
    }
    // Replacements only remove text (a placeholder can add a keyword, which costs a regex run, nothing more).
    const lower = s.toLowerCase();
    for (const shape of this.shapes) {
      if (shape.keywords && !shape.keywords.some((w) => lower.includes(w))) continue;
      for (const re of shape.regexes) s = this.apply(s, re, () => shape.label);
    }
    // A long random-looking value under a key that sounds secret (SIGNING_KEY=..., "auth": "...").
    if (standard) {
      s = this.apply(s, VALUE_RUN, (m) => {
        const before = m.input.slice(Math.max(0, m.index - 80), m.index);
        const k = KEY_BEFORE.exec(before);
        return k && secretish(k.groups!.key, before.slice(Math.max(0, k.index - 8), k.index)) && looksRandom(m[0]) ? 'kv-secret' : undefined;
      });
    }
    if (this.codeRules && this.profile === 'paranoid') s = this.apply(s, TOKEN_RUN, (m) => (looksRandom(m[0], 24) ? 'high-entropy' : undefined));
    // A secret a shape found (here or in an earlier text) is a secret wherever else it appears, context or not.
    return this.replaceLearned(s);
  }

  /**
   * The label of a value by its key name, as the shapes would judge KEY=value (so AWS_SECRET_ACCESS_KEY gets
   * aws-secret-key, SMTP_PASSWORD kv-secret), else kv-secret for a random-looking value under a secret-sounding key.
   */
  labelFor(key: string, value: string): string | undefined {
    const probe = `${key}=${value}`;
    const lower = probe.toLowerCase();
    for (const shape of this.shapes) {
      if (shape.keywords && !shape.keywords.some((w) => lower.includes(w))) continue;
      for (const re of shape.regexes) {
        re.lastIndex = 0;
        for (let m = re.exec(probe); m; m = re.exec(probe)) {
          if (m[0] === '') {
            re.lastIndex++;
            continue;
          }
          const span = m.groups && 'secret' in m.groups ? m.indices?.groups?.secret : m.indices![0];
          if (span && span[0] > key.length && span[1] > span[0]) return shape.label;
        }
      }
    }
    return secretish(key) && looksRandom(value) ? 'kv-secret' : undefined;
  }

  /** Replaces each match's `secret` group (or the whole match) by a placeholder of the label `labelOf` gives (none: kept). */
  private apply(s: string, re: RegExp, labelOf: (m: RegExpExecArray) => string | undefined): string {
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
      const label = labelOf(m);
      if (!label) continue;
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
      if (keyShape && str !== '' && !MASKED.test(str) && !PLACEHOLDER.test(str)) return this.placeholder(known?.of ?? str, known?.label ?? keyShape.label);
    }
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x, undefined));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // {"name": "SMTP_PASSWORD", "value": "..."}: the name says what the value is.
      if (typeof o.name === 'string' && typeof o.value === 'string' && profileRank(this.profile) >= profileRank('standard') && !PLACEHOLDER.test(o.value) && !MASKED.test(o.value)) {
        const known = this.known.find((k) => k.value === o.value);
        const label = known ? undefined : this.labelFor(o.name, o.value);
        if (label) return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, k === 'value' ? this.placeholder(o.value as string, label) : this.walk(x, k)]));
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, this.walk(x, k)]));
    }
    return v;
  }

  /**
   * The values this redactor replaced, by label. How many places hold them is counted in what is finally written
   * (placeholderCounts): a bundle or `support redact` output is the one place that knows.
   */
  counts(): Omit<RedactionCounts, 'occurrences'> {
    const byLabel: Record<string, number> = {};
    for (const p of [...this.placeholders.values()].sort(byCodeUnit)) {
      const label = /^\[REDACTED:([a-z0-9-]+?)-\d+\]$/.exec(p)![1];
      byLabel[label] = (byLabel[label] ?? 0) + 1;
    }
    return { byLabel, values: this.placeholders.size };
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
