// The super-linear regex check every kind runs over the regexes its rule files carry (log patterns, redaction shapes): scslre's static analysis.
import { analyse } from 'scslre';

/**
 * Why scslre: it decides from the regex alone (no timing, so no flaky verdict on a loaded machine) in milliseconds
 * (all shipped regexes: ~0.2 s with its start-up), in plain JS, and is maintained with eslint-plugin-regexp. It
 * finds backtracking that is polynomial or exponential in a string repeating one character (the kind that made
 * kv-secret take 11 s on a line of dots); a pump of several characters can slip past it, which is why matching
 * one line is also bounded in length (logs/matcher.ts, MATCH_CHARS) and the benchmark (bench/long-lines.ts) covers
 * the shipped rules' known cases.
 * recheck (fuzzing) took 5-10 s a regex with its pure-JS backend and answered "unknown" for two of ours; re2-wasm
 * is linear but has no lookbehind, which our redaction shapes need.
 */

/** Every message superLinear gives starts so: the build refuses a shipped rule file with one (build-artifacts.ts). */
export const SUPER_LINEAR = 'super-linear regex: ';

/** Enough for any regex a rule file holds; a report past it is not worth more of the validator's time. */
const MAX_REPORTS = 3;

/**
 * Why `source` (with `flags`) can take super-linear time on some line, in one sentence naming the attack string,
 * or null when the analysis finds no such backtracking. A regex that does not compile is the caller's problem.
 */
export function superLinear(source: string, flags = ''): string | null {
  let re: RegExp;
  try {
    re = new RegExp(source, flags.replace(/[gdy]/g, ''));
  } catch {
    return null;
  }
  let reports;
  try {
    reports = analyse(re, { maxReports: MAX_REPORTS, reportTypes: { Move: true, Self: true, Trade: true } }).reports;
  } catch (e) {
    // scslre does not know some newer syntax (the v flag): such a regex is refused rather than trusted.
    return `${SUPER_LINEAR}cannot be checked for super-linear backtracking (${(e as Error).message}); write it without that syntax`;
  }
  if (!reports.length) return null;
  const r = reports[0];
  return (
    `${SUPER_LINEAR}can take ${r.exponential ? 'exponential' : 'polynomial'} time on a long line: ${JSON.stringify(r.type === 'Trade' ? `${r.startQuant.raw} ... ${r.endQuant.raw}` : r.quant.raw)} backtracks over a run of ` +
    `${JSON.stringify(r.character.literal.source)}; make it unable to match where the part around it does (e.g. exclude those characters with a lookbehind)`
  );
}
