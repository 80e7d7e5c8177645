// `opta support analyze BUNDLE --explain ID`: the explanation of one doctor rule or log pattern computed from a bundle's facts and log lines, offline.
import { explainDoctor, type Explained } from '../doctor/explain.js';
import { explainFix, type ExplainedFix } from '../fix/explain-plan.js';
import type { ReadBundle } from './bundle-read.js';
import { bundleDoctorOptions, bundleLogText } from './analyze.js';

/** How the bundle's log lines are named in the explanation (they are quoted escaped, as every bundle value is). */
export const BUNDLE_LOG = "the bundle's daemon log section";

export async function explainBundle(b: ReadBundle, id: string, opts: { rulesDir?: string; deadlineAt?: number } = {}): Promise<{ explained: Explained; fix: ExplainedFix | null; notes: string[] }> {
  const { options, notes } = await bundleDoctorOptions(b, opts);
  const text = bundleLogText(b);
  const explained = await explainDoctor(options, id, () => (text === null ? [] : [{ display: BUNDLE_LOG, text, firstLine: null }]));
  // The pipeline's guards on the bundle's facts; no action is asked what it would touch on this machine.
  const fix = explained.kind === 'rule' ? await explainFix(explained.id, explained.rule.event.params.fix, explained.facts, { paths: options.paths, env: {}, offline: true }) : null;
  return { explained, fix, notes: [...b.notes, ...notes] };
}
