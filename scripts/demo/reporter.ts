// How the demo prints its story: narration, the commands it runs and their output, and one PASS/FAIL line per expectation.
import kleur from 'kleur';
import { colorEnabled } from '../../src/cli/terminal.js';

/**
 * Colour only where opta's own decision allows it (NO_COLOR, FORCE_COLOR, a terminal), and never in CI: a CI log is
 * plain whatever FORCE_COLOR says. No cursor tricks either way: the demo only ever appends lines.
 */
export function demoColour(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
  if (ci) return false;
  return colorEnabled({ isTTY } as NodeJS.WriteStream, env);
}

export interface Verdict {
  ok: boolean;
  /** What was seen instead, when not ok. */
  got?: string;
}

export interface CheckResult {
  id: string;
  expected: string;
  ok: boolean;
  got?: string;
}

// Colour codes, so a test can tell plain output from coloured; opta's own output is matched with them removed.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
export const stripAnsi = (s: string): string => s.replace(ANSI, '');

export class Reporter {
  readonly results: CheckResult[] = [];
  private readonly k: typeof kleur;

  constructor(
    private readonly write: (text: string) => void,
    readonly colour: boolean,
  ) {
    kleur.enabled = colour;
    this.k = kleur;
  }

  /** The title of a step: a blank line, then a bold heading. */
  heading(text: string): void {
    this.write(`\n${this.k.bold(text)}\n`);
  }

  /** Narration: what is about to happen and why, in a person's words. */
  say(...lines: string[]): void {
    for (const l of lines) this.write(`  ${this.k.cyan(l)}\n`);
  }

  /** Something the demo itself did (started a process, killed one, wrote a file). */
  did(text: string): void {
    this.write(`  ${this.k.dim('·')} ${text}\n`);
  }

  /** A command as a person would type it, then its output indented below it. */
  command(display: string, output = ''): void {
    this.write(`  ${this.k.bold('$')} ${this.k.bold(display)}\n`);
    this.output(output);
  }

  output(text: string): void {
    const body = text.replace(/\n+$/, '');
    if (!body) return;
    for (const l of body.split('\n')) this.write(l ? `      ${l}\n` : '\n');
  }

  /** One expectation, judged: `PASS id: expected` or `FAIL id: expected; got: ...`. */
  check(id: string, expected: string, v: Verdict): boolean {
    this.results.push({ id, expected, ok: v.ok, got: v.got });
    if (v.ok) this.write(`${this.k.green('PASS')} ${id}: ${expected}\n`);
    else this.write(`${this.k.red().bold('FAIL')} ${id}: ${expected}; got: ${v.got ?? 'something else'}\n`);
    return v.ok;
  }

  /** The closing line: how many expectations held, and how long it took. */
  summary(ms: number, interrupted = false): boolean {
    const failed = this.results.filter((r) => !r.ok);
    const secs = (ms / 1000).toFixed(1);
    if (interrupted) this.write(`\n${this.k.yellow().bold('Interrupted')} after ${this.results.length} steps (${failed.length} failed) in ${secs} s.\n`);
    else if (!failed.length) this.write(`\n${this.k.green().bold(`All ${this.results.length} steps passed`)} in ${secs} s.\n`);
    else this.write(`\n${this.k.red().bold(`${failed.length} of ${this.results.length} steps failed`)} (${failed.map((f) => f.id).join(', ')}) in ${secs} s.\n`);
    return failed.length === 0;
  }
}
