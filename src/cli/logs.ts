// `opta logs analyze`: the daemon log (or given files) against the log patterns of rules/logs, with counts, first/last occurrence and the next command.
import path from 'node:path';
import { OptaError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { cliPaths, type ExitCode } from './context.js';
import { rendererFor } from '../render/registry.js';
import { err } from './output.js';
import { colorEnabled, paint, progressWanted } from './terminal.js';
import type { GroupSpec } from './command-table.js';
import { parseProfile, PROFILES, type RedactProfile } from '../redact/profile.js';

export interface AnalyzeFlags {
  sinceStart?: boolean;
  json?: boolean;
  strict?: boolean;
  rules?: string;
  showSecrets?: boolean;
  redact?: RedactProfile;
}

/** Starts showing after this long: a quick analysis never flickers a progress line. */
const PROGRESS_AFTER_MS = 300;

export async function analyzeAction(files: string[], flags: AnalyzeFlags): Promise<ExitCode> {
  const [{ analyzeLogs, defaultInputs, STDIN_INPUT }, { loadPatterns, templateContext }, { progressText }] = await Promise.all([
    import('../logs/analyze.js'),
    import('../logs/patterns.js'),
    import('../render/logs-analysis.js'),
  ]);
  const paths = cliPaths();
  // "-" is standard input (cat daemon.log | opta logs analyze -); ./- names a file called "-".
  const inputs = files.length ? files.map((f) => (f === '-' ? STDIN_INPUT : { path: path.resolve(f), display: f })) : defaultInputs(paths, process.env);
  // Not awaited here: the analysis starts its worker threads while the patterns load.
  const patterns = loadPatterns(flags.rules);
  let onProgress: ((done: number, total: number) => void) | undefined;
  let shown = false;
  if (progressWanted(process.stderr, process.env, Boolean(flags.json))) {
    const began = Date.now();
    let lastAt = 0;
    onProgress = (done, total) => {
      const now = Date.now();
      if (now - began < PROGRESS_AFTER_MS || now - lastAt < 100) return;
      lastAt = now;
      shown = true;
      process.stderr.write(`\r\x1b[K${progressText(done, total)}`);
    };
  }
  let analysis;
  try {
    analysis = await analyzeLogs({ inputs, patterns, context: templateContext(paths, process.env), sinceStart: flags.sinceStart, onProgress });
  } finally {
    if (shown) process.stderr.write('\r\x1b[K');
  }
  if (!flags.showSecrets && analysis.findings.length) {
    // Samples and messages quote the log: secrets in it are replaced as in `opta daemon logs`, unless asked for.
    const { analysisRedactor, redactAnalysis } = await import('../logs/redact-analysis.js');
    const { RedactShapesError } = await import('../redact/redactor.js');
    try {
      analysis = redactAnalysis(analysis, await analysisRedactor(paths, process.env, true, flags.redact));
    } catch (e) {
      if (e instanceof RedactShapesError) throw new OptaError(`cannot redact the log: ${e.message}. Fix the rule file (opta rules validate --kind redact), or print the analysis as it is with --show-secrets.`, 2);
      throw e;
    }
  }
  // With no usable pattern nothing was looked for: "No known pattern matched." / "No findings." would read as a clean log
  // (the JSON still goes out: its `problems` say why, for a program).
  const ran = (await patterns).patterns.length;
  if (ran || flags.json) {
    const [renderer, kleur] = await Promise.all([rendererFor('logs-analysis', flags.json ? 'json' : 'text'), paint(!flags.json && colorEnabled(process.stdout))]);
    process.stdout.write(renderer.render(analysis, { kleur }));
  }
  let emptyDir = false;
  for (const p of analysis.problems) {
    if (flags.rules !== undefined && p.file === flags.rules) {
      emptyDir = true;
      err(`opta: --rules ${displayPath(p.file)}: ${p.message}`);
    } else err(`opta: log pattern file ${displayPath(p.file)} is invalid at ${p.jsonPath}: ${p.message}`);
  }
  if (analysis.problems.length) {
    const validate = `opta rules validate ${flags.rules !== undefined ? `${displayPath(flags.rules)} ` : ''}--kind logs`;
    if (ran) err(`opta: fix the pattern files above (check them with: ${validate}); the other patterns ran.`);
    else if (!emptyDir) err(`opta: no log pattern could be used, so nothing was looked for (check the patterns with: ${validate}).`);
    return 2;
  }
  return flags.strict && analysis.counts.errors ? 1 : 0;
}

/** `opta logs ...`, declared once (command-table.ts). */
export const LOGS: GroupSpec = {
  name: 'logs',
  description: 'analyse daemon logs against the known patterns of rules/logs (see also: opta daemon logs)',
  commands: [
    {
      name: 'analyze',
      args: [{ name: '[file...]' }],
      alias: 'analyse',
      description: "count each known pattern (first and last occurrence, samples, the next command) in daemon.log.1 and daemon.log, or in the files given",
      options: [
        { flags: '--since-start', description: 'only the current daemon run: from the last "daemon started" line (with the start-up lines just before it)' },
        { flags: '--json', description: 'print the analysis as JSON (schema: schemas/logs-analysis.schema.json)' },
        { flags: '--strict', description: 'exit 1 when an error-level pattern matched' },
        { flags: '--rules <dir>', description: 'use the log patterns of this directory instead of the built-in rules/logs' },
        { flags: '--show-secrets', description: 'quote the log as it is, without redacting secrets in samples and messages' },
        { flags: '--redact <profile>', description: `how much to redact in samples and messages: ${PROFILES.join(', ')} (default standard; see opta support redact --help)`, parse: parseProfile },
      ],
      helpAfter: [
        '',
        'FILE "-" is standard input (zcat daemon.log.gz | opta logs analyze -).',
        'Formats, detected per line: [HH:MM:SS] LEVEL message, the same with an ISO-8601 time, and JSON lines',
        '({"ts"|"time","level"|"severity","msg"|"message"}). Patterns: opta rules list --kind logs.',
        '',
        'Exit codes: 0 it ran (findings are information), 1 with --strict and an error-level finding,',
        '2 unreadable input or a broken pattern file (the other patterns still run and are printed), or no',
        'usable pattern at all (nothing is printed on stdout: nothing was looked for).',
      ].join('\n'),
      run: (flags: AnalyzeFlags, [files]: [string[]]) => analyzeAction(files, flags),
    },
  ],
};
