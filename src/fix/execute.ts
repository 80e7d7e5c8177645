// Runs planned pipelines as a listr2 task list: guards as skips, steps in order, a failing step rolls back its pipeline's done steps that have an undo.
import type { Writable } from 'node:stream';
import type { Kleur } from 'kleur';
import { actionById } from '../actions/registry.js';
import { causeText } from '../core/errors.js';
import type { OptaPaths } from '../core/paths.js';
import type { PipelineRecord, StepRecord } from './fix-types.js';
import { PlainRenderer } from './listr-plain.js';

export type RendererName = 'default' | 'plain' | 'silent' | 'test';

export interface ExecuteOptions {
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  renderer: RendererName;
  /** The CLI's one colour decision (NO_COLOR, FORCE_COLOR, TTY), applied to listr2 as to kleur and commander. */
  color: boolean;
  kleur?: Kleur;
  /** Where the `test` and `plain` renderers write (a test's own streams); process.stdout otherwise. */
  stdout?: Writable;
  stderr?: Writable;
  /** Aborted on SIGINT: no further step starts, and the pipeline under way is rolled back. */
  signal?: AbortSignal;
}

type Listr2 = typeof import('listr2');
let listr2: Promise<Listr2> | undefined;

/**
 * listr2 (through colorette) reads NO_COLOR and FORCE_COLOR once, when it loads, its own way (FORCE_COLOR=0 turns
 * colour on). Load it with the environment saying what opta decided, then put the environment back.
 */
export function loadListr2(color: boolean): Promise<Listr2> {
  listr2 ??= (async () => {
    const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
    if (color) {
      delete process.env.NO_COLOR;
      process.env.FORCE_COLOR = '1';
    } else {
      process.env.NO_COLOR = '1';
      delete process.env.FORCE_COLOR;
    }
    try {
      return await import('listr2');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  })();
  return listr2;
}

/** What each done step's undo needs; kept out of the records, which are the JSON report. */
const undoData = new WeakMap<StepRecord, unknown>();

class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C): no further step was started');
  }
}

/** The first step that would run and says in advance that it cannot succeed, with why. */
export async function blockedStep(p: PipelineRecord, base: { paths: OptaPaths; env: NodeJS.ProcessEnv }): Promise<{ step: StepRecord; why: string } | undefined> {
  const before: string[] = [];
  for (const s of p.steps) {
    if (!s.guard.held) continue;
    const why = await actionById(s.action)!.blocked?.({ ...base, args: s.args, before: [...before] });
    if (why) return { step: s, why };
    before.push(s.action);
  }
  return undefined;
}

