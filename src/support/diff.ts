// `opta support diff A B`: what changed between two bundles (findings that appeared and went away, facts that changed, log patterns whose counts moved).
import type { FactValue } from '../facts/fact.js';
import type { ReadBundle } from './bundle-read.js';
import { visible } from '../rules/language/escape.js';
import { byCodeUnit } from '../core/order.js';

/** Bounds on what one bundle's facts may spread into (bundles are untrusted: bundle-read bounds them again below). */
const MAX_DEPTH = 6;
const MAX_LEAVES = 5000;
const MAX_VALUE_CHARS = 300;
/**
 * Values that differ between any two runs of a healthy machine (times, pids, sizes, durations, free space): not a
 * change worth naming. Latency is the one duration compared, and only when it moved far (see latencyMoved).
 */
const VOLATILE = /(?:^|\.)(?:[a-z]*(?:At|Time|Ms|Bytes|KiB|MiB|GiB|Percent|Count|Lines|Age|AgeS|Mtime)|pid|pids|ms|at|time|bytes|size|mtime|age|lines|count|elapsed|took|durationMs|freeBytes|totalBytes|daemonId|token|startedAt|stoppedAt|generatedAt|error)$/;
const LATENCY = /latency/i;

export interface FactChange {
  fact: string;
  path: string;
  a: string | null;
  b: string | null;
}

export interface BundleDiff {
  a: { file: string; madeBy: string | null; generatedAt: string | null };
  b: { file: string; madeBy: string | null; generatedAt: string | null };
  findings: { appeared: Array<{ id: string; message: string }>; wentAway: Array<{ id: string; message: string }> };
  facts: FactChange[];
  logPatterns: Array<{ id: string; a: number; b: number }>;
  /** What one side lacks (another opta version, a fact that failed), said once each. */
  notes: string[];
  same: boolean;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return visible(s.length > MAX_VALUE_CHARS ? s.slice(0, MAX_VALUE_CHARS) + '...' : s);
}

function flatten(v: unknown, prefix: string, out: Map<string, unknown>, depth = 0): void {
  if (out.size >= MAX_LEAVES) return;
  if (v !== null && typeof v === 'object' && depth < MAX_DEPTH) {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
    if (!entries.length) out.set(prefix, Array.isArray(v) ? '[]' : '{}');
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out, depth + 1);
    return;
  }
  out.set(prefix, v);
}

function latencyMoved(a: unknown, b: unknown): boolean {
  if (typeof a !== 'number' || typeof b !== 'number') return a !== b;
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return hi - lo >= 100 && hi >= 2 * Math.max(lo, 1);
}

function patternCounts(facts: Record<string, FactValue>): Map<string, number> | undefined {
  const p = (facts['daemon-log-analysis'] as { patterns?: Record<string, { count?: unknown }> } | undefined)?.patterns;
  if (!p || typeof p !== 'object') return undefined;
  const out = new Map<string, number>();
  for (const [id, v] of Object.entries(p).slice(0, 1000)) if (typeof v?.count === 'number') out.set(id, v.count);
  return out;
}

const isFailure = (v: unknown) => typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false;

