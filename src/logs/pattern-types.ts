// The shape of a log pattern file (rules/logs/<id>.json) as TypeScript types, and its message templates (zod-free).

export const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type Level = (typeof LEVELS)[number];
export type Severity = 'error' | 'warn' | 'info';

export interface LogPattern {
  $schema?: string;
  id: string;
  /** The log levels the pattern applies to; a line of another level is never tested against it. */
  levels: Level[];
  /** A JavaScript regular expression (no flags) over the message, i.e. the line after its time and level. */
  regex: string;
  severity: Severity;
  /** What the finding says; {{placeholders}} are filled (see fillPatternTemplate). */
  message: string;
  why: string;
  /** The exact next command. */
  remediation: string;
  /** The heading of the troubleshooting guide it comes from. */
  guide: string;
  /** The doctor check it is evidence for (lmx, daemon, model, ...), or null: then the doctor reports it under `logs`. */
  check: string | null;
  /** The id of a fix pipeline, or null. */
  fix: string | null;
  /** This line begins a daemon run (`--since-start` and the doctor look at what follows the last one). */
  runStart?: boolean;
  /** The daemon writes this while starting, just before "daemon started": it belongs to the run that line begins. */
  startup?: boolean;
  /** Messages the regex must match (checked by the validator; tests run them against every pattern). */
  examples: string[];
}

/** Values a template may name besides the regex's named groups. */
export const BUILTINS = ['count', 'times', 'first', 'last', 'scope'] as const;
/** Namespaces filled from the opta home: {{config.tools.memoryLimitMb}}, {{paths.sessions}}. */
export const NAMESPACES = ['config', 'paths'] as const;

/** {{name}}, {{a.b.c}}, and {{a.b*2}} (a number times a whole factor: "twice the configured limit"). */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?:\s*\*\s*(\d+))?\s*\}\}/g;

export interface Placeholder {
  name: string;
  factor: number | null;
}

export function placeholders(text: string): Placeholder[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({ name: m[1], factor: m[2] === undefined ? null : Number(m[2]) }));
}

/** A template text still holding `{{` that is not a placeholder (a typo such as `{{ count }` ). */
export function strayBraces(text: string): boolean {
  return text.replace(PLACEHOLDER, '').includes('{{');
}

function lookup(vars: Record<string, unknown>, name: string): unknown {
  if (name in vars) return vars[name];
  let cur: unknown = vars;
  for (const part of name.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Fills placeholders from `vars` (named groups, builtins, config.*, paths.*); an unknown name shows as "(unknown)". */
export function fillPatternTemplate(text: string, vars: Record<string, unknown>): string {
  return text.replace(PLACEHOLDER, (_m, name: string, factor: string | undefined) => {
    const v = lookup(vars, name);
    if (v === undefined || v === null) return '(unknown)';
    if (factor !== undefined) {
      const n = Number(v);
      return Number.isFinite(n) ? String(n * Number(factor)) : '(unknown)';
    }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** The same bytes as a latin1 string: the analyser matches raw bytes, one char per byte. */
export function latin1Bytes(text: string): string {
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}
