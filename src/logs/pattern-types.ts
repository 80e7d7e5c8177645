// The closed vocabularies of log pattern files (levels, template names) and the byte form patterns are matched in, zod-free.

export const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type Level = (typeof LEVELS)[number];

/** Values a template may name besides the regex's named groups. */
export const BUILTINS = ['count', 'times', 'first', 'last', 'scope'] as const;
/** Namespaces filled from the opta home: {{config.tools.memoryLimitMb}}, {{paths.sessions}}. */
export const NAMESPACES = ['config', 'paths'] as const;

/** The same bytes as a latin1 string: the analyser matches raw bytes, one char per byte. */
export function latin1Bytes(text: string): string {
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/** The message of a log pattern's example, written either way (a string, or { line, values }). */
export const exampleLine = (ex: string | { line: string }): string => (typeof ex === 'string' ? ex : ex.line);
