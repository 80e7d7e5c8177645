// Stage 2 of a doctor run, evaluate: json-rules-engine over the collected facts, raced against the deadline; the rules
// that fired (with the evidence of their conditions) and those that did not (with the facts they consulted).
import { raceDeadline, type Collection } from './collect.js';
import type { Evidence } from './report-types.js';
import type { LoadedRule } from './rule-types.js';
import { resolvePath } from '../rules/language/operators.js';

/** Rules without a priority run first; rules about the run itself (priority 1) run last. */
const DEFAULT_RULE_PRIORITY = 10;

export interface FiredRule {
  rule: LoadedRule;
  evidence: Evidence[];
}

export interface Evaluation {
  deadlineReached: boolean;
  fired: FiredRule[];
  /** Rules that did not fire, by name: the facts they consulted (none listed after a deadline: the engine did not finish). */
  notFired: Map<string, Set<string>>;
  /** Rule name -> json-rules-engine's condition tree with each leaf's factResult and result (`opta doctor --explain`). */
  trees: Map<string, unknown>;
}

/** The leaf conditions json-rules-engine evaluated, with what the fact held (its results carry `factResult`). */
export function evidenceOf(cond: unknown, out: Evidence[] = []): Evidence[] {
  const c = cond as Record<string, unknown>;
  if (typeof c.fact === 'string') {
    if ('factResult' in c) {
      out.push({ fact: c.fact, path: typeof c.path === 'string' ? c.path : null, operator: String(c.operator), value: c.value, factResult: c.factResult ?? null, result: c.result === true });
    }
    return out;
  }
  for (const k of ['all', 'any'] as const) if (Array.isArray(c[k])) (c[k] as unknown[]).forEach((x) => evidenceOf(x, out));
  if (c.not) evidenceOf(c.not, out);
  return out;
}

/** The facts whose conditions json-rules-engine evaluated (a condition it short-circuited has no `result`). */
export function consultedFacts(cond: unknown, out = new Set<string>()): Set<string> {
  const c = cond as Record<string, unknown>;
  if (typeof c.fact === 'string') {
    if ('result' in c) out.add(c.fact);
    return out;
  }
  for (const k of ['all', 'any'] as const) if (Array.isArray(c[k])) (c[k] as unknown[]).forEach((x) => consultedFacts(x, out));
  if (c.not) consultedFacts(c.not, out);
  return out;
}

export async function evaluate(c: Collection): Promise<Evaluation> {
  const { store, collectors, selected } = c;
  // Loaded here, while the probes are out: in the bundle, json-rules-engine's own bundle and code cache.
  const { Engine } = await import('json-rules-engine');
  const engine = new Engine([], { allowUndefinedFacts: true, pathResolver: resolvePath });
  // json-rules-engine calls a fact only when a condition needs it, and caches it: collection is lazy by construction.
  for (const [id, col] of collectors) engine.addFact(id, () => store.get(id), { cache: true, priority: col.priority ?? 10 });
  for (const r of selected) {
    // Its cases (`tests`, for opta rules test) are no part of the rule json-rules-engine runs.
    const { $schema: _schema, tests: _tests, ...rule } = r.rule;
    engine.addRule({ ...rule, priority: rule.priority ?? DEFAULT_RULE_PRIORITY } as never);
  }

  const outcome = await raceDeadline(engine.run(), c.deadlineAt);
  const fired: FiredRule[] = [];
  const notFired = new Map<string, Set<string>>();
  if (outcome === 'deadline') {
    // Collectors overran the run's deadline (each is capped by it, so only a blocking call can do this): report
    // what is known, with the unfinished facts as timed out.
    store.expire();
    const timeoutRule = selected.find((r) => r.rule.event.params.id === 'check-timed-out');
    if (timeoutRule) fired.push({ rule: timeoutRule, evidence: [] });
    return { deadlineReached: true, fired, notFired, trees: new Map() };
  }
  const byName = new Map(selected.map((r) => [r.rule.name, r]));
  for (const res of outcome.results) {
    const rule = byName.get(res.name as string);
    if (rule) fired.push({ rule, evidence: evidenceOf((res as unknown as { conditions: unknown }).conditions) });
  }
  for (const res of outcome.failureResults) notFired.set(res.name as string, consultedFacts((res as unknown as { conditions: unknown }).conditions));
  const trees = new Map([...outcome.results, ...outcome.failureResults].map((res) => [res.name as string, (res as unknown as { conditions: unknown }).conditions]));
  return { deadlineReached: false, fired, notFired, trees };
}
