// Loads the log patterns (rules/logs, or another directory) through the generic rule loader, and the values their templates may name.
import fs from 'node:fs';
import { readConfigLite, DEFAULT_CONFIG } from '../core/config-lite.js';
import { displayPath, type OptaPaths } from '../core/paths.js';
import type { RuleProblem } from '../rules/rule-problem.js';
import type { TemplateContext } from './analysis.js';
import type { LogPattern } from './pattern-schema.js';

export interface LoadedPatterns {
  patterns: LogPattern[];
  problems: RuleProblem[];
  /** Files zod had to validate now (0 when the build's manifest covers them all). */
  validatedNow: number;
}

/**
 * Built-in patterns are trusted through the build's manifest (no zod); a changed or foreign file is validated in
 * full, and a broken one is a problem while the others still load. A regex that does not compile here (a file
 * the manifest trusted cannot have one) is reported the same way rather than thrown.
 */
export async function loadPatterns(dir?: string, packs = true): Promise<LoadedPatterns> {
  const [{ loadKind }, { loadPacked, defaultPackOptions }, { logsKind: kind }] = await Promise.all([import('../rules/loader.js'), import('../rules/packs.js'), import('./kind.js')]);
  if (dir !== undefined && !fs.existsSync(dir)) {
    return { patterns: [], problems: [{ file: dir, jsonPath: '$', message: 'no such pattern directory' }], validatedNow: 0 };
  }
  // The build's prefilters are of the shipped patterns only; every other load sees the packs too.
  const r = packs ? await loadPacked<LogPattern>(kind, defaultPackOptions(process.env, dir)) : await loadKind<LogPattern>(kind, dir ?? kind.dir);
  const problems = [...r.problems];
  const patterns: LogPattern[] = [];
  for (const { file, rule } of r.items) {
    try {
      new RegExp(rule.regex);
      patterns.push(rule);
    } catch (err) {
      problems.push({ file, jsonPath: '$.regex', message: `not a valid regular expression: ${(err as Error).message}` });
    }
  }
  // A family without its catch-all (or with two) leaves lines unrecognised: said here, zod-free, as the files load.
  const { familyProblems } = await import('./family.js');
  problems.push(...familyProblems(r.items.filter((it) => patterns.includes(it.rule))));
  if (dir !== undefined && !r.items.length && !problems.length) {
    // An analysis with no pattern finds nothing, which must not read as "No findings." (exit 0): the directory is wrong.
    problems.push({ file: dir, jsonPath: '$', message: 'no log pattern files (*.json) in it, so nothing was looked for; give --rules a directory of log pattern files (opta rules list --kind logs shows the built-in ones)' });
  }
  return { patterns, problems, validatedNow: r.validatedNow };
}

/** {{config.*}} (this home's settings, defaults where unset or invalid) and {{paths.*}} for pattern templates. */
export function templateContext(paths: OptaPaths, env: NodeJS.ProcessEnv): TemplateContext {
  const cfg = readConfigLite(paths.configFile);
  return contextFor(cfg.status === 'valid' ? cfg.config : DEFAULT_CONFIG, {
    home: displayPath(paths.home, env),
    log: displayPath(paths.logFile, env),
    sessions: displayPath(paths.sessionsDir, env),
    state: displayPath(paths.stateFile, env),
    config: displayPath(paths.configFile, env),
  });
}

/** The same context from settings and paths already known (a support bundle's), without reading anything. */
export function contextFor(config: typeof DEFAULT_CONFIG, paths: TemplateContext['paths']): TemplateContext {
  const { apiKey: _secret, ...lmx } = config.lmx;
  return { config: { ...config, lmx }, paths };
}

/** Build step: the prefilters of the built-in patterns that load (src/logs/prefilters.ts). */
export async function writeBuiltInPrefilters(): Promise<void> {
  const { writePrefilters } = await import('./prefilters.js');
  writePrefilters((await loadPatterns(undefined, false)).patterns.map((p) => p.regex));
}
