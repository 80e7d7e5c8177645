// `opta support analyze BUNDLE --explain ID`: the explanation of one doctor rule or log pattern computed from a bundle's facts and log lines, offline.
import { explainDoctor, type Explained } from '../doctor/explain.js';
import { explainFix, type ExplainedFix } from '../fix/explain-plan.js';
import type { ReadBundle } from './bundle-read.js';
import { bundleDoctorOptions, bundleLogText } from './analyze.js';

/** How the bundle's log lines are named in the explanation (they are quoted escaped, as every bundle value is). */
export const BUNDLE_LOG = "the bundle's daemon log section";
/** The most of a bundle's log section an explanation reads (the doctor reads as much of a live log). */
const MAX_LOG_CHARS = 256 * 1024;

export async function explainBundle(b: ReadBundle, id: string, opts: { rulesDir?: string; deadlineAt?: number } = {}): Promise<{ explained: Explained; fix: ExplainedFix | null; notes: string[] }> {
  const { options, notes } = await bundleDoctorOptions(b, opts);
  const whole = bundleLogText(b);
  // A bundle holds its last 200 log lines; one made by someone else may hold anything: its last 256 KiB, from a line start.
  const text = whole !== null && whole.length > MAX_LOG_CHARS ? whole.slice(whole.indexOf('\n', whole.length - MAX_LOG_CHARS) + 1) : whole;
  if (text !== whole) notes.push(`the bundle's log section is longer than ${MAX_LOG_CHARS / 1024} KiB: its last ${MAX_LOG_CHARS / 1024} KiB were read`);
  const explained = await explainDoctor(options, id, () => (text === null ? [] : [{ display: BUNDLE_LOG, text, firstLine: null }]));
  // The pipeline's guards on the bundle's facts; no action is asked what it would touch on this machine.
  const fix = explained.kind === 'rule' ? await explainFix(explained.id, explained.rule.event.params.fix, explained.facts, { paths: options.paths, env: {}, offline: true }) : null;
  return { explained, fix, notes: [...b.notes, ...notes] };
}
