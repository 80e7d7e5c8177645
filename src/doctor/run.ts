// Runs the doctor: selected rules -> json-rules-engine over lazily collected facts -> findings and check lines, under a deadline.
import { displayPath, type OptaPaths } from '../core/paths.js';
import { UsageError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { LOG_ANALYSIS_FACT } from '../facts/daemon-log-analysis.js';
import { factFailures } from '../facts/fact-failures.js';
import type { FactCollector, FactValue } from '../facts/fact.js';
import { COLLECTORS } from '../facts/registry.js';
import { checkDef, checkOrder } from '../rules/checks.js';
import { FactStore } from './fact-store.js';
import { earlyFacts, loadRules, DEFAULT_RULES_DIR, type LoadResult } from './load-rules.js';
import { REPORT_SCHEMA_VERSION, type CheckResult, type DoctorReport, type Evidence, type Finding, type RuleRun } from './report-types.js';
import { fillTemplate, resolvePath, type LoadedRule } from './rule-types.js';
import { byCodeUnit } from '../core/order.js';

export const DEFAULT_DEADLINE_MS = 5000;
/** Rules without a priority run first; rules about the run itself (priority 1) run last. */
const DEFAULT_RULE_PRIORITY = 10;

export interface DoctorOptions {
  paths: OptaPaths;
  env?: NodeJS.ProcessEnv;
  rulesDir?: string;
  only?: string[];
  skip?: string[];
  strict?: boolean;
  deadlineMs?: number;
  /** When the run must be over (epoch ms), if not deadlineMs after it starts (the CLI counts --timeout from the process's start). */
  deadlineAt?: number;
  factTimeoutMs?: number;
  /** Fact values that replace collectors (fixture scenarios, support bundles). */
  overrides?: Record<string, FactValue>;
  /**
   * Replay: facts come only from `overrides`; a fact not among them is not collected on this machine but fails with
   * `missing` as its error (its checks say "not checked"), and is not counted by fact-failures.
   */
  offline?: { missing: string };
  /** Also collect the facts no selected rule needed (within the deadline), so a support bundle holds them all. */
  collectAll?: boolean;
  /** Facts to collect even when no selected rule needs them (the guards of fix pipelines); not after a deadline. */
  collectFacts?: string[];
}

/** A report and the values of every fact the run collected (what `opta support analyze` replays, fix guards read). */
export interface DoctorCapture {
  report: DoctorReport;
  facts: Record<string, FactValue>;
}

function matches(rule: LoadedRule, tokens: string[]): boolean {
  const p = rule.rule.event.params;
  return tokens.includes(p.id) || tokens.includes(p.check);
}

export function selectRules(rules: LoadedRule[], only: string[] = [], skip: string[] = []): LoadedRule[] {
  const known = new Set(rules.flatMap((r) => [r.rule.event.params.id, r.rule.event.params.check]));
  const unknown = [...only, ...skip].filter((t) => !known.has(t));
  if (unknown.length) {
    throw new UsageError(`unknown rule id or check "${unknown.join('", "')}" in --only/--skip. Rule ids and checks: opta rules list`);
  }
  return rules.filter((r) => {
    if (matches(r, skip)) return false;
    // Rules about the run itself (timeouts) stay on with --only: a check that ran out of time must be reported.
    if (only.length && !matches(r, only) && r.rule.event.params.check !== 'doctor') return false;
    return true;
  });
}

function evidenceOf(cond: unknown, out: Evidence[] = []): Evidence[] {
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
function consultedFacts(cond: unknown, out = new Set<string>()): Set<string> {
  const c = cond as Record<string, unknown>;
  if (typeof c.fact === 'string') {
    if ('result' in c) out.add(c.fact);
    return out;
  }
  for (const k of ['all', 'any'] as const) if (Array.isArray(c[k])) (c[k] as unknown[]).forEach((x) => consultedFacts(x, out));
  if (c.not) consultedFacts(c.not, out);
  return out;
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  return (await runDoctorCapture(opts)).report;
}

export async function runDoctorCapture(opts: DoctorOptions): Promise<DoctorCapture> {
  const started = Date.now();
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const deadlineAt = opts.deadlineAt ?? started + deadlineMs;
  const rulesDir = opts.rulesDir ?? DEFAULT_RULES_DIR;
  const offline = opts.offline;
  const missing = (c: FactCollector): FactCollector => ({ ...c, collect: () => ({ ok: false, error: offline!.missing, timedOut: false }) });
  const collectors = new Map<string, FactCollector>(COLLECTORS.map((c) => [c.id, offline ? missing(c) : c]));
  const store = new FactStore({ collectors, paths: opts.paths, env: opts.env ?? process.env, deadlineAt, startedAt: started, factTimeoutMs: opts.factTimeoutMs, overrides: opts.overrides });
  const factChecks = new Map<string, Set<string>>();
  const checksOf = (fact: string) => [...(factChecks.get(fact) ?? [])].filter((c) => c !== 'doctor');
  const failureRecords = () => store.records().filter((r) => !(offline && !r.overridden && r.error === offline.missing));
  collectors.set('fact-failures', factFailures({ records: failureRecords, checksOf }));
  // A socket's request is written only when the event loop sees it connected: one turn of the loop after starting
  // probes sends them before the next piece of work, instead of after it.
  const sendNow = () => new Promise((resolve) => setImmediate(resolve));

  // A plain run of the built-in rules starts the facts they need (the build recorded which) before reading them, so
  // the daemon and LMX answer while the rule files load; the rules loaded then decide what the report keeps.
  const plain = opts.rulesDir === undefined && !offline && !opts.overrides && !opts.only?.length && !opts.skip?.length;
  const early = plain ? earlyFacts() : [];
  for (const id of early) void store.get(id);
  if (early.length) await sendNow();

  let selected: LoadedRule[];
  let loaded: LoadResult;
  try {
    loaded = await loadRules(rulesDir);
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
  // Loaded here, while the probes are out: in the bundle, json-rules-engine's own bundle and code cache.
  const { Engine } = await import('json-rules-engine');
  const engine = new Engine([], { allowUndefinedFacts: true, pathResolver: resolvePath });
  // json-rules-engine calls a fact only when a condition needs it, and caches it: collection is lazy by construction.
  for (const [id, c] of collectors) engine.addFact(id, () => store.get(id), { cache: true, priority: c.priority ?? 10 });
  for (const r of selected) {
    const { $schema: _schema, ...rule } = r.rule;
    engine.addRule({ ...rule, priority: rule.priority ?? DEFAULT_RULE_PRIORITY } as never);
  }

  let deadlineReached = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), Math.max(0, deadlineAt - Date.now()) + 100);
  });
  const outcome = await Promise.race([engine.run(), deadline]);
  clearTimeout(timer);

  type Fired = { rule: LoadedRule; evidence: Evidence[] };
  const fired: Fired[] = [];
  const byName = new Map(selected.map((r) => [r.rule.name, r]));
  /** Rules that did not fire, by name: the facts they consulted (unknown after a deadline: the engine did not finish). */
  const notFired = new Map<string, Set<string>>();
  if (outcome === 'deadline') {
    // Collectors overran the run's deadline (each is capped by it, so only a blocking call can do this): report
    // what is known, with the unfinished facts as timed out.
    deadlineReached = true;
    store.expire();
    const timeoutRule = selected.find((r) => r.rule.event.params.id === 'check-timed-out');
    if (timeoutRule) fired.push({ rule: timeoutRule, evidence: [] });
  } else {
    for (const res of outcome.results) {
      const rule = byName.get(res.name as string);
      if (rule) fired.push({ rule, evidence: evidenceOf((res as unknown as { conditions: unknown }).conditions) });
    }
    for (const res of outcome.failureResults) notFired.set(res.name as string, consultedFacts((res as unknown as { conditions: unknown }).conditions));
  }

  // Placeholders may name facts no condition needed; after a deadline, nothing new is started.
  const factValues: Record<string, FactValue> = {};
  const extra = (opts.collectFacts ?? []).filter((id) => store.has(id) || id === 'fact-failures');
  const wanted = new Set([...store.records().map((r) => r.id), ...fired.flatMap((f) => f.rule.templateFacts), ...extra]);
  if (outcome === 'deadline') for (const id of [...wanted]) if (id !== 'fact-failures' && !store.records().some((r) => r.id === id)) wanted.delete(id);
  await Promise.all([...wanted].map(async (id) => (factValues[id] = await store.get(id))));

  const findings: Finding[] = fired
    .map(({ rule, evidence }) => {
      const p = rule.rule.event.params;
      return {
        id: p.id,
        check: p.check,
        severity: p.severity,
        message: fillTemplate(p.message, factValues),
        why: p.why,
        remediation: fillTemplate(p.remediation, factValues),
        guide: p.guide,
        fix: p.fix,
        fixable: p.fix !== null,
        evidence,
        ruleFile: rule.file,
      };
    })
    .sort((a, b) => checkOrder(a.check) - checkOrder(b.check) || sevRank(a.severity) - sevRank(b.severity) || byCodeUnit(a.id, b.id));

  // Log evidence (rules/logs patterns tied to a check, in the current daemon run) never decides a check: it is shown
  // under a check that fails, and kept in the report (--verbose, --json) for one that passes. Bounded and cheap, so it
  // is read even when no selected rule needs it; not after the deadline.
  let logEvidence: Record<string, string[]> = {};
  let patternProblems: DoctorReport['ruleProblems'] = [];
  if (outcome !== 'deadline' && store.has(LOG_ANALYSIS_FACT)) {
    const v = await store.get(LOG_ANALYSIS_FACT);
    if (v.ok !== false) {
      logEvidence = (v.evidence as Record<string, string[]> | undefined) ?? {};
      patternProblems = (v.problems as DoctorReport['ruleProblems'] | undefined) ?? [];
    }
  }

  const records = store.records();
  const checkIds = [...new Set(selected.map((r) => r.rule.event.params.check))].sort((a, b) => checkOrder(a) - checkOrder(b));
  const checks: CheckResult[] = [];
  for (const id of checkIds) {
    const def = checkDef(id);
    const own = findings.filter((f) => f.check === id);
    const facts = [...factChecks.entries()].filter(([, cs]) => cs.has(id)).map(([f]) => f).filter((f) => records.some((r) => r.id === f));
    const used = records.filter((r) => facts.includes(r.id));
    const ms = used.reduce((m, r) => Math.max(m, r.startMs + Math.max(0, r.ms)), 0);
    const log = logEvidence[id] ?? [];
    const base = { id, label: def.label, core: def.core, facts, ms, findings: own.map((f) => f.id), log };
    if (own.length) {
      const worst = own.reduce((w, f) => (sevRank(f.severity) < sevRank(w) ? f.severity : w), 'info' as Finding['severity']);
      checks.push({ ...base, status: worst, summary: own[0].message });
      continue;
    }
    const bad = used.filter((r) => !r.ok && id !== 'doctor');
    if (bad.length) {
      const r = bad[0];
      checks.push({ ...base, status: 'not-checked', summary: `not checked: ${r.timedOut ? `${r.id} gave no answer within ${r.timeoutMs} ms` : `${r.id} failed (${r.error})`}` });
      continue;
    }
    if (def.dependsOn && checks.some((c) => c.id === def.dependsOn && (c.status === 'error' || c.status === 'not-checked'))) {
      checks.push({ ...base, status: 'skipped', summary: `not checked: ${checkDef(def.dependsOn).label} ${checks.find((c) => c.id === def.dependsOn)!.status === 'error' ? 'has a problem' : 'was not checked'}` });
      continue;
    }
    checks.push({ ...base, status: 'ok', summary: fillTemplate(def.ok, factValues) });
  }

  // A rule that did not fire is a pass only if every fact it consulted answered; otherwise its result is unknown.
  const recordOf = new Map(records.map((r) => [r.id, r]));
  const firedIds = new Set(findings.map((f) => f.id));
  const ran: RuleRun[] = selected
    .map((r): RuleRun => {
      const p = r.rule.event.params;
      const base = { id: p.id, check: p.check, severity: p.severity };
      if (firedIds.has(p.id)) return { ...base, outcome: 'fired', reason: null };
      const consulted = notFired.get(r.rule.name);
      if (!consulted) return { ...base, outcome: 'unknown', reason: "not evaluated before the run's deadline" };
      const bad = [...consulted].map((f) => recordOf.get(f)).find((rec) => rec && !rec.ok);
      if (bad) return { ...base, outcome: 'unknown', reason: bad.timedOut ? `${bad.id} gave no answer within ${bad.timeoutMs} ms` : `${bad.id} failed (${bad.error})` };
      return { ...base, outcome: 'passed', reason: null };
    })
    .sort((a, b) => checkOrder(a.check) - checkOrder(b.check) || byCodeUnit(a.id, b.id));

  const counts = {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warn').length,
    infos: findings.filter((f) => f.severity === 'info').length,
  };
  const strict = Boolean(opts.strict);
  const ruleProblems = [...loaded.problems, ...patternProblems];
  const exitCode: 0 | 1 | 2 = ruleProblems.length ? 2 : counts.errors || (strict && counts.warnings) ? 1 : 0;
  const report: DoctorReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'opta', version: VERSION },
    home: displayPath(opts.paths.home, opts.env ?? process.env),
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    deadlineMs,
    deadlineReached,
    strict,
    status: counts.errors ? 'errors' : counts.warnings ? 'warnings' : 'healthy',
    exitCode,
    counts,
    fixable: findings.filter((f) => f.fixable).map((f) => f.id),
    checks,
    findings,
    facts: records,
    rules: { loaded: loaded.rules.length, selected: selected.length, validatedNow: loaded.validatedNow, ran },
    ruleProblems,
  };
  if (opts.collectAll && outcome !== 'deadline') {
    // After the report, so it says exactly what `opta doctor` would; fact-failures is already cached.
    const extra = [...collectors.keys()].filter((id) => !(id in factValues));
    await Promise.all(extra.map(async (id) => (factValues[id] = await store.get(id))));
  }
  return { report, facts: factValues as Record<string, FactValue> };
}

/** A run with no rules checks nothing and must not say "All checks passed.": no rules is a usage error. */
function requireRules(dir: string, loaded: LoadResult): void {
  if (loaded.rules.length) return;
  const unreadable = loaded.problems.find((p) => p.file === dir && p.jsonPath === '$');
  const next = 'Give --rules a directory of doctor rule files (see opta rules list for the built-in ones).';
  if (unreadable) throw new UsageError(`${unreadable.message.replace('cannot read the rules directory', `cannot read the rules directory ${dir}`)}. ${next}`);
  if (loaded.problems.length) {
    throw new UsageError(`no usable rule file in ${dir}: ${loaded.problems.length} problem(s), the first in ${loaded.problems[0].file} at ${loaded.problems[0].jsonPath}: ${loaded.problems[0].message}. Check them with: opta rules validate ${dir}`);
  }
  throw new UsageError(`no rule files (*.json) in ${dir}, so there is nothing to check. ${next}`);
}

function sevRank(s: string): number {
  return s === 'error' ? 0 : s === 'warn' ? 1 : 2;
}
