// Renders a log analysis for people (text) and programs (JSON: schemas/logs-analysis.schema.json); used by `opta logs analyze` and the support bundle.
import path from 'node:path';
import type { Kleur } from 'kleur';
import { human, type Analysis, type Location } from '../logs/analysis.js';

type Paint = Pick<Kleur, 'green' | 'yellow' | 'red' | 'dim' | 'bold'>;
const id = (s: string) => s;
const PLAIN = { green: id, yellow: id, red: id, dim: id, bold: id } as unknown as Paint;

export function renderAnalysisJson(a: Analysis): string {
  return JSON.stringify(a, null, 2) + '\n';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Short names for locations: the file's base name when that is unambiguous. */
function namer(a: Analysis): (display: string) => string {
  const bases = a.files.map((f) => path.basename(f.display));
  return (display) => {
    const b = path.basename(display);
    return bases.filter((x) => x === b).length === 1 ? b : display;
  };
}

export function renderAnalysisText(a: Analysis, opts: { kleur?: Kleur } = {}): string {
  const k: Paint = opts.kleur ?? PLAIN;
  const name = namer(a);
  const at = (l: Location) => `${name(l.file)}${l.line !== null ? `:${l.line}` : ''}${l.time ? ` at ${l.time}` : ''}`;
  const out: string[] = [];
  const files = a.files.map((f) => f.display);
  const what = files.length ? files.join(' and ') : 'no log file';
  out.push(`Read ${what} (${human(a.bytes)}${a.window?.partial ? `: the last ${human(a.window.maxBytes)} only` : ''}).`);
  if (a.run.found) {
    const where = `${name(a.run.file!)}${a.run.line !== null ? ` line ${a.run.line}` : ''}`;
    out.push(
      a.sinceStart
        ? `The current daemon run started at ${a.run.time ?? '(no time)'} (${where}); ${plural(a.lines, 'line')} from there are counted (with the start-up lines just before it).`
        : `${plural(a.lines, 'line')}; the last daemon run started at ${a.run.time ?? '(no time)'} (${where}).`,
    );
  } else out.push(`${plural(a.lines, 'line')}${a.sinceStart ? '; no "daemon started" line was found, so all of them are counted' : ''}.`);
  out.push('');
  if (!a.findings.length) out.push('No known pattern matched.', '');
  for (const f of a.findings) {
    const paint = f.severity === 'error' ? k.red : f.severity === 'warn' ? k.yellow : k.green;
    out.push(`${paint('●')} ${k.bold(f.id)} (${f.severity}, ${plural(f.count, 'line')})`);
    out.push(`    ${f.message}`);
    out.push(`    ${k.dim('first:')} ${at(f.first)}; ${k.dim('last:')} ${at(f.last)}`);
    out.push(`    ${k.dim('why:')}   ${f.why}`);
    out.push(`    ${k.dim('next:')}  ${k.bold(f.remediation)}`);
    out.push(`    ${k.dim('guide:')} ${f.guide}`);
    f.samples.forEach((s, i) => {
      out.push(`    ${k.dim(i === 0 ? 'e.g.' : '    ')}   ${name(s.file)}${s.line !== null ? `:${s.line}` : ''}: ${s.text}`);
      // The stack trace under an ERROR line, indented under it (its lines were escaped when they were read).
      for (const c of s.context ?? []) out.push(`             ${k.dim(c)}`);
    });
    out.push('');
  }
  const o = a.other;
  out.push(`Lines no pattern matched: ${o.ERROR} ERROR, ${o.WARN} WARN, ${o.INFO} INFO, ${o.DEBUG} DEBUG, ${o.unparsed} without a time and level.`);
  const c = a.counts;
  const parts = [c.errors && plural(c.errors, 'error'), c.warnings && plural(c.warnings, 'warning'), c.infos && `${c.infos} info`].filter(Boolean).join(', ');
  out.push(a.findings.length ? `${plural(a.findings.length, 'finding')}: ${parts}.` : 'No findings.');
  return out.join('\n') + '\n';
}

/** "123.4 MiB of 300.0 MiB (41%)" for the progress line on a terminal. */
export function progressText(done: number, total: number): string {
  if (total <= 0 && done > 0) return `analysing: ${human(done)}`;
  const pct = total ? Math.floor((done / total) * 100) : 100;
  return `analysing: ${human(done)} of ${human(total)} (${pct}%)`;
}
