// The rule language's one template filler: {{name.path}} placeholders (and {{name*N}} where a syntax allows it), values escaped.
import { visible } from './escape.js';

/**
 * The placeholder syntaxes rule files use; group 1 is the dotted name, group 2 (if the syntax has it) a whole factor.
 * doctor: {{fact-id.path.to.value}}, a fact id first. logs: {{group}}, {{config.a.b}}, {{count*2}} ("twice the limit").
 */
export const PLACEHOLDER = {
  doctor: /\{\{\s*([a-z0-9-]+(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g,
  logs: /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?:\s*\*\s*(\d+))?\s*\}\}/g,
} as const;
export type TemplateSyntax = keyof typeof PLACEHOLDER;

export interface Placeholder {
  name: string;
  factor: number | null;
}

export function placeholders(text: string, syntax: TemplateSyntax): Placeholder[] {
  return [...text.matchAll(PLACEHOLDER[syntax])].map((m) => ({ name: m[1], factor: m[2] === undefined ? null : Number(m[2]) }));
}

/** A template text still holding `{{` that is not a placeholder (a typo such as `{{ count }` ). */
export function strayBraces(text: string, syntax: TemplateSyntax): boolean {
  return text.replace(PLACEHOLDER[syntax], '').includes('{{');
}

/** A name's value: the whole name as a key first ({{scope}}), else its dotted path walked from the top. */
function lookup(vars: Record<string, unknown>, name: string): unknown {
  if (name in vars) return vars[name];
  let cur: unknown = vars;
  for (const part of name.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Fills placeholders from `vars`; a missing value shows as "(unknown)". A value is data from the world (an LMX
 * answer, a path, a log line): it is put in as one line, its control characters escaped, so it can never start a
 * line of its own in a report (a CI log's ::workflow-command, a forged check line) or drive a terminal.
 */
export function fillTemplate(text: string, vars: Record<string, unknown>, syntax: TemplateSyntax = 'doctor'): string {
  // A syntax without a factor group passes the match's offset (a number) where the factor would be. The filled text is
  // escaped once, as a whole: the values put in and the rule's own text, which came from a rule file (maybe a --rules
  // directory someone else wrote).
  return visible(text.replace(PLACEHOLDER[syntax], (_m, name: string, factor: unknown) => {
    const v = lookup(vars, name);
    if (v === undefined || v === null) return '(unknown)';
    if (typeof factor === 'string') {
      const n = Number(v);
      return Number.isFinite(n) ? String(n * Number(factor)) : '(unknown)';
    }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }));
}
