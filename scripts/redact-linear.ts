// Times every redaction pattern on long hostile lines (64 KiB and 256 KiB) and prints the worst per-byte growth: a linear pattern stays flat (issue 18).
import { Redactor } from '../src/redact/redactor.js';
import { loadShapes } from '../src/redact/load-shapes.js';

const SIZES = [64 * 1024, 256 * 1024];
const GENERIC = ['a', '0', 'A', ' ', '.', ':', '@', '-', '_', '=', '/', '"', 'a:', 'a:b@', 'a.', 'a-', 'a_', '0:', '\\n', 'x=', 'aA0'];

/** A flat string (a repeat() rope would be flattened inside the first timed exec). */
function fill(unit: string, size: number): string {
  return Buffer.from(unit.repeat(Math.ceil(size / unit.length)).slice(0, size)).toString();
}

function time(re: RegExp, s: string): number {
  const t = process.hrtime.bigint();
  re.lastIndex = 0;
  let n = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) if (m[0] === '' && ++re.lastIndex && ++n > 1e7) break;
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const { shapes, rules, problems } = await loadShapes();
if (problems.length) throw new Error(JSON.stringify(problems));
const only = process.argv[2];
const rows: Array<{ id: string; i: number; unit: string; ms64: number; ms256: number; growth: number }> = [];
for (const rule of rules) {
  if (only && rule.id !== only) continue;
  const shape = shapes.find((s) => s.id === rule.id)!;
  const units = new Set<string>(GENERIC);
  for (const k of rule.keywords ?? []) for (const tail of ['', ' ', 'a', '0', '=', ': ']) units.add(k + tail);
  for (const e of rule.examples) {
    const at = e.text.indexOf(e.secret);
    const before = e.text.slice(0, at);
    units.add(before);
    units.add(before + e.secret.slice(0, Math.max(1, e.secret.length - 1)));
    units.add(e.text.replace(e.secret, ''));
    units.add(e.secret.slice(0, 6));
    units.add(e.secret.slice(0, 6) + ' ');
  }
  shape.regexes.forEach((re, i) => {
    let worst = { unit: '', ms64: 0, ms256: 0, growth: 0 };
    for (const unit of units) {
      if (!unit) continue;
      const [a, b] = SIZES.map((n) => fill(unit, n));
      time(re, unit.repeat(64));
      const ms64 = Math.min(time(re, a), time(re, a));
      const ms256 = Math.min(time(re, b), time(re, b));
      // per-byte growth from 64 KiB to 256 KiB: 1 is flat; noise floors tiny timings
      const growth = (ms256 / 4 + 0.05) / (ms64 + 0.05);
      if (ms256 > worst.ms256) worst = { unit, ms64, ms256, growth };
    }
    rows.push({ id: rule.id, i, ...worst });
    console.error(`${rule.id}#${i}\t${worst.ms64.toFixed(2)}\t${worst.ms256.toFixed(2)}\tx${worst.growth.toFixed(2)}\t${JSON.stringify(worst.unit.slice(0, 30))}`);
  });
}
rows.sort((x, y) => y.ms256 - x.ms256);
for (const r of rows) console.log(`${r.id}#${r.i}\t64KiB ${r.ms64.toFixed(2)} ms\t256KiB ${r.ms256.toFixed(2)} ms\tper-byte x${r.growth.toFixed(2)}\tworst unit ${JSON.stringify(r.unit.slice(0, 40))}`);
const whole = new Redactor(shapes);
const line = fill('token=a:b@c ', SIZES[1]);
const t = process.hrtime.bigint();
whole.text(line);
console.log(`all shapes on one 256 KiB line: ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(1)} ms`);
