// Long-line benchmark: kv-secret redaction and the events-not-recorded pattern over one line of 1 KiB to 1 MiB; time per byte must stay flat.
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/core/install.js';
import { compileShape, Redactor } from '../src/redact/redactor.js';
import type { RedactRule } from '../src/redact/redact-schema.js';

const rule = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'rules/redact/kv-secret.json'), 'utf8')) as RedactRule;
const events = new RegExp((JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'rules/logs/events-not-recorded.json'), 'utf8')) as { regex: string }).regex);
const shape = compileShape(rule);

/** Median of `n` runs of f, in ms. */
function time(f: () => void, n = 5): number {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[n >> 1];
}

const cases: Array<[string, (n: number) => string, (s: string) => void]> = [
  ['kv-secret: "downloading token file " + dots', (n) => 'downloading token file ' + '.'.repeat(n), (s) => void new Redactor([shape]).text(s)],
  ['kv-secret: "x" + blanks + "token"', (n) => 'x' + ' '.repeat(n) + 'token', (s) => void new Redactor([shape]).text(s)],
  ['events-not-recorded: ": cannot open " repeated, then CR', (n) => 'session s: cannot record x' + ': cannot open y'.repeat(Math.ceil(n / 15)) + '\rx', (s) => void events.exec(s)],
];
// The baseline, in the same loop: a linear scan of the same line by V8 (what any pattern must at least cost).
const baseline = (s: string) => void s.lastIndexOf('\u0001');

console.log('case | line | ms | ns/byte | baseline ns/byte | ratio to baseline');
for (const [name, make, run] of cases) {
  for (let kib = 1; kib <= 1024; kib *= 4) {
    const line = make(kib * 1024);
    const ms = time(() => run(line));
    const base = time(() => baseline(line));
    const per = (ms * 1e6) / line.length;
    const basePer = (base * 1e6) / line.length;
    console.log(`${name} | ${kib} KiB | ${ms.toFixed(2)} | ${per.toFixed(2)} | ${basePer.toFixed(3)} | ${(per / Math.max(basePer, 0.001)).toFixed(0)}`);
  }
}
