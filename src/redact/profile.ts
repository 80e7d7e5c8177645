// The redaction profiles (--redact minimal|standard|paranoid): what each adds, zod-free for the fast paths.
import { UsageError } from '../core/errors.js';

/** From least to most: each profile runs everything the ones before it run. */
export const PROFILES = ['minimal', 'standard', 'paranoid'] as const;
export type RedactProfile = (typeof PROFILES)[number];
export const DEFAULT_PROFILE: RedactProfile = 'standard';

/** What each profile adds, for --help and the README (one definition). */
export const PROFILE_HELP: Record<RedactProfile, string> = {
  minimal: 'the secrets the home knows (daemon token, lmx.apiKey, proxy passwords; also URL-encoded, JSON-escaped, base64) and the high-confidence provider shapes (ghp_, xoxb-, AKIA, sk-ant-, glpat-, private keys, JWTs, ...)',
  standard: 'minimal + key-name rules (*_PASSWORD, *_SECRET, *_TOKEN, "key": "v", YAML, {"name": K, "value": v} pairs), headers (Bearer, Basic, Cookie), credentials in URLs and DSNs, and long random-looking values under a secret-sounding key (*_KEY, auth, signature, ...)',
  paranoid: 'standard + any long random-looking token anywhere, e-mail addresses, IP addresses and host names',
};

export function profileRank(p: RedactProfile): number {
  return PROFILES.indexOf(p);
}

/** Parses --redact's value; the error names the choices. */
export function parseProfile(v: string): RedactProfile {
  if ((PROFILES as readonly string[]).includes(v)) return v as RedactProfile;
  throw new UsageError(`--redact takes one of ${PROFILES.join(', ')}, not "${v}"`);
}
