// The support bundle: runs each section (one entry of a list) under its own timeout and the bundle's deadline, redacts, and renders text or JSON.
import { VERSION } from '../core/version.js';
import type { OptaPaths } from '../core/paths.js';
import type { DaemonInspection } from '../daemon/lifecycle/inspect.js';
import type { DoctorCapture } from '../doctor/run.js';
import { loadShapes } from '../redact/load-shapes.js';
import { placeholderCounts, Redactor, RedactShapesError, type RedactionCounts } from '../redact/redactor.js';
import { DEFAULT_PROFILE, type RedactProfile } from '../redact/profile.js';
import type { PlaceholderStore } from '../redact/placeholder-map.js';
import { knownSecrets } from '../redact/known-secrets.js';
import type { z } from 'zod';
import type { SectionResultSchema, SupportBundleSchema } from './bundle-schema.js';

export const BUNDLE_FORMAT = 'opta-support-bundle';
/** Bumped when `opta support analyze` could no longer read an older bundle the same way. */
export const BUNDLE_FORMAT_VERSION = 1;
export const DEFAULT_BUNDLE_DEADLINE_MS = 15000;
export const BUNDLE_TITLE = '# Opta Support Bundle';
export const BUNDLE_END = '# End of Opta Support Bundle';
/** Time kept back from the deadline for redacting and writing the file. */
const WRITE_MARGIN_MS = 300;

/** What a section may use: the home, and probes shared by sections (each runs once, however many sections ask). */
export interface SectionContext {
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  deadlineAt: number;
  doctor(): Promise<DoctorCapture>;
  daemon(): Promise<DaemonInspection>;
}

export interface SectionOutput {
  /** What a person reads (the output of the command the section stands for). */
  text?: string;
  /** Structured data for the JSON bundle and `opta support analyze`. */
  data?: unknown;
}

/** One section of the bundle: a new section is one more entry in SECTIONS (bundle-sections.ts). */
export interface Section {
  id: string;
  /** The line after "## ": the command a person would run for the same text, or what the section holds. */
  title: string;
  /** Its own budget; the bundle's deadline caps it. */
  timeoutMs: number;
  collect(ctx: SectionContext): Promise<SectionOutput>;
  /** Text from the (redacted) data, when the text is a rendering of it. */
  render?(data: unknown): string;
}

/** What became of one section: its text (redacted), its data, or one line saying why it has none. */
export type SectionResult = z.infer<typeof SectionResultSchema>;
/** The whole bundle: what `opta support bundle --json` writes, and the text bundle's sections. */
export type Bundle = z.infer<typeof SupportBundleSchema>;

export interface BundleOptions {
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  sections: Section[];
  deadlineMs?: number;
  redact?: boolean;
  /** Which redaction rules run (profile.ts); standard by default. */
  profile?: RedactProfile;
  /** The user's placeholder map: the same value gets the placeholder it got in earlier bundles and redacted files. */
  store?: PlaceholderStore;
  now?: Date;
  /** Shared probes; the defaults run the doctor and inspect the daemon (read-only). */
  probes?: Partial<Pick<SectionContext, 'doctor' | 'daemon'>>;
  redactRulesDir?: string;
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0];
}

/** Runs one section; a failure or a timeout is a result of the section, never of the bundle. */
async function runSection(s: Section, ctx: SectionContext): Promise<{ result: SectionResult; out?: SectionOutput }> {
  const started = Date.now();
  // Whole milliseconds: the budget is printed ("no answer within 637 ms").
  const budget = Math.max(1, Math.floor(Math.min(s.timeoutMs, ctx.deadlineAt - WRITE_MARGIN_MS - started)));
  const base = { id: s.id, title: s.title, timeoutMs: budget };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), budget)));
  try {
    const out = await Promise.race([s.collect(ctx), timeout]);
    if (out === 'timeout') {
      const error = `ran out of time: no answer within ${budget} ms`;
      return { result: { ...base, status: 'timed-out', ms: Date.now() - started, text: `(${error})`, error } };
    }
    return { result: { ...base, status: 'ok', ms: Date.now() - started, text: out.text ?? '' }, out };
  } catch (err) {
    const error = oneLine(err);
    return { result: { ...base, status: 'failed', ms: Date.now() - started, text: `(not available: ${error})`, error } };
  } finally {
    clearTimeout(timer);
  }
}

