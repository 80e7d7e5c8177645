// Log analyses quote the log (samples, captured values, messages built from them): the same redaction as `opta daemon logs`.
import type { OptaPaths } from '../core/paths.js';
import type { Analysis } from './analysis.js';
import type { RedactProfile } from '../redact/profile.js';

interface TextRedactor {
  text(s: string): string;
}

/** The analysis with every text taken from the log passed through the redactor; counts, lines and times stay. */
export function redactAnalysis(a: Analysis, r: TextRedactor): Analysis {
  return {
    ...a,
    findings: a.findings.map((f) => ({
      ...f,
      samples: f.samples.map((s) => ({ ...s, text: r.text(s.text), ...(s.context ? { context: s.context.map((c) => r.text(c)) } : {}) })),
      values: Object.fromEntries(Object.entries(f.values).map(([k, v]) => [k, r.text(v)])),
      message: r.text(f.message),
      remediation: r.text(f.remediation),
    })),
  };
}

/**
 * The home's redactor (every shape plus the token, API key and secret settings it knows). Where a shape file is
 * broken, `strict` throws (a command asked to print the log refuses to guess); otherwise the exact known secrets are
 * still kept out (the doctor must not fail because of a redaction shape).
 */
export async function analysisRedactor(paths: OptaPaths, env: NodeJS.ProcessEnv, strict: boolean, profile?: RedactProfile): Promise<TextRedactor> {
  const [{ homeRedactor }, { RedactShapesError, Redactor }] = await Promise.all([import('../redact/load-shapes.js'), import('../redact/redactor.js')]);
  try {
    return await homeRedactor(paths, env, undefined, profile);
  } catch (e) {
    if (strict || !(e instanceof RedactShapesError)) throw e;
    const { knownSecrets } = await import('../redact/known-secrets.js');
    return new Redactor([], knownSecrets(paths, env, []), { profile });
  }
}