export function diffBundles(fileA: string, a: ReadBundle, fileB: string, b: ReadBundle): BundleDiff {
  const notes: string[] = [];
  if (a.toolVersion !== b.toolVersion) notes.push(`made by different opta versions (${show(a.toolVersion ?? 'unknown')} and ${show(b.toolVersion ?? 'unknown')}): what one side lacks is named below, not counted as a change`);
  const fa = a.capture.report.findings;
  const fb = b.capture.report.findings;
  const idsA = new Set(fa.map((f) => f.id));
  const idsB = new Set(fb.map((f) => f.id));
  const pick = (fs: typeof fa, other: Set<string>) => fs.filter((f) => !other.has(f.id)).map((f) => ({ id: show(f.id), message: show(f.message) })).sort((x, y) => byCodeUnit(x.id, y.id));
  const facts: FactChange[] = [];
  const factIds = [...new Set([...Object.keys(a.capture.facts), ...Object.keys(b.capture.facts)])].filter((id) => id !== 'daemon-log-analysis' && id !== 'fact-failures').sort(byCodeUnit);
  for (const id of factIds) {
    const va = a.capture.facts[id];
    const vb = b.capture.facts[id];
    if (va === undefined || vb === undefined) {
      notes.push(`fact ${show(id)} is only in ${va === undefined ? 'B' : 'A'} (made by opta ${show((va === undefined ? b : a).toolVersion ?? 'unknown')})`);
      continue;
    }
    if (isFailure(va) !== isFailure(vb)) {
      facts.push({ fact: show(id), path: '', a: isFailure(va) ? 'not collected' : 'collected', b: isFailure(vb) ? 'not collected' : 'collected' });
      continue;
    }
    const la = new Map<string, unknown>();
    const lb = new Map<string, unknown>();
    flatten(va, '', la);
    flatten(vb, '', lb);
    for (const p of [...new Set([...la.keys(), ...lb.keys()])].sort(byCodeUnit)) {
      if (VOLATILE.test(p) && !LATENCY.test(p)) continue;
      const x = la.get(p);
      const y = lb.get(p);
      if (LATENCY.test(p) ? !latencyMoved(x, y) : JSON.stringify(x) === JSON.stringify(y)) continue;
      facts.push({ fact: show(id), path: show(p), a: la.has(p) ? show(x) : null, b: lb.has(p) ? show(y) : null });
    }
  }
  const pa = patternCounts(a.capture.facts);
  const pb = patternCounts(b.capture.facts);
  const logPatterns: BundleDiff['logPatterns'] = [];
  if (pa && pb) {
    for (const id of [...new Set([...pa.keys(), ...pb.keys()])].sort(byCodeUnit)) {
      const x = pa.get(id) ?? 0;
      const y = pb.get(id) ?? 0;
      if (x !== y) logPatterns.push({ id: show(id), a: x, b: y });
    }
  } else if (pa || pb) notes.push(`the log analysis is only in ${pa ? 'A' : 'B'}: log pattern counts not compared`);
  const appeared = pick(fb, idsA);
  const wentAway = pick(fa, idsB);
  return {
    a: { file: show(fileA), madeBy: a.toolVersion, generatedAt: a.generatedAt },
    b: { file: show(fileB), madeBy: b.toolVersion, generatedAt: b.generatedAt },
    findings: { appeared, wentAway },
    facts,
    logPatterns,
    notes,
    same: !appeared.length && !wentAway.length && !facts.length && !logPatterns.length,
  };
}

export function renderDiffText(d: BundleDiff): string {
  const lines = [`A: ${d.a.file} (opta ${show(d.a.madeBy ?? 'unknown')}, ${show(d.a.generatedAt ?? 'time unknown')})`, `B: ${d.b.file} (opta ${show(d.b.madeBy ?? 'unknown')}, ${show(d.b.generatedAt ?? 'time unknown')})`, ''];
  if (d.same) lines.push('No differences in findings, facts or log pattern counts.');
  if (d.findings.appeared.length) lines.push('Findings that appeared in B:', ...d.findings.appeared.map((f) => `  + ${f.id}: ${f.message}`), '');
  if (d.findings.wentAway.length) lines.push('Findings that went away in B:', ...d.findings.wentAway.map((f) => `  - ${f.id}: ${f.message}`), '');
  if (d.facts.length) lines.push('Facts that changed (A -> B):', ...d.facts.map((c) => `  ${c.fact}${c.path ? '.' + c.path : ''}: ${c.a ?? '(absent)'} -> ${c.b ?? '(absent)'}`), '');
  if (d.logPatterns.length) lines.push('Log patterns whose counts moved (A -> B):', ...d.logPatterns.map((p) => `  ${p.id}: ${p.a} -> ${p.b}`), '');
  if (d.notes.length) lines.push('Notes:', ...d.notes.map((n) => `  ${n}`), '');
  return lines.join('\n').trimEnd() + '\n';
}