export async function buildBundle(opts: BundleOptions): Promise<Bundle> {
  const started = Date.now();
  const now = opts.now ?? new Date(started);
  const deadlineMs = opts.deadlineMs ?? DEFAULT_BUNDLE_DEADLINE_MS;
  const deadlineAt = started + deadlineMs;
  const redact = opts.redact !== false;
  // Loaded first: a bundle is never written with a redaction shape missing.
  const shapes = redact ? await loadShapes(opts.redactRulesDir) : undefined;
  if (shapes?.problems.length) throw new RedactShapesError(shapes.problems);

  const ctx: SectionContext = {
    paths: opts.paths,
    env: opts.env,
    deadlineAt,
    doctor: once(
      opts.probes?.doctor ??
        (async () => {
          const { runDoctorCapture, DEFAULT_DEADLINE_MS } = await import('../doctor/run.js');
          const left = deadlineAt - WRITE_MARGIN_MS - 500 - Date.now();
          return runDoctorCapture({ paths: opts.paths, env: opts.env, deadlineMs: Math.max(100, Math.min(DEFAULT_DEADLINE_MS, left)), collectAll: true, thorough: true });
        }),
    ),
    daemon: once(
      opts.probes?.daemon ??
        (async () => {
          const { inspectDaemon } = await import('../daemon/lifecycle/inspect.js');
          return inspectDaemon(opts.paths, { lookForOrphan: true });
        }),
    ),
  };
  const ran = await Promise.all(opts.sections.map((s) => runSection(s, ctx)));

  // Known secrets are read after the sections ran, so a token written meanwhile (a daemon starting) is known too.
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const redactor = shapes ? new Redactor(shapes.shapes, knownSecrets(opts.paths, opts.env, shapes.shapes), { profile, store: opts.store }) : undefined;
  const redacted = ran.map(({ result, out }, i) => {
    const s = opts.sections[i];
    if (!redactor) return { ...result, ...(out?.data !== undefined ? { data: out.data } : {}), text: s.render && out ? s.render(out.data) : result.text };
    const data = out?.data === undefined ? undefined : redactor.value(out.data);
    const text = s.render && out ? s.render(data) : redactor.text(result.text);
    return { ...result, text, ...(data !== undefined ? { data } : {}), ...(result.error ? { error: redactor.text(result.error) } : {}) };
  });
  // A secret a later section's shape found may appear bare in an earlier one: one more look over every section.
  const sections = redactor ? redacted.map((r) => ({ ...r, text: redactor.again(r.text), ...(r.data !== undefined ? { data: redactor.again(r.data) } : {}), ...(r.error ? { error: redactor.again(r.error) } : {}) })) : redacted;
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    generatedAt: isoSeconds(now),
    tool: { name: 'opta', version: VERSION },
    deadlineMs,
    durationMs: Date.now() - started,
    // Counted in the document itself (the JSON bundle holds the sections): the header never promises what the file lacks.
    redaction: { enabled: redact, ...(redact ? { profile } : {}), ...placeholderCounts(JSON.stringify(sections)) },
    sections,
  };
}

export function redactionLine(b: Bundle, counts: RedactionCounts = b.redaction): string {
  const r = { ...b.redaction, ...counts };
  if (!r.enabled) return '# Redacted: NOTHING (made with --no-redact): this file holds secrets; share it with no one';
  if (!r.values) return '# Redacted: nothing looked like a secret';
  const kinds = Object.entries(r.byLabel).map(([k, n]) => `${k} ${n}`).join(', ');
  const profile = r.profile && r.profile !== DEFAULT_PROFILE ? `, --redact ${r.profile}` : '';
  return `# Redacted: ${r.values} value${r.values === 1 ? '' : 's'} in ${r.occurrences} place${r.occurrences === 1 ? '' : 's'} (${kinds}${profile}); the same value has the same placeholder throughout`;
}

export function sectionsLine(b: Bundle): string {
  const late = b.sections.filter((s) => s.status === 'timed-out').map((s) => s.id);
  const failed = b.sections.filter((s) => s.status === 'failed').map((s) => s.id);
  const done = b.sections.length - late.length - failed.length;
  const took = `in ${(b.durationMs / 1000).toFixed(1)} s (deadline ${(b.deadlineMs / 1000).toFixed(1)} s)`;
  if (!late.length && !failed.length) return `# Sections: ${b.sections.length}, all complete ${took}`;
  return `# Sections: ${done} of ${b.sections.length} complete ${took}${late.length ? `; ran out of time: ${late.join(', ')}` : ''}${failed.length ? `; not available: ${failed.join(', ')}` : ''}`;
}

/** The text bundle: the guide's header, then each section under "## <title>", then an end line that tells a whole file from a cut one. */
export function renderBundleText(b: Bundle): string {
  const body = b.sections.map((s) => `## ${s.title}\n${s.text.replace(/\n+$/, '')}`);
  const head = [
    BUNDLE_TITLE,
    `# Generated: ${b.generatedAt}`,
    `# opta ${b.tool.version}, bundle format ${b.formatVersion}; read it again with: opta support analyze <this file>`,
    // Counted in the text itself: data the text bundle does not carry is not counted.
    redactionLine(b, placeholderCounts(body.join('\n'))),
    sectionsLine(b),
  ];
  return [head.join('\n'), ...body, BUNDLE_END].join('\n\n') + '\n';
}

export function renderBundleJson(b: Bundle): string {
  return JSON.stringify(b, null, 2) + '\n';
}
