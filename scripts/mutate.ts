// Mutation check (npm run mutate, outside npm test): breaks one promise at a time in a scratch copy and expects the tests to go red.
//
// Each mutant in scripts/mutants.json names a source file (TypeScript under src/ or fixtures/, or a data file such as a
// rule), an exact text to find and its replacement, and the test files (and optional name pattern) that must catch it.
// TypeScript is mutated in the scratch copy's source, transpiled with the project's compiler options into its dist/ (for
// the unit tests) and bundled again (for the bin the other tests run, ~1 s), so a mutant costs one test run, not a build. A mutant that leaves its tests green "survived": the promise it
// breaks is not tested. Exit 0 when every mutant was killed, 1 when one survived, 2 when the list itself is wrong (a stale entry, one
// whose pattern matches no test, or one whose tests fail without it: reported, left out, and the others still run).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

interface Mutant {
  id: string;
  /** The promise it breaks, in the README's or the guide's words. */
  promise: string;
  file: string;
  find: string;
  replace: string;
  tests: string[];
  pattern?: string;
}

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('-'));
const list = JSON.parse(fs.readFileSync(path.join(ROOT, 'scripts', 'mutants.json'), 'utf8')) as Mutant[];
const selected = only.length ? list.filter((m) => only.some((o) => m.id.includes(o))) : list;

function fail(msg: string): never {
  process.stderr.write(`mutate: ${msg}\n`);
  process.exit(2);
}

const tsconfig = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
// transpileModule cannot see package.json's "type", so NodeNext would emit CommonJS: say ESM outright.
const compilerOptions = { ...ts.convertCompilerOptionsFromJson(tsconfig.config.compilerOptions, ROOT).options, module: ts.ModuleKind.ESNext };

if (!fs.existsSync(path.join(ROOT, 'dist', 'bundle', 'opta.cjs'))) fail('build first: npm run build');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-mutate-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
for (const entry of ['package.json', 'dist', 'rules', 'schemas', 'fixtures', 'docs', 'README.md', 'src']) {
  if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(scratch, entry), { recursive: true });
}
fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'));

/** Where a mutated file lands in the scratch copy: dist/<x>.js for TypeScript, the same path for data. */
function target(file: string): string {
  return file.endsWith('.ts') ? path.join(scratch, 'dist', file.replace(/\.ts$/, '.js')) : path.join(scratch, file);
}

/** A mutant whose text is no longer in the code: reported, the others still run, and the run exits 2. */
const stales: string[] = [];
function stale(m: Mutant, why: string): undefined {
  stales.push(m.id);
  process.stdout.write(`STALE     ${m.id}: ${why}\n`);
  return undefined;
}

function apply(m: Mutant): (() => void) | undefined {
  const src = fs.readFileSync(path.join(ROOT, m.file), 'utf8');
  const at = src.indexOf(m.find);
  if (at < 0) return stale(m, `"${m.find}" is not in ${m.file} (the code moved: update scripts/mutants.json)`);
  if (src.indexOf(m.find, at + 1) >= 0) return stale(m, `"${m.find}" occurs more than once in ${m.file}; make it unique`);
  const mutated = src.slice(0, at) + m.replace + src.slice(at + m.find.length);
  const out = target(m.file);
  const before = fs.readFileSync(out);
  const text = m.file.endsWith('.ts') ? ts.transpileModule(mutated, { compilerOptions, fileName: m.file }).outputText : mutated;
  fs.writeFileSync(out, text);
  // Only src/ is bundled (the bin runs it); scripts and fixtures run as tsc's output.
  if (!m.file.endsWith('.ts') || !m.file.startsWith('src/')) return () => fs.writeFileSync(out, before);
  const source = path.join(scratch, m.file);
  fs.writeFileSync(source, mutated);
  rebundle(m);
  return () => {
    fs.writeFileSync(out, before);
    fs.writeFileSync(source, src);
    rebundle(m);
  };
}

/**
 * The bin's bundles of the scratch copy, from its (mutated or restored) sources; for a mutant of the build itself
 * (src/build/), its artifacts first (rule manifests with their lean copies, prefilters), or the mutant would never run.
 */
function rebundle(m: Mutant): void {
  const id = m.id;
  if (m.file.startsWith('src/build/')) {
    const a = spawnSync(process.execPath, [path.join(scratch, 'dist', 'src', 'build', 'build-artifacts.js')], { cwd: scratch, encoding: 'utf8' });
    if (a.status !== 0) fail(`${id}: the build's artifacts were not written: ${(a.stderr ?? '').slice(0, 400)}`);
  }
  const r = spawnSync(process.execPath, [path.join(scratch, 'dist', 'src', 'build', 'bundle.js')], { cwd: scratch, encoding: 'utf8' });
  if (r.status !== 0) fail(`${id}: the bundles did not build: ${(r.stderr ?? '').slice(0, 400)}`);
}

/**
 * Kills what the scratch copy started and a run left alive: a mutant that breaks `daemon stop` leaves its daemons
 * running after the test files end (their cleanup trusted the broken code). Linux /proc only; elsewhere nothing.
 */
