// Loads the redaction shapes (the redact rule kind) and builds the redactor of one home: its shapes plus the secrets it knows.
import type { OptaPaths } from '../core/paths.js';
import type { RuleProblem } from '../rules/kinds.js';
import { defaultPackOptions, loadPacked, type PackOptions } from '../rules/packs.js';
import { redactKind } from './kind.js';
import { compileShape, Redactor, RedactShapesError, type RedactRule, type Shape } from './redactor.js';
import type { RedactProfile } from './profile.js';
import type { PlaceholderStore } from './placeholder-map.js';

/** The built-in redaction shapes (or another directory's), loaded like every rule kind. */
export async function loadShapes(dir?: string, packs: PackOptions = defaultPackOptions(process.env, dir)): Promise<{ shapes: Shape[]; rules: RedactRule[]; problems: RuleProblem[] }> {
  // Packs only add shapes (rules/packs.ts refuses replacing or turning off one): more is redacted, never less.
  const r = await loadPacked<RedactRule>(redactKind, { ...packs, rulesDir: dir });
  return { shapes: r.items.map((i) => compileShape(i.rule)), rules: r.items.map((i) => i.rule), problems: r.problems };
}

/**
 * A redactor for one home: every shape plus the exact secrets it knows (daemon token, secret settings, secret-named
 * OPTA_* variables). Throws RuleProblemsError when a shape file is broken: redacting with a shape missing could leak.
 */
export async function homeRedactor(paths: OptaPaths, env: NodeJS.ProcessEnv, dir?: string, profile?: RedactProfile, store?: PlaceholderStore): Promise<Redactor> {
  const [{ shapes, problems }, { knownSecrets }] = await Promise.all([loadShapes(dir, { ...defaultPackOptions(env, dir), home: paths.home }), import('./known-secrets.js')]);
  if (problems.length) throw new RedactShapesError(problems);
  return new Redactor(shapes, knownSecrets(paths, env, shapes), { profile, store });
}
