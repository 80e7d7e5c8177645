// The one place that decides how opta talks to a terminal: colour (for kleur, commander and listr2), prompts, redraw (listr2's renderer), progress.
//
// kleur, commander and listr2 each read NO_COLOR / FORCE_COLOR their own way (FORCE_COLOR=0 turns listr2's colour
// on), so none of them is left to decide: opta decides here and hands each the answer.
import type { Kleur } from 'kleur';

/** NO_COLOR wins, then FORCE_COLOR (0 or false: off), then a terminal that is not TERM=dumb. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !(force === '0' || force.toLowerCase() === 'false');
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/** CI=true (or any value but 0/false) means no person is watching: plain lines, and nothing ever waits for an answer. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * listr2's progress redraws lines: only on a terminal that moves its cursor, with a person watching. CI, a terminal
 * that reports no width (some CI ptys) and TERM=dumb (an editor's shell) get plain lines; they may still be asked.
 */
export function canRedraw(stdout: NodeJS.WriteStream, env: NodeJS.ProcessEnv, ci = isCI(env)): boolean {
  return Boolean(stdout.isTTY) && !ci && (stdout.columns ?? 0) > 0 && env.TERM !== 'dumb';
}

/** A question may be asked: a person at a terminal (one with a width; a dumb one counts) typing on stdin, and not CI. */
export function canAsk(stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream, ci: boolean): boolean {
  return !ci && Boolean(stdout.isTTY) && (stdout.columns ?? 0) > 0 && Boolean(stdin.isTTY);
}

/** A progress line on stderr (logs analyze): a terminal, no CI, not a JSON run. */
export function progressWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, json: boolean): boolean {
  const ci = isCI(env);
  return Boolean(stream.isTTY) && !ci && !json;
}

/** kleur with colour on when `color` (kleur reads the environment its own way: it is told), else undefined: plain text. Loaded only then. */
export async function paint(color: boolean): Promise<Kleur | undefined> {
  if (!color) return undefined;
  const kleur = (await import('kleur')).default;
  kleur.enabled = true;
  return kleur;
}