/** Runs the pipelines whose status is still "planned"; the records are updated in place with what each step did. */
export async function executePipelines(records: PipelineRecord[], opts: ExecuteOptions): Promise<void> {
  const { Listr, ListrLogger, ProcessOutput } = await loadListr2(opts.color);
  const base = { paths: opts.paths, env: opts.env };
  const stepTask = (s: StepRecord, p: PipelineRecord) => ({
    title: s.title,
    skip: () => (s.guard.held ? false : `its guard does not hold: ${s.guard.detail}`),
    task: async (_ctx: unknown, task: { title: string; skip(message?: string): void }) => {
      if (opts.signal?.aborted) {
        s.status = 'interrupted';
        s.message = new Interrupted().message;
        throw new Interrupted();
      }
      // Before the pipeline's first step changes anything: a later step that cannot succeed stops it here.
      if (s === p.steps.find((x) => x.guard.held)) {
        const blocked = await blockedStep(p, base);
        if (blocked) {
          s.status = 'failed';
          s.message = `not started: ${blocked.step === s ? '' : `step ${blocked.step.index} (${blocked.step.title}) could not succeed: `}${blocked.why}`;
          throw new Error(s.message);
        }
      }
      const action = actionById(s.action)!;
      try {
        const r = await action.run({ ...base, args: s.args });
        s.message = r.message;
        s.status = r.outcome === 'done' ? 'done' : 'skipped';
        undoData.set(s, r.undoData);
        if (r.outcome === 'skipped') task.skip(r.message);
        else task.title = `${s.title}: ${r.message}`;
      } catch (err) {
        s.status = 'failed';
        s.message = causeText(err);
        throw new Error(s.message);
      }
    },
  });
  const tasks = records
    .filter((p) => p.status === 'planned' || p.status === 'needs-confirmation')
    .map((p) => ({
      title: `${p.id}: ${p.title}`,
      // Shown, not run: the person sees what waits for a yes.
      skip: () => (p.status === 'needs-confirmation' ? p.error ?? 'needs confirmation' : false),
      task: (_ctx: unknown, task: { newListr: (t: unknown[], o: unknown) => unknown }) => {
        for (const s of p.steps) {
          if (s.guard.held) continue;
          s.status = 'skipped';
          s.message = `its guard does not hold: ${s.guard.detail}`;
        }
        return task.newListr(p.steps.map((s) => stepTask(s, p)), { exitOnError: true });
      },
      // listr2 calls this when a step of the pipeline failed: undo the done steps that have an undo, last first.
      rollback: async (_ctx: unknown, task: { output: string }) => {
        const failed = p.steps.find((s) => s.status === 'failed' || s.status === 'interrupted');
        const done = p.steps.filter((s) => s.status === 'done' && s.undo).reverse();
        p.status = failed?.status === 'interrupted' ? 'interrupted' : done.length ? 'rolled-back' : 'failed';
        p.error = failed ? `${failed.title}: ${failed.message ?? 'interrupted'}` : 'a step failed';
        if (!done.length) task.output = 'nothing to roll back: no step that ran has an undo';
        for (const s of done) {
          try {
            const msg = await actionById(s.action)!.undo!({ ...base, args: s.args }, undoData.get(s));
            s.undone = { ok: true, message: msg };
            task.output = `${s.title}: ${msg}`;
          } catch (err) {
            s.undone = { ok: false, message: `undo failed: ${causeText(err)}` };
            task.output = `${s.title}: undo failed: ${causeText(err)}`;
          }
        }
      },
    }));
  for (const p of records) {
    // A pipeline under way counts as done unless one of its steps fails (the rollback then says so).
    if (p.status === 'planned') p.status = 'done';
  }

  let renderer: unknown = opts.renderer;
  let rendererOptions: Record<string, unknown> = {};
  if (opts.renderer === 'plain') {
    renderer = PlainRenderer;
    const out = opts.stdout ?? process.stdout;
    rendererOptions = { write: (line: string) => out.write(line + '\n'), kleur: opts.color ? opts.kleur : undefined };
  } else if (opts.renderer === 'test') {
    rendererOptions = { logger: new ListrLogger({ useIcons: false, processOutput: new ProcessOutput(opts.stdout as NodeJS.WriteStream | undefined, opts.stderr as NodeJS.WriteStream | undefined) }) };
  } else if (opts.renderer === 'default') {
    rendererOptions = { collapseSubtasks: false, collapseSkips: false, suffixSkips: false, showErrorMessage: true, formatOutput: 'wrap' };
  }
  const list = new Listr(tasks as never, {
    concurrent: false,
    // One pipeline's failure does not stop the others; its own steps stop at the first failure and roll back.
    exitOnError: false,
    exitAfterRollback: false,
    // opta handles SIGINT itself (listr2's handler would call process.exit(127) mid-step).
    registerSignalListeners: false,
    renderer: renderer as never,
    rendererOptions: rendererOptions as never,
    fallbackRenderer: PlainRenderer as never,
    fallbackRendererOptions: rendererOptions as never,
  });
  await list.run();
  for (const p of records) {
    if (p.status !== 'done') continue;
    const bad = p.steps.find((s) => s.status === 'failed' || s.status === 'interrupted');
    if (bad) {
      p.status = bad.status === 'interrupted' ? 'interrupted' : 'failed';
      p.error = `${bad.title}: ${bad.message ?? 'interrupted'}`;
    }
  }
  for (const p of records) for (const s of p.steps) if (s.status === 'planned') s.status = opts.signal?.aborted ? 'interrupted' : 'not-run';
}
