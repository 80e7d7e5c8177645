// What `opta config list` prints (the support bundle shows the same text): every key, its value (secrets masked) and its source.
// The config module (and zod) is imported when called, so a command that only names this file does not pay for it.
import { displayPath, type OptaPaths } from './paths.js';

export const configModule = () => import('./config.js');
type Core = Awaited<ReturnType<typeof configModule>>;

/** A value as shown: a secret masked unless asked for. */
export function shown({ configKey, maskSecret }: Core, key: string, value: unknown, showSecrets: boolean): unknown {
  if (value === undefined) return undefined;
  return configKey(key).secret && !showSecrets ? maskSecret(value) : value;
}

/** Every key with its value and whether it comes from the file or the default (`opta config list --json`). */
export async function configRows(paths: OptaPaths, showSecrets: boolean) {
  const c = await configModule();
  const { CONFIG_KEYS, getPath, inspectConfig, loadConfig } = c;
  const cfg = loadConfig(paths.configFile);
  const source = inspectConfig(paths.configFile);
  const explicit = source.valid ? source.raw : {};
  const rows = CONFIG_KEYS.map((k) => ({
    key: k.key,
    value: shown(c, k.key, getPath(cfg, k.key), showSecrets),
    source: getPath(explicit, k.key) === undefined ? 'default' : 'file',
  }));
  return { rows, defaults: source.valid && source.source === 'defaults' };
}

/** What `opta config list` prints (the support bundle shows the same text); throws OptaError for an invalid file. */
export async function configListText(paths: OptaPaths, showSecrets: boolean): Promise<string> {
  const { rows, defaults } = await configRows(paths, showSecrets);
  const width = Math.max(...rows.map((r) => r.key.length));
  const lines = [`# ${displayPath(paths.configFile)}${defaults ? ' (not created yet: defaults)' : ''}`];
  for (const r of rows) lines.push(`${r.key.padEnd(width)} = ${r.value === undefined ? '(not set)' : JSON.stringify(r.value)}${r.source === 'default' && r.value !== undefined ? '  (default)' : ''}`);
  return lines.join('\n');
}
