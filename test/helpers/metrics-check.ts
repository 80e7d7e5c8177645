// Test helper: node_exporter textfile output checked by `promtool check metrics` when installed, and always by a strict parser.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  help: string;
  type: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function unescapeLabel(raw: string, line: number): string {
  return raw.replace(/\\(.)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === '"') return '"';
    if (c === 'n') return '\n';
    throw new Error(`line ${line}: invalid escape \\${c} in a label value`);
  });
}

function parseValue(raw: string, line: number): number {
  if (raw === 'NaN') return NaN;
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`line ${line}: "${raw}" is not a number`);
  return Number(raw);
}

/**
 * A strict reader of the Prometheus text format as node_exporter's textfile collector takes it, ending in OpenMetrics'
 * "# EOF": HELP and TYPE once per family and before its samples, a family's samples together, no duplicate series,
 * no timestamps (the collector rejects them), label values with only \\, \" and \n escapes.
 */
export function parseMetrics(text: string): Map<string, Family> {
  assert.ok(text.endsWith('# EOF\n'), 'ends with "# EOF" and a newline');
  const lines = text.slice(0, -1).split('\n');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: string | undefined;
  const seen = new Set<string>();
  lines.forEach((line, idx) => {
    const n = idx + 1;
    if (line === '# EOF') {
      if (idx !== lines.length - 1) throw new Error(`line ${n}: # EOF before the end`);
      return;
    }
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name)) throw new Error(`line ${n}: bad metric name ${name}`);
      if (closed.has(name) || (current !== name && families.get(name)?.samples.length)) throw new Error(`line ${n}: family ${name} is split`);
      if (current && current !== name) closed.add(current);
      current = name;
      const f = families.get(name) ?? { help: '', type: '', samples: [] };
      if (kind === 'HELP') {
        if (f.help) throw new Error(`line ${n}: second HELP for ${name}`);
        f.help = rest.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      } else {
        if (f.type) throw new Error(`line ${n}: second TYPE for ${name}`);
        if (f.samples.length) throw new Error(`line ${n}: TYPE after samples of ${name}`);
        if (!['gauge', 'counter', 'untyped', 'summary', 'histogram'].includes(rest)) throw new Error(`line ${n}: unknown type ${rest}`);
        f.type = rest;
      }
      families.set(name, f);
      return;
    }
    if (line.startsWith('#')) throw new Error(`line ${n}: unexpected comment ${JSON.stringify(line)}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`line ${n}: not a sample (or has a timestamp): ${JSON.stringify(line)}`);
    const [, name, , body, value] = m;
    if (name !== current) throw new Error(`line ${n}: sample of ${name} outside its family (HELP/TYPE first, samples together)`);
    const labels: Record<string, string> = {};
    if (body !== undefined) {
      const re = /([^=,]+)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let pos = 0;
      while (pos < body.length) {
        re.lastIndex = pos;
        const lm = re.exec(body);
        if (!lm) throw new Error(`line ${n}: bad labels {${body}}`);
        if (!LABEL.test(lm[1])) throw new Error(`line ${n}: bad label name ${lm[1]}`);
        if (lm[1] in labels) throw new Error(`line ${n}: label ${lm[1]} twice`);
        labels[lm[1]] = unescapeLabel(lm[2], n);
        pos = re.lastIndex;
        if (lm[3] === ',' && pos === body.length) throw new Error(`line ${n}: trailing comma`);
      }
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    seen.add(key);
    const f = families.get(name)!;
    if (!f.help || !f.type) throw new Error(`line ${n}: ${name} has no HELP or TYPE`);
    f.samples.push({ labels, value: parseValue(value, n) });
  });
  return families;
}

export function promtoolPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

let warned = false;

/** `promtool check metrics` (parse + lint) when installed (.ci/run installs it), else says so once. */
export function promtoolCheck(text: string): 'checked' | 'skipped' {
  const bin = promtoolPath();
  if (!bin) {
    if (!warned) process.stderr.write('note: promtool is not installed: metrics checked by the strict parser only\n');
    warned = true;
    return 'skipped';
  }
  const r = spawnSync(bin, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool check metrics failed:\n${r.stdout}${r.stderr}\n${text}`);
  assert.equal((r.stdout + r.stderr).trim(), '', 'promtool has no lint remarks');
  return 'checked';
}

/** Both checks; returns the parsed families. */
export function checkMetrics(text: string): Map<string, Family> {
  promtoolCheck(text);
  return parseMetrics(text);
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = families.get(name)?.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)) ?? [];
  assert.ok(hits.length <= 1, `${name}${JSON.stringify(labels)} matches ${hits.length} series`);
  return hits[0]?.value;
}
