// The secrets a home knows by value (daemon token, config keys marked secret, secret-named OPTA_* variables), for exact replacement.
import { SECRET_CONFIG_KEYS } from '../core/config-table.js';
import type { OptaPaths } from '../core/paths.js';
import type { KnownSecret, Shape } from './redactor.js';
import { readSmallFile } from '../core/read-small.js';

function readText(file: string): string | undefined {
  try {
    return readSmallFile(file);
  } catch {
    return undefined;
  }
}

/** lmx.apiKey -> lmx-api-key: the placeholder says which setting it was, never any of its characters. */
export function labelOfKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
}

/**
 * Read tolerantly: a corrupt state.json or config.json is exactly what a support bundle is for, and the token in a
 * half-written state file is still a secret. A file that is not JSON is searched for "token": "..." pairs.
 */
export function knownSecrets(paths: Pick<OptaPaths, 'stateFile' | 'configFile'>, env: NodeJS.ProcessEnv = {}, shapes: Shape[] = []): KnownSecret[] {
  const out: KnownSecret[] = [];
  const state = readText(paths.stateFile);
  if (state !== undefined) {
    let token: unknown;
    try {
      token = (JSON.parse(state) as { token?: unknown }).token;
    } catch {
      token = /"token"\s*:\s*"([^"\\]+)/.exec(state)?.[1];
    }
    if (typeof token === 'string' && token) out.push({ value: token, label: 'daemon-token' });
  }
  const config = readText(paths.configFile);
  if (config !== undefined) {
    let raw: Record<string, Record<string, unknown>> | undefined;
    try {
      raw = JSON.parse(config) as typeof raw;
    } catch {
      raw = undefined;
    }
    for (const key of SECRET_CONFIG_KEYS) {
      const [section, name] = key.split('.');
      let v: unknown = raw && typeof raw === 'object' ? raw[section]?.[name] : undefined;
      if (v === undefined && !raw) v = new RegExp(`"${name}"\\s*:\\s*"([^"\\\\]+)`).exec(config)?.[1];
      if (typeof v === 'string' && v) out.push({ value: v, label: labelOfKey(key) });
    }
  }
  // The password of a proxy URL (HTTPS_PROXY=http://user:pass@proxy:3128), also once URL-decoded.
  for (const [name, value] of Object.entries(env)) {
    if (!value || !/^(?:https?|all|ftp)_proxy$/i.test(name)) continue;
    const pass = /^[a-z][a-z0-9+.-]*:\/\/[^:@/\s]*:([^@/\s]+)@/i.exec(value)?.[1];
    if (!pass) continue;
    out.push({ value: pass, label: 'proxy-password' });
    let decoded: string | undefined;
    try {
      decoded = decodeURIComponent(pass);
    } catch {
      decoded = undefined;
    }
    if (decoded && decoded !== pass) out.push({ value: decoded, label: 'proxy-password', of: pass });
  }
  // OPTA_LMX_API_KEY=... and the like: the value is a secret wherever else it turns up.
  const secretKey = shapes.find((s) => s.keys)?.keys;
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('OPTA_') && value && secretKey?.test(name)) out.push({ value, label: 'env-secret' });
  }
  return out;
}
