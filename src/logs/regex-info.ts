// What a regular expression's source promises about every match: literal prefixes or required literals (the prefilter), and its shortest match.

/**
 * Like grep's "must" strings: from the regex source we derive strings that every match must start with (when it
 * is anchored with ^) or contain, so the analyser can test raw bytes with startsWith/indexOf and run the regex only
 * on the few lines that pass. Everything here is conservative: a construct it does not understand yields "no
 * prefilter" (the regex then runs on every line of its levels), never a wrong one.
 */
export interface RegexInfo {
  /** Every match starts at the beginning of the message with one of these (non-empty) strings; null if unknown. */
  prefixes: string[] | null;
  /** Every match contains one of these (non-empty) strings; null if unknown. */
  literals: string[] | null;
  /** The length of the shortest possible match (0: it can match the empty string). */
  minLength: number;
  /** Names of its named groups. */
  groups: string[];
  /** False when the source used syntax this parser does not model (the values above are then the safe defaults). */
  understood: boolean;
}

const MAX_SET = 16;
const MAX_LEN = 64;

interface Info {
  /** The node matches exactly one of these strings (zero-width nodes: ['']). */
  exact: string[] | null;
  /** Every match of the node starts with one of these. */
  prefix: string[] | null;
  /** Every match of the node contains one of these. */
  must: string[] | null;
  min: number;
  /** The node can only match at the start of the input (it begins with ^). */
  anchored: boolean;
  /** Set on a plain literal, so the parser can join it with its neighbours. */
  lit?: string;
}

class Unsupported extends Error {}

const ZERO: Info = { exact: [''], prefix: [''], must: null, min: 0, anchored: false };
const ANY: Info = { exact: null, prefix: null, must: null, min: 1, anchored: false };

function cross(a: string[], b: string[]): string[] | null {
  if (a.length * b.length > MAX_SET) return null;
  const out = new Set<string>();
  for (const x of a) for (const y of b) out.add((x + y).slice(0, MAX_LEN));
  return [...out];
}

function union(a: string[] | null, b: string[] | null): string[] | null {
  if (!a || !b) return null;
  const out = [...new Set([...a, ...b])];
  return out.length > MAX_SET ? null : out;
}

/** Usable as a prefilter: non-empty members only. */
function usable(set: string[] | null): string[] | null {
  return set && set.length && set.every((s) => s.length > 0) ? set : null;
}

/** The more selective of two "contains one of" sets: longer shortest member, then fewer members. */
function better(a: string[] | null, b: string[] | null): string[] | null {
  const ua = usable(a);
  const ub = usable(b);
  if (!ua) return ub;
  if (!ub) return ua;
  const la = Math.min(...ua.map((s) => s.length));
  const lb = Math.min(...ub.map((s) => s.length));
  if (la !== lb) return la > lb ? ua : ub;
  return ua.length <= ub.length ? ua : ub;
}

const zeroWidth = (it: Info) => it.min === 0 && it.exact !== null && it.exact.length === 1 && it.exact[0] === '';

function seq(items: Info[]): Info {
  let whole: string[] | null = ['']; // the exact strings of the sequence so far, while it is exact
  let prefix: string[] | null = null; // fixed once it stops being exact
  let run: string[] = ['']; // the current run of literal items
  let must: string[] | null = null;
  let min = 0;
  let anchored = false;
  let leading = true;
  for (const it of items) {
    if (leading && it.anchored) anchored = true;
    if (!zeroWidth(it)) leading = false;
    min += it.min;
    must = better(must, it.must);
    if (it.exact) {
      const r = cross(run, it.exact);
      if (r) run = r;
      else {
        must = better(must, run);
        run = it.exact;
      }
      if (whole) {
        const w = cross(whole, it.exact);
        if (w) whole = w;
        else {
          prefix = whole;
          whole = null;
        }
      }
    } else {
      must = better(must, run);
      run = [''];
      if (whole) {
        prefix = (it.prefix && cross(whole, it.prefix)) || whole;
        whole = null;
      }
    }
  }
  must = better(must, run);
  return { exact: whole, prefix: whole ?? prefix, must, min, anchored };
}

function alt(branches: Info[]): Info {
  if (branches.length === 1) return branches[0];
  return branches.reduce((a, b) => ({
    exact: union(a.exact, b.exact),
    prefix: union(a.prefix, b.prefix),
    must: union(usable(a.must), usable(b.must)),
    min: Math.min(a.min, b.min),
    anchored: a.anchored && b.anchored,
  }));
}

function repeat(it: Info, min: number, max: number): Info {
  if (min === 0) {
    const exact = max === 0 ? [''] : max === 1 && it.exact ? union(it.exact, ['']) : null;
    return { exact, prefix: exact, must: null, min: 0, anchored: false };
  }
  let exact: string[] | null = null;
  if (min === max && it.exact && min <= 8) {
    exact = [''];
    for (let i = 0; i < min && exact; i++) exact = cross(exact, it.exact);
  }
  return { exact, prefix: exact ?? it.prefix, must: better(it.must, exact), min: it.min * min, anchored: it.anchored };
}

class Parser {
  i = 0;
  groups: string[] = [];
  constructor(private readonly s: string) {}

