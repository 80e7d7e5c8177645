// `opta config list|get|set|unset|path`: reads and writes config.json through the schema; secrets stay masked.
// The config module (and zod) is imported inside actions so other commands do not pay for it.
import type { OptaPaths } from '../core/paths.js';
import { configListText, configModule as core, configRows, shown } from '../core/config-list.js';
import { cliPaths } from './context.js';
import { out } from './output.js';
import type { GroupSpec } from './command-table.js';

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

/** `opta config ...`, declared once (command-table.ts). */
export const CONFIG: GroupSpec = {
  name: 'config',
  description: 'read and change config.json, the settings file in the opta home (opta config path prints where it is)',
  commands: [
    {
      name: 'list',
      description: 'print every setting with its value (secrets masked unless --show-secrets)',
      options: [
        { flags: '--json', description: 'print as JSON' },
        { flags: '--show-secrets', description: 'show secret values' },
      ],
      run: async (opts: { json?: boolean; showSecrets?: boolean }) => {
        const paths = cliPaths();
        if (opts.json) {
          const { rows } = await configRows(paths, Boolean(opts.showSecrets));
          out(JSON.stringify({ path: paths.configFile, settings: rows }, null, 2));
        } else out(await configListText(paths, Boolean(opts.showSecrets)));
        return 0;
      },
    },
    {
      name: 'get',
      args: [{ name: '<key>' }],
      description: 'print one setting',
      options: [{ flags: '--show-secrets', description: 'show a secret value' }],
      run: async (opts: { showSecrets?: boolean }, [key]: [string]) => {
        const c = await core();
        const { configKey, getPath, loadConfig } = c;
        configKey(key);
        const value = shown(c, key, getPath(loadConfig(cliPaths().configFile), key), Boolean(opts.showSecrets));
        if (value === undefined) {
          out('(not set)');
          return 1;
        }
        out(typeof value === 'string' ? value : JSON.stringify(value));
        return 0;
      },
    },
    {
      name: 'set',
      args: [{ name: '<key>' }, { name: '<value>' }],
      description: 'change one setting; an invalid value is rejected and the file is left untouched',
      run: async (_opts, [key, value]: [string, string]) => {
        const c = await core();
        const { setConfigValue, getPath, loadConfig } = c;
        const paths = cliPaths();
        setConfigValue(paths.configFile, key, value);
        out(`${key} = ${JSON.stringify(shown(c, key, getPath(loadConfig(paths.configFile), key), false))}`);
        const note = await restartNote(paths);
        if (note) out(note);
        return 0;
      },
    },
    {
      name: 'unset',
      args: [{ name: '<key>' }],
      description: 'return one setting to its default',
      run: async (_opts, [key]: [string]) => {
        const { unsetConfigValue } = await core();
        const paths = cliPaths();
        const removed = unsetConfigValue(paths.configFile, key);
        out(removed ? `${key} returned to its default` : `${key} was not set`);
        const note = removed ? await restartNote(paths) : undefined;
        if (note) out(note);
        return 0;
      },
    },
    {
      name: 'path',
      description: 'print where config.json lives',
      run: async () => {
        out(cliPaths().configFile);
        return 0;
      },
    },
  ],
};
