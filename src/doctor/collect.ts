// Stage 1 of a doctor run, collect: the fact store, the selected rules (loaded while early probes are out), the facts
// started ahead of the engine, the run's deadline, and the fact values the report reads once the rules have run.
import { LOG_ANALYSIS_FACT } from '../facts/daemon-log-analysis.js';
import { factFailures } from '../facts/fact-failures.js';
import type { FactCollector, FactValue } from '../facts/fact.js';
import { COLLECTORS } from '../facts/registry.js';
import { earlyFacts, loadRules, DEFAULT_RULES_DIR, type LoadResult } from './load-rules.js';
import { FactStore } from './fact-store.js';
import { loadSuppressions } from './suppressions.js';
import { DEFAULT_DEADLINE_MS, type DoctorOptions } from './options.js';
import type { DoctorReport } from './report-types.js';
import type { LoadedRule } from './rule-types.js';
import { requireRules, selectRules } from './select.js';

export interface Collection {
  started: number;
  deadlineMs: number;
  deadlineAt: number;
  store: FactStore;
  /** Every collector by fact id, fact-failures included (replaced by failing ones in an offline replay). */
  collectors: Map<string, FactCollector>;
  loaded: LoadResult;
  suppressions: ReturnType<typeof loadSuppressions>;
  selected: LoadedRule[];
  /** Fact id -> the checks of the selected rules that name it (conditions or placeholders). */
  factChecks: Map<string, Set<string>>;
}

/** What the report reads besides the rules' results: fact values for placeholders, and the log evidence per check. */
export interface Gathered {
  values: Record<string, FactValue>;
  logEvidence: Record<string, string[]>;
  patternProblems: DoctorReport['ruleProblems'];
}

// A socket's request is written only when the event loop sees it connected: one turn of the loop after starting
// probes sends them before the next piece of work, instead of after it.
const sendNow = () => new Promise((resolve) => setImmediate(resolve));

export async function collect(opts: DoctorOptions): Promise<Collection> {
  const started = Date.now();
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const deadlineAt = opts.deadlineAt ?? started + deadlineMs;
  const rulesDir = opts.rulesDir ?? DEFAULT_RULES_DIR;
  const offline = opts.offline;
  const missing = (c: FactCollector): FactCollector => ({ ...c, collect: () => ({ ok: false, error: offline!.missing, timedOut: false }) });
  const collectors = new Map<string, FactCollector>(COLLECTORS.map((c) => [c.id, offline ? missing(c) : c]));
  const store = new FactStore({ collectors, paths: opts.paths, env: opts.env ?? process.env, deadlineAt, startedAt: started, factTimeoutMs: opts.factTimeoutMs, overrides: opts.overrides, thorough: opts.thorough });
  const factChecks = new Map<string, Set<string>>();
  const checksOf = (fact: string) => [...(factChecks.get(fact) ?? [])].filter((c) => c !== 'doctor');
  const failureRecords = () => store.records().filter((r) => !(offline && !r.overridden && r.error === offline.missing));
  collectors.set('fact-failures', factFailures({ records: failureRecords, checksOf }));

  // A plain run of the built-in rules starts the facts they need (the build recorded which) before reading them, so
  // the daemon and LMX answer while the rule files load; the rules loaded then decide what the report keeps.
  const plain = opts.rulesDir === undefined && !offline && !opts.overrides && !opts.only?.length && !opts.skip?.length;
  const early = plain ? earlyFacts() : [];
  for (const id of early) void store.get(id);
  if (early.length) await sendNow();

  let selected: LoadedRule[];
  let loaded: LoadResult;
  let suppressions: Collection['suppressions'];
  try {
    const env = opts.env ?? process.env;
    const packs = { home: opts.paths.home, cwd: process.cwd(), userHome: env.HOME, rulesDir: opts.rulesDir };
    loaded = await loadRules(packs);
    suppressions = loadSuppressions(packs);
    requireRules(rulesDir, loaded);
    selected = selectRules(loaded.rules, opts.only, opts.skip);
  } catch (err) {
    store.expire();
    throw err;
  }
  for (const r of selected) {
    for (const f of [...r.facts, ...r.templateFacts]) {
      if (!factChecks.has(f)) factChecks.set(f, new Set());
      factChecks.get(f)!.add(r.rule.event.params.check);
    }
  }
  // An edited rule file may need less than the build recorded: what it does not need leaves no trace.
  if (early.length) store.keepOnly(factChecks.keys());

  // Start the facts every selected rule's cheap conditions need now, so their sockets are in flight while
  // json-rules-engine loads. Expensive facts (priority < 10, e.g. find-process) stay on demand.
  for (const id of factChecks.keys()) {
    if ((collectors.get(id)?.priority ?? 10) >= 10 && id !== 'fact-failures') void store.get(id);
  }
  await sendNow();
  return { started, deadlineMs, deadlineAt, store, collectors, loaded, suppressions, selected, factChecks };
}

/** `work`, or 'deadline' once the run's deadline has passed (with a margin: each collector is capped by it already). */
export async function raceDeadline<T>(work: Promise<T>, deadlineAt: number): Promise<T | 'deadline'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), Math.max(0, deadlineAt - Date.now()) + 100);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * After the rules ran: the values of the facts collected, of the fired rules' placeholders and of `collectFacts`, and
 * the log evidence. After a deadline, nothing new is started.
 */
export async function gather(c: Collection, fired: LoadedRule[], deadlineReached: boolean, collectFacts: string[] = []): Promise<Gathered> {
  const { store } = c;
  // Placeholders may name facts no condition needed.
  const values: Record<string, FactValue> = {};
  const extra = collectFacts.filter((id) => store.has(id) || id === 'fact-failures');
  const wanted = new Set([...store.records().map((r) => r.id), ...fired.flatMap((r) => r.templateFacts), ...extra]);
  if (deadlineReached) for (const id of [...wanted]) if (id !== 'fact-failures' && !store.records().some((r) => r.id === id)) wanted.delete(id);
  await Promise.all([...wanted].map(async (id) => (values[id] = await store.get(id))));

  // Log evidence (rules/logs patterns tied to a check, in the current daemon run) never decides a check: it is shown
  // under a check that fails, and kept in the report (--verbose, --json) for one that passes. Bounded and cheap, so it
  // is read even when no selected rule needs it; not after the deadline.
  let logEvidence: Record<string, string[]> = {};
  let patternProblems: DoctorReport['ruleProblems'] = [];
  if (!deadlineReached && store.has(LOG_ANALYSIS_FACT)) {
    const v = await store.get(LOG_ANALYSIS_FACT);
    if (v.ok !== false) {
      logEvidence = (v.evidence as Record<string, string[]> | undefined) ?? {};
      patternProblems = (v.problems as DoctorReport['ruleProblems'] | undefined) ?? [];
    }
  }
  return { values, logEvidence, patternProblems };
}

/** For a support bundle: the facts no selected rule needed, collected after the report (which they must not change). */
export async function collectRest(c: Collection, values: Record<string, FactValue>): Promise<void> {
  const rest = [...c.collectors.keys()].filter((id) => !(id in values));
  await Promise.all(rest.map(async (id) => (values[id] = await c.store.get(id))));
}