function sweep(id: string): void {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return;
  }
  let n = 0;
  for (const pid of pids) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(scratch + path.sep)) continue;
      process.kill(Number(pid), 'SIGKILL');
      n++;
    } catch {
      // gone already, or not ours to read
    }
  }
  if (n) process.stderr.write(`mutate: ${id}: killed ${n} process(es) of the scratch copy its tests left running\n`);
}

// The same backstop as npm test's --test-timeout (package.json): on Node 20 it limits each test file as a whole. A
// mutant that makes a test wait forever then fails that file (killed) instead of running into the 300 s limit below.
const TEST_FILE_TIMEOUT_MS = 150_000;

function runTests(m: Mutant): { ok: boolean; out: string; problem?: string } {
  const files = m.tests.map((t) => path.join('dist', 'test', `${t.replace(/(\.test)?\.(ts|js)$/, '')}.test.js`));
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${TEST_FILE_TIMEOUT_MS}`, ...(m.pattern ? ['--test-name-pattern', m.pattern] : []), ...files], {
    cwd: scratch,
    encoding: 'utf8',
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    timeout: 300_000,
  });
  sweep(m.id);
  const passed = /^# pass (\d+)/m.exec(r.stdout ?? '')?.[1];
  const failed = Number(/^# fail (\d+)/m.exec(r.stdout ?? '')?.[1] ?? 0);
  if (passed === undefined) return { ok: false, out: r.stdout ?? '', problem: `the test run printed no summary (status ${r.status}): ${(r.stderr ?? '').slice(0, 400)}` };
  if (Number(passed) + failed === 0) return { ok: false, out: r.stdout, problem: `no test matched ${m.tests.join(', ')} ${m.pattern ?? ''}` };
  return { ok: r.status === 0, out: r.stdout };
}

// The unmutated copy must pass the same tests, or a "kill" proves nothing.
const baselines = new Map<string, boolean>();
const unrunnable: string[] = [];
for (const m of selected) {
  const key = JSON.stringify([m.tests, m.pattern]);
  if (baselines.has(key)) continue;
  // A baseline is run again once before giving up: on a loaded machine a timing test can fail once, and one flake must
  // not stop a run of a hundred mutants (a mutant's own run is not retried: a kill must be a kill).
  let r = runTests(m);
  if (!r.ok && !r.problem) {
    process.stderr.write(`mutate: ${m.id}: its tests failed once without the mutant; running them again\n`);
    r = runTests(m);
  }
  baselines.set(key, r.ok);
  // A broken entry or a failing baseline is reported and its mutants left out, and the run goes on: one bad entry must
  // not cost the other two hundred their run; the run still ends red (exit 2) naming it.
  if (!r.ok) {
    const why = r.problem ?? `its tests fail without the mutant (${m.tests.join(', ')} ${m.pattern ?? ''}); fix them first:\n${r.out.split('\n').filter((l) => /^not ok|error:/.test(l.trim())).slice(0, 10).join('\n')}`;
    unrunnable.push(m.id);
    process.stdout.write(`UNRUNNABLE ${m.id}: ${why}\n`);
  }
}

const verbose = args.includes('--verbose');
const results: Array<{ id: string; killed: boolean; ms: number }> = [];
for (const m of selected) {
  if (!baselines.get(JSON.stringify([m.tests, m.pattern]))) continue;
  const restore = apply(m);
  if (!restore) continue;
  const started = Date.now();
  let r: { ok: boolean; out: string; problem?: string };
  try {
    r = runTests(m);
  } finally {
    restore();
  }
  // A file that fails to load is not a kill: the mutant broke the build, not a promise.
  const crashed = r.out.split('\n').find((l) => /^not ok \d+ - \/.*\.test\.js$/.test(l));
  if (crashed) fail(`${m.id}: the test file did not load with the mutant (${crashed}); the mutant must keep the code valid`);
  if (r.problem) {
    unrunnable.push(m.id);
    process.stdout.write(`UNRUNNABLE ${m.id}: ${r.problem}\n`);
    continue;
  }
  const killed = !r.ok;
  if (verbose && killed) process.stdout.write(r.out.split('\n').filter((l) => /^\s*not ok/.test(l)).join('\n') + '\n');
  results.push({ id: m.id, killed, ms: Date.now() - started });
  process.stdout.write(`${killed ? 'killed  ' : 'SURVIVED'}  ${m.id}  (${((Date.now() - started) / 1000).toFixed(1)} s)${killed ? '' : `\n          promise: ${m.promise}`}\n`);
}
const survived = results.filter((r) => !r.killed);
process.stdout.write(`\n${results.length - survived.length} of ${results.length} mutants killed${survived.length ? `; survived: ${survived.map((s) => s.id).join(', ')}` : ''}.\n`);
if (stales.length) process.stdout.write(`${stales.length} mutant(s) no longer match the code: ${stales.join(', ')}.\n`);
if (unrunnable.length) process.stdout.write(`${unrunnable.length} mutant(s) could not be judged (a broken entry or a failing baseline): ${unrunnable.join(', ')}.\n`);
process.exitCode = stales.length || unrunnable.length ? 2 : survived.length ? 1 : 0;
