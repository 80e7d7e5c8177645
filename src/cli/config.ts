// `opta config list|get|set|unset|path`: reads and writes config.json through the schema; secrets stay masked.
// The config module (and zod) is imported inside actions so other commands do not pay for it.
import { displayPath, type OptaPaths } from '../core/paths.js';
import { cliPaths } from './context.js';
import { out } from './output.js';
import type { Register } from './main.js';

const core = () => import('../core/config.js');
type Core = Awaited<ReturnType<typeof core>>;

function shown({ configKey, maskSecret }: Core, key: string, value: unknown, showSecrets: boolean): unknown {
  if (value === undefined) return undefined;
  return configKey(key).secret && !showSecrets ? maskSecret(value) : value;
}

async function configRows(paths: OptaPaths, showSecrets: boolean) {
  const c = await core();
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

/**
 * The daemon reads config.json once, when it starts (every key: LMX, ports, timeouts, limits), so a change reaches it
 * only through a restart; said only while a daemon of this home runs, since the next start picks the change up anyway.
 */
async function restartNote(paths: OptaPaths): Promise<string | undefined> {
  const [{ readStateLite }, { isOptaDaemonOf }] = await Promise.all([import('../core/state-lite.js'), import('../core/proc.js')]);
  const st = readStateLite(paths.stateFile);
  if (st.class !== 'valid' || !isOptaDaemonOf(st.state.pid, paths.home)) return undefined;
  return `The running daemon (pid ${st.state.pid}) read the config when it started; restart it to use the change: opta daemon restart`;
}

export const registerConfig: Register = (program, setExit) => {
  const config = program.command('config').description('read and change ~/.config/opta/config.json');

  config
    .command('list')
    .description('print every setting with its value (secrets masked unless --show-secrets)')
    .option('--json', 'print as JSON')
    .option('--show-secrets', 'show secret values')
    .action(async (opts: { json?: boolean; showSecrets?: boolean }) => {
      const paths = cliPaths();
      if (opts.json) {
        const { rows } = await configRows(paths, Boolean(opts.showSecrets));
        out(JSON.stringify({ path: paths.configFile, settings: rows }, null, 2));
      } else out(await configListText(paths, Boolean(opts.showSecrets)));
      setExit(0);
    });

  config
    .command('get <key>')
    .description('print one setting')
    .option('--show-secrets', 'show a secret value')
    .action(async (key: string, opts: { showSecrets?: boolean }) => {
      const c = await core();
      const { configKey, getPath, loadConfig } = c;
      configKey(key);
      const value = shown(c, key, getPath(loadConfig(cliPaths().configFile), key), Boolean(opts.showSecrets));
      if (value === undefined) {
        out('(not set)');
        return setExit(1);
      }
      out(typeof value === 'string' ? value : JSON.stringify(value));
      setExit(0);
    });

  config
    .command('set <key> <value>')
    .description('change one setting; an invalid value is rejected and the file is left untouched')
    .action(async (key: string, value: string) => {
      const c = await core();
      const { setConfigValue, getPath, loadConfig } = c;
      const paths = cliPaths();
      setConfigValue(paths.configFile, key, value);
      out(`${key} = ${JSON.stringify(shown(c, key, getPath(loadConfig(paths.configFile), key), false))}`);
      const note = await restartNote(paths);
      if (note) out(note);
      setExit(0);
    });

  config
    .command('unset <key>')
    .description('return one setting to its default')
    .action(async (key: string) => {
      const { unsetConfigValue } = await core();
      const paths = cliPaths();
      const removed = unsetConfigValue(paths.configFile, key);
      out(removed ? `${key} returned to its default` : `${key} was not set`);
      const note = removed ? await restartNote(paths) : undefined;
      if (note) out(note);
      setExit(0);
    });

  config
    .command('path')
    .description('print where config.json lives')
    .action(() => {
      out(cliPaths().configFile);
      setExit(0);
    });
};
