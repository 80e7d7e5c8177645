// What the demo expects of an opta run: an exit code and lines it must (not) print, or exactly the guide's healthy report.
import { stripAnsi, type Verdict } from './reporter.js';
import type { RunResult } from './stack.js';
import { guideHealthyReport } from '../../fixtures/guide-report.js';

export interface Expectation {
  /** The exit code (opta's convention: 0 holds, 1 no / something wrong, 2 could not run). */
  code: number;
  /** Text (or patterns) the output must contain. */
  has?: Array<string | RegExp>;
  /** Text (or patterns) it must not contain. */
  lacks?: Array<string | RegExp>;
  /** Further facts checked by the demo itself (a pid still alive, a file set aside), with what to say when false. */
  also?: Array<[boolean, string]>;
}

const shown = (p: string | RegExp) => (typeof p === 'string' ? JSON.stringify(p) : String(p));
const found = (text: string, p: string | RegExp) => (typeof p === 'string' ? text.includes(p) : p.test(text));
const exitText = (r: RunResult) => (r.code === null ? 'no exit (stopped after its timeout)' : `exit ${r.code}`);

export function expectRun(r: RunResult, e: Expectation): Verdict {
  const text = stripAnsi(r.stdout + r.stderr);
  const problems: string[] = [];
  if (r.code !== e.code) problems.push(exitText(r));
  for (const p of e.has ?? []) if (!found(text, p)) problems.push(`no ${shown(p)} in the output`);
  for (const p of e.lacks ?? []) if (found(text, p)) problems.push(`${shown(p)} in the output`);
  for (const [ok, why] of e.also ?? []) if (!ok) problems.push(why);
  return problems.length ? { ok: false, got: problems.join('; ') } : { ok: true };
}

/** The guide's "opta doctor" section, word for word, for this stack's daemon pid, port and LMX. */
export function healthyReport(pid: number | undefined, port: number, lmxPort: number): string {
  return guideHealthyReport({ pid, port }, `127.0.0.1:${lmxPort}`);
}

/** The note opta doctor adds once a crash report was kept (check "crashes", info): its line and its why/next lines. */
const CRASH_NOTE = /^Checking crashes\.\.\. +● the daemon crashed \d+ time\(s\) in the last 24 hours; last cause: .*; report: ~\/\.config\/opta\/daemon\/crashes\/crash-\S+\.txt$/;

/**
 * opta doctor exits 0 and prints exactly the guide's five lines and "All checks passed.", nothing else; after a crash
 * (`crashNote`), also the one note naming the crash report kept (issue 24), and nothing else.
 */
export function expectHealthy(r: RunResult, pid: number | undefined, port: number, lmxPort: number, crashNote = false): Verdict {
  const want = healthyReport(pid, port, lmxPort).split('\n');
  let got = stripAnsi(r.stdout).split('\n');
  const problems: string[] = [];
  if (crashNote) {
    const at = got.findIndex((l) => CRASH_NOTE.test(l));
    if (at < 0) problems.push('no "Checking crashes..." note naming the crash report');
    else {
      let end = at + 1;
      while (end < got.length && /^ +(why|next): /.test(got[end])) end++;
      got = [...got.slice(0, at), ...got.slice(end)];
    }
  }
  if (r.code !== 0) problems.push(exitText(r));
  const i = want.findIndex((line, n) => got[n] !== line);
  if (i >= 0 || got.length !== want.length) {
    const at = i >= 0 ? i : Math.min(want.length, got.length);
    problems.push(`line ${at + 1} reads ${JSON.stringify(got[at] ?? '(nothing)')} instead of ${JSON.stringify(want[at] ?? '(nothing)')}`);
  }
  if (stripAnsi(r.stderr).trim()) problems.push(`stderr: ${stripAnsi(r.stderr).trim().split('\n')[0]}`);
  return problems.length ? { ok: false, got: problems.join('; ') } : { ok: true };
}
