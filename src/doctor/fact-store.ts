// Collects facts once per run, each under its own timeout capped by the run's deadline, and records timings.
import type { OptaPaths } from '../core/paths.js';
import type { FactCollector, FactValue } from '../facts/fact.js';
import type { FactRecord } from './report-types.js';

export const DEFAULT_FACT_TIMEOUT_MS = 2000;

export interface FactStoreOptions {
  collectors: Map<string, FactCollector>;
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  deadlineAt: number;
  startedAt: number;
  factTimeoutMs?: number;
  /** Fact values that replace collectors (fixture scenarios, replays). */
  overrides?: Record<string, FactValue>;
  /** Passed to collectors as FactContext.thorough. */
  thorough?: boolean;
}

export class FactStore {
  private values = new Map<string, Promise<FactValue>>();
  private recs = new Map<string, FactRecord>();
  private controllers = new Set<AbortController>();

  constructor(private readonly opts: FactStoreOptions) {}

  has(id: string): boolean {
    return this.opts.collectors.has(id) || Boolean(this.opts.overrides && id in this.opts.overrides);
  }

  get(id: string): Promise<FactValue> {
    let p = this.values.get(id);
    if (!p) {
      p = this.collect(id);
      this.values.set(id, p);
    }
    return p;
  }

  records(): FactRecord[] {
    return [...this.recs.values()];
  }

  /**
   * Forgets facts started on a guess that turned out unneeded (see collect.ts: early facts), with those only they used:
   * they leave no record in the report, and a later get() collects them again.
   */
  keepOnly(needed: Iterable<string>): void {
    const keep = new Set<string>();
    const visit = (id: string) => {
      if (keep.has(id)) return;
      keep.add(id);
      for (const dep of this.recs.get(id)?.uses ?? []) visit(dep);
    };
    for (const id of needed) visit(id);
    for (const id of [...this.recs.keys()]) {
      if (keep.has(id)) continue;
      this.recs.delete(id);
      this.values.delete(id);
    }
  }

  /** Facts still being collected (used when the run's deadline passes). */
  pending(): string[] {
    return [...this.recs.values()].filter((r) => r.ms < 0).map((r) => r.id);
  }

  /**
   * The run's deadline passed: stop every collector still running (their sockets close, nothing keeps the process
   * alive) and record each as timed out, so the report says which checks ran out of time.
   */
  expire(): void {
    for (const c of this.controllers) c.abort();
    const now = Date.now();
    for (const r of this.recs.values()) {
      if (r.ms >= 0) continue;
      r.ms = now - this.opts.startedAt - r.startMs;
      r.ok = false;
      r.timedOut = true;
      r.error = "the run's deadline passed";
      this.values.set(r.id, Promise.resolve({ ok: false, error: r.error, timedOut: true }));
    }
  }

  private async collect(id: string): Promise<FactValue> {
    const now = Date.now();
    const rec: FactRecord = { id, ok: true, timedOut: false, startMs: now - this.opts.startedAt, ms: -1, timeoutMs: 0, overridden: false, uses: [] };
    this.recs.set(id, rec);
    const finish = (v: FactValue): FactValue => {
      rec.ms = Date.now() - now;
      if (v.ok === false) {
        rec.ok = false;
        rec.timedOut = v.timedOut === true;
        rec.error = typeof v.error === 'string' ? v.error : undefined;
      }
      return v;
    };
    if (this.opts.overrides && id in this.opts.overrides) {
      rec.overridden = true;
      rec.timeoutMs = this.opts.factTimeoutMs ?? DEFAULT_FACT_TIMEOUT_MS;
      return finish({ ok: true, ...this.opts.overrides[id] });
    }
    const collector = this.opts.collectors.get(id);
    if (!collector) return finish({ ok: false, error: `no collector for fact "${id}"`, timedOut: false });
    // Whole milliseconds (floored: never past the deadline): the budget is printed ("no answer within 637 ms"), and a
    // deadline measured with performance.now() would print 637.39404296875.
    const budget = Math.max(1, Math.floor(Math.min(this.opts.factTimeoutMs ?? collector.timeoutMs ?? DEFAULT_FACT_TIMEOUT_MS, this.opts.deadlineAt - now)));
    rec.timeoutMs = budget;
    // Made when a collector first asks for its signal: most never do, and the first AbortController loads its module.
    let controller: AbortController | undefined;
    const signal = () => {
      if (!controller) {
        controller = new AbortController();
        this.controllers.add(controller);
      }
      return controller.signal;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<FactValue>((resolve) => {
      timer = setTimeout(() => {
        controller?.abort();
        resolve({ ok: false, error: `no answer within ${budget} ms`, timedOut: true });
      }, budget);
    });
    const work = (async (): Promise<FactValue> => {
      try {
        const v = await collector.collect({
          paths: this.opts.paths,
          env: this.opts.env,
          thorough: this.opts.thorough,
          timeoutMs: budget,
          endsAt: now + budget,
          get signal() {
            return signal();
          },
          fact: (dep) => {
            if (!rec.uses.includes(dep)) rec.uses.push(dep);
            return this.get(dep);
          },
        });
        return { ok: true, ...v };
      } catch (err) {
        // A collector that throws is a bug in opta, reported as this fact's failure instead of sinking the run.
        return { ok: false, error: `collector "${id}" failed: ${err instanceof Error ? err.message : String(err)}`, timedOut: false };
      }
    })();
    try {
      return finish(await Promise.race([work, timeout]));
    } finally {
      clearTimeout(timer);
      if (controller) this.controllers.delete(controller);
    }
  }
}
