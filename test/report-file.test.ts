// --output files are replaced atomically: a reader holding the old file keeps it whole, a failure or a kill mid-write leaves the old one, no temp file named like a report.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { writeReportFile } from '../src/core/report-file.js';
import { ROOT } from './helpers/env.js';
import { exitCodeWithin } from './helpers/wait.js';

const OLD = '# HELP old x\n'.repeat(20000);
const NEW = '# HELP new y\n'.repeat(40000);

/** Equal texts, and a short message otherwise (a diff of two 500 kB reports helps nobody). */
function same(actual: string, want: string, what: string): void {
  assert.ok(actual === want, `${what}: got ${actual.length} bytes starting ${JSON.stringify(actual.slice(0, 30))}, want ${want.length} starting ${JSON.stringify(want.slice(0, 30))}`);
}

function dir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-report-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a reader that opened the old file reads it whole after the write; the name then holds the new file whole', (t) => {
  const file = path.join(dir(t), 'm.prom');
  fs.writeFileSync(file, OLD);
  const reader = fs.openSync(file, 'r');
  try {
    writeReportFile(file, NEW);
    const buf = Buffer.alloc(OLD.length + 10);
    const n = fs.readSync(reader, buf, 0, buf.length, 0);
    same(buf.subarray(0, n).toString(), OLD, 'the old file was not written over in place');
  } finally {
    fs.closeSync(reader);
  }
  same(fs.readFileSync(file, 'utf8'), NEW, 'the new file');
});

test('a write that fails half-way (the disk fills) leaves the old file as it was and no temp file', (t) => {
  const d = dir(t);
  const file = path.join(d, 'r.xml');
  fs.writeFileSync(file, OLD);
  const real = fs.writeSync;
  let calls = 0;
  // The first write lands half of the data, the next fails as a full disk does.
  (fs as { writeSync: unknown }).writeSync = (fd: number, data: Buffer, off: number, len: number) => {
    if (calls++ === 0) return real(fd, data, off, Math.floor(len / 2));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  try {
    assert.throws(() => writeReportFile(file, NEW), /could not write .*r\.xml: .*ENOSPC.*the previous file \(if any\) is unchanged/);
  } finally {
    (fs as { writeSync: unknown }).writeSync = real;
  }
  same(fs.readFileSync(file, 'utf8'), OLD, 'the old file');
  assert.deepEqual(fs.readdirSync(d), ['r.xml']);
});

test('a process killed during the write leaves the old file whole', async (t) => {
  const d = dir(t);
  const file = path.join(d, 'm.prom');
  fs.writeFileSync(file, OLD);
  const mod = pathToFileURL(path.join(ROOT, 'dist', 'src', 'core', 'report-file.js')).href;
  // The child writes half of the new report, then is killed (SIGKILL: nothing of it runs after).
  const script = `
    import fs from 'node:fs';
    const { writeReportFile } = await import(${JSON.stringify(mod)});
    const real = fs.writeSync;
    fs.writeSync = (fd, data, off, len) => { real(fd, data, off, Math.floor(len / 2)); process.kill(process.pid, 'SIGKILL'); };
    writeReportFile(${JSON.stringify(file)}, ${JSON.stringify(NEW.slice(0, 100000))});
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  await exitCodeWithin(child, 10000, () => `the writer to be killed; stderr: ${stderr}`);
  assert.equal(child.signalCode, 'SIGKILL', stderr);
  same(fs.readFileSync(file, 'utf8'), OLD, 'the old file, whole');
  for (const f of fs.readdirSync(d)) assert.ok(f === 'm.prom' || (f.startsWith('.') && !f.endsWith('.prom')), `a left-over the textfile collector would read: ${f}`);
});