  parse(): Info {
    const r = this.alternation();
    if (this.i < this.s.length) throw new Unsupported(`unexpected ${this.s[this.i]}`);
    return r;
  }

  private alternation(): Info {
    const branches = [this.sequence()];
    while (this.s[this.i] === '|') {
      this.i++;
      branches.push(this.sequence());
    }
    return alt(branches);
  }

  private sequence(): Info {
    const items: Info[] = [];
    let text = ''; // consecutive literal characters, folded into one item (a 40-character literal is one step, not 40)
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.atom();
      const q = this.quantified(atom);
      if (q === atom && atom.lit !== undefined) {
        text += atom.lit;
        continue;
      }
      if (text) items.push(lit(text));
      text = '';
      items.push(q);
    }
    if (text) items.push(lit(text));
    return seq(items);
  }

  private quantified(atom: Info): Info {
    const c = this.s[this.i];
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) return atom; // not a quantifier: the next atom() reads "{" as a literal
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.s[this.i] === '?') this.i++; // lazy: the same set of matches
    return repeat(atom, min, max);
  }

  private atom(): Info {
    const c = this.s[this.i++];
    switch (c) {
      case '^':
        return { ...ZERO, anchored: true };
      case '$':
        return { ...ZERO };
      case '.':
        return { ...ANY };
      case '[':
        this.charClass();
        return { ...ANY };
      case '(':
        return this.group();
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        throw new Unsupported('nothing to repeat');
      case '{': {
        // In a regex without the u flag, "{" that is not a quantifier is a literal.
        if (/^\d+(,\d*)?\}/.test(this.s.slice(this.i))) throw new Unsupported('nothing to repeat');
        return lit('{');
      }
      default:
        return lit(c);
    }
  }

  private group(): Info {
    let kind: 'capture' | 'plain' | 'look' = 'capture';
    if (this.s.startsWith('?:', this.i)) {
      kind = 'plain';
      this.i += 2;
    } else if (this.s.startsWith('?=', this.i) || this.s.startsWith('?!', this.i)) {
      kind = 'look';
      this.i += 2;
    } else if (this.s.startsWith('?<=', this.i) || this.s.startsWith('?<!', this.i)) {
      kind = 'look';
      this.i += 3;
    } else if (this.s.startsWith('?<', this.i)) {
      const m = /^\?<([A-Za-z_$][\w$]*)>/.exec(this.s.slice(this.i));
      if (!m) throw new Unsupported('bad group name');
      this.groups.push(m[1]);
      this.i += m[0].length;
    } else if (this.s[this.i] === '?') throw new Unsupported('unknown group');
    const inner = this.alternation();
    if (this.s[this.i] !== ')') throw new Unsupported('unclosed group');
    this.i++;
    // A lookaround consumes nothing: it neither adds to a literal run nor breaks it.
    if (kind === 'look') return { ...ZERO };
    return inner;
  }

  private charClass(): void {
    // JavaScript, unlike POSIX, ends a class at a "]" right after "[" or "[^": "[]" matches nothing, "[^]" anything.
    if (this.s[this.i] === '^') this.i++;
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      if (this.s[this.i] === '\\') this.i++;
      this.i++;
    }
    if (this.s[this.i] !== ']') throw new Unsupported('unclosed class');
    this.i++;
  }

  private escape(): Info {
    const c = this.s[this.i++];
    if (c === undefined) throw new Unsupported('trailing backslash');
    if ('dDwWsS'.includes(c)) return { ...ANY };
    if (c === 'b' || c === 'B') return { ...ZERO };
    if (/[1-9]/.test(c) || c === 'k') throw new Unsupported('backreference');
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' };
    if (c in simple) return lit(simple[c]);
    if (c === 'x') {
      const h = /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i));
      if (!h) throw new Unsupported('bad \\x');
      this.i += 2;
      return lit(String.fromCharCode(parseInt(h[0], 16)));
    }
    if (c === 'u') {
      const h = /^[0-9a-fA-F]{4}/.exec(this.s.slice(this.i));
      if (!h) throw new Unsupported('bad \\u');
      this.i += 4;
      return lit(String.fromCharCode(parseInt(h[0], 16)));
    }
    if (c === 'c' || c === 'p' || c === 'P') throw new Unsupported(`\\${c}`);
    return lit(c);
  }
}

function lit(c: string): Info {
  return { exact: [c], prefix: [c], must: [c], min: c.length, anchored: false, lit: c };
}

/** Analyses a regex source (which must already compile with `new RegExp(source)`). */
export function regexInfo(source: string): RegexInfo {
  const groupNames = (s: string) => [...s.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]);
  try {
    const p = new Parser(source);
    const r = p.parse();
    return {
      prefixes: r.anchored ? usable(r.prefix) : null,
      literals: usable(r.must),
      minLength: r.min,
      groups: p.groups,
      understood: true,
    };
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    // Unknown syntax: no prefilter; the shortest match is found by trying (a match of '' means it can be empty).
    let min = 1;
    try {
      if (new RegExp(source).test('')) min = 0;
    } catch {
      /* the caller reports a regex that does not compile */
    }
    return { prefixes: null, literals: null, minLength: min, groups: groupNames(source), understood: false };
  }
}
