// A listr2 renderer of plain lines (stdout not a terminal, or CI): one line per pipeline and per finished step, nothing redrawn, no cursor codes.
import type { Kleur } from 'kleur';

type Paint = Pick<Kleur, 'green' | 'yellow' | 'red' | 'dim' | 'bold'>;
const id = (s: string) => s;
const PLAIN = { green: id, yellow: id, red: id, dim: id, bold: id } as unknown as Paint;

/** The parts of a listr2 task this renderer reads (listr2's Task is an event emitter with these). */
interface TaskLike {
  title?: string;
  on(event: string, fn: (data: any) => void): void;
}

export interface PlainRendererOptions {
  /** Where lines go (process.stdout unless a test gives its own). */
  write?: (line: string) => void;
  /** kleur with the CLI's colour decision applied; plain text when absent. */
  kleur?: Paint;
}

/**
 * listr2's own `simple` renderer sends failures and rollbacks to stderr and picks its icons from the environment;
 * this one writes every line to one stream, in the order things happen, so a log or a CI job reads like a story.
 */
export class PlainRenderer {
  static nonTTY = true;
  static rendererOptions: PlainRendererOptions = {};
  static rendererTaskOptions = {};
  private readonly write: (line: string) => void;
  private readonly k: Paint;

  constructor(
    private readonly tasks: TaskLike[],
    options: PlainRendererOptions = {},
  ) {
    this.write = options.write ?? ((line) => process.stdout.write(line + '\n'));
    this.k = options.kleur ?? PLAIN;
  }

  render(): void {
    this.watch(this.tasks, 0);
  }

  end(): void {}

  private watch(tasks: TaskLike[], depth: number): void {
    // Pipelines at two spaces, their steps (and a pipeline's own notes) at four, like the plan.
    const pad = '  '.repeat(Math.max(2, depth + 1));
    for (const task of tasks) {
      task.on('SUBTASK', (subtasks: TaskLike[]) => this.watch(subtasks, depth + 1));
      task.on('STATE', (state: string) => {
        if (depth === 0 && state === 'STARTED') this.write(`  ${this.k.bold(task.title ?? '')}`);
        else if (depth > 0 && state === 'COMPLETED') this.write(`${pad}${this.k.green('✔')} ${task.title}`);
      });
      task.on('OUTPUT', (output: string) => {
        for (const line of String(output).split('\n').filter(Boolean)) this.write(`${pad}${this.k.dim('←')} ${line}`);
      });
      task.on('MESSAGE', (m: { error?: string; skip?: string; rollback?: string }) => {
        // A skipped pipeline already printed its title when it started (listr2 starts a task before asking skip).
        if (m.skip !== undefined) this.write(`${pad}${this.k.yellow('↓')} ${depth === 0 ? '' : `${task.title}: `}skipped: ${m.skip}`);
        else if (m.error !== undefined && depth > 0) this.write(`${pad}${this.k.red('✖')} ${task.title}: failed: ${m.error}`);
        else if (m.rollback !== undefined) this.write(`${pad}${this.k.red('←')} rolled back`);
      });
    }
  }
}
