// Where a doctor report goes: --format/--output pairs (each --output belongs to the --format before it), rendered lazily.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, causeText } from '../core/errors.js';
import type { DoctorReport } from '../doctor/report-types.js';
import { DOCTOR_FORMATS as FORMATS, rendererFor, type DoctorFormat as ReportFormat } from '../render/registry.js';
import type { RenderContext } from '../render/renderer.js';
import { err } from './output.js';

export type { RenderContext };

export interface Destination {
  format: ReportFormat;
  /** Undefined: standard output. */
  file?: string;
}

/** --format, --output and --json in the order they were given on the command line. */
export type OutputToken = { kind: 'format'; value: string } | { kind: 'output'; value: string } | { kind: 'json' };

/**
 * Pairs the tokens: --format starts a destination (standard output unless an --output follows it); --output names
 * the file of the --format just before it; --json is --format json. At most one format on standard output; when no
 * format claims it, the text report goes there (so `--format junit --output r.xml` still logs the text).
 */
export function pairDestinations(tokens: OutputToken[]): Destination[] {
  const out: Array<Destination & { paired: boolean }> = [];
  for (const t of tokens) {
    if (t.kind === 'output') {
      const last = out.at(-1);
      if (!last || last.paired) {
        throw new UsageError(
          `--output ${t.value} has no --format before it. Each --output belongs to the --format just before it, e.g. opta doctor --format junit --output doctor.xml.`,
        );
      }
      last.paired = true;
      if (t.value !== '-') last.file = t.value;
      continue;
    }
    const format = t.kind === 'json' ? 'json' : t.value;
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format takes ${FORMATS.join(', ')}, not "${format}".`);
    out.push({ format: format as ReportFormat, paired: false });
  }
  const toStdout = out.filter((d) => d.file === undefined);
  if (toStdout.length > 1) {
    throw new UsageError(
      `only one format can go to standard output, and ${toStdout.map((d) => d.format).join(' and ')} would; give the others a file: --format ${toStdout[1].format} --output FILE.`,
    );
  }
  const seen = new Map<string, string>();
  for (const d of out) {
    if (d.file === undefined) continue;
    const key = sameFileKey(d.file);
    if (seen.has(key)) throw new UsageError(`--output ${d.file} is given twice (for ${seen.get(key)} and ${d.format}); each format needs its own file.`);
    seen.set(key, d.format);
  }
  const dests: Destination[] = out.map(({ format, file }) => (file === undefined ? { format } : { format, file }));
  if (!toStdout.length) dests.unshift({ format: 'text' });
  return dests;
}

/**
 * What a name really writes to, as the writer follows it (a symlinked file, a symlinked directory): two names for one
 * file would have the second report overwrite the first. A name that does not resolve yet is compared as given.
 */
function sameFileKey(file: string): string {
  const abs = path.resolve(file);
  try {
    return fs.realpathSync(abs);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

/** Renders one format through the registry, loading only that renderer (the plain doctor loads none of the CI ones). */
export async function renderFormat(format: ReportFormat, report: DoctorReport, ctx: RenderContext): Promise<string> {
  return (await rendererFor('doctor-report', format)).render(report, ctx);
}

/** Up front: every --output writable; with --watch, standard output is the change log, so only text may go there. */
export async function checkDestinations(dests: Destination[], opts: { watch?: boolean } = {}): Promise<void> {
  // The file writer loads only when a file is asked for: the plain doctor writes nothing.
  const files = dests.some((d) => d.file !== undefined) ? await import('../core/report-file.js') : undefined;
  for (const d of dests) {
    if (d.file !== undefined) files!.checkReportTarget(d.file);
    else if (opts.watch && d.format !== 'text') {
      throw new UsageError(`--watch prints what changed on standard output; give --format ${d.format} a file: --format ${d.format} --output FILE.`);
    }
  }
}

/**
 * Renders every destination and writes it: files first (atomically), then standard output; with the github format
 * and $GITHUB_STEP_SUMMARY set, appends the Markdown job summary. Returns false when a file could not be written
 * (the message is on stderr and the other destinations were still written).
 */
export async function emitReport(report: DoctorReport, dests: Destination[], ctx: RenderContext, opts: { githubSummary?: string } = {}): Promise<boolean> {
  let ok = true;
  let stdout: string | undefined;
  for (const d of dests) {
    const text = await renderFormat(d.format, report, d.file === undefined ? ctx : { ...ctx, kleur: undefined });
    if (d.file === undefined) {
      stdout = text;
      continue;
    }
    try {
      (await import('../core/report-file.js')).writeReportFile(d.file, text);
    } catch (e) {
      err(`opta: ${e instanceof Error ? e.message : String(e)}`);
      ok = false;
    }
  }
  if (stdout !== undefined) process.stdout.write(stdout);
  if (opts.githubSummary && dests.some((d) => d.format === 'github')) {
    const { renderGithubSummary } = await import('../render/github.js');
    try {
      fs.appendFileSync(opts.githubSummary, renderGithubSummary(report) + '\n');
    } catch (e) {
      err(`opta: could not append the job summary to $GITHUB_STEP_SUMMARY (${opts.githubSummary}): ${causeText(e)}; the annotations above are complete.`);
    }
  }
  return ok;
}
