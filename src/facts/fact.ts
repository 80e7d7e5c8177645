// The contract of a fact collector: an id, a timeout, and a read-only collect() that returns plain JSON.
import type { OptaPaths } from '../core/paths.js';

export type FactValue = Record<string, unknown>;

export interface FactContext {
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  /** This collector's budget in ms (its own timeout, capped by the run's deadline), and when it ends (epoch ms). */
  timeoutMs: number;
  endsAt?: number;
  /** Aborted when the budget is spent: stop work and let go of sockets. */
  signal: AbortSignal;
  /** A person asked about this part (--verbose, --only): take the extra samples a healthy-looking path would not get. */
  thorough?: boolean;
  /** Another fact's value (collected once per run and shared). */
  fact(id: string): Promise<FactValue>;
}

/** `I` is the collector's fact id (registry.ts checks each against the catalog); tests may use any string. */
export interface FactCollector<I extends string = string> {
  id: I;
  /** One line for `opta doctor --verbose` and the docs. */
  description: string;
  /**
   * json-rules-engine fact priority (default 10): within a rule, conditions on higher-priority facts run first
   * and a failing one stops the rule before lower-priority (expensive) facts are collected.
   */
  priority?: number;
  /** Default 2000 ms. */
  timeoutMs?: number;
  /** Observes only: never binds a port, writes a file, or starts/stops a process. */
  collect(ctx: FactContext): Promise<FactValue> | FactValue;
}

/** What a fact is when its collector failed or ran out of time: a result, never an exception. */
export interface FactFailure {
  ok: false;
  error: string;
  timedOut: boolean;
}

export function isFailure(v: unknown): v is FactFailure {
  return typeof v === 'object' && v !== null && (v as FactFailure).ok === false && typeof (v as FactFailure).error === 'string';
}

/**
 * The time a collector gives its own network calls: what is left of its budget minus a margin (15%, at most 250 ms),
 * so its own precise timeout ("no answer within 1750 ms") fires before the fact store's blunt one, even when the
 * collector first waited for another fact (on a loaded machine that wait can eat much of a short budget).
 */
export function innerTimeout(ctx: Pick<FactContext, 'timeoutMs' | 'endsAt'>, cap = Infinity): number {
  // The same figure for the same budget (reports are compared run to run), unless waiting ate into the margin.
  const planned = Math.min(ctx.timeoutMs, cap) - Math.min(250, Math.ceil(ctx.timeoutMs * 0.15));
  const left = ctx.endsAt === undefined ? Infinity : ctx.endsAt - Date.now() - 20;
  // Whole milliseconds: the figure is printed ("no answer within 632 ms"), and a deadline may be fractional.
  return Math.max(20, Math.round(Math.min(planned, left)));
}
