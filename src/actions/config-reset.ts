// Action config.reset: resets each invalid value in config.json to its default (removes the key), after a backup copy of the file.
import fs from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';
import { getPath, inspectConfig } from '../core/config.js';
import { DEFAULT_CONFIG } from '../core/config-lite.js';
import { CONFIG_KEYS, SECRET_CONFIG_KEYS } from '../core/config-table.js';
import { OptaError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { resolveFile } from './catalog.js';
import { plan, type ActionImpl } from './action.js';
import { readSmallFile } from '../core/read-small.js';

const KNOWN = new Set(CONFIG_KEYS.map((k) => k.key));
const SECRET = new Set(SECRET_CONFIG_KEYS);

/** The known keys whose values are invalid; unknown keys and unreadable files are a person's call, not ours. */
function badKeys(file: string, env: NodeJS.ProcessEnv): { keys: string[]; blocked?: string } {
  const r = inspectConfig(file);
  if (r.valid) return { keys: [] };
  const fileProblem = r.problems.find((p) => p.key === '(file)');
  if (fileProblem) return { keys: [], blocked: `${displayPath(file, env)} ${fileProblem.message}` };
  return { keys: [...new Set(r.problems.map((p) => p.key).filter((k) => KNOWN.has(k)))] };
}

/**
 * How a value appears in the plan: secret keys masked, and an invalid value is never carried verbatim past its
 * user:password@ (a host with credentials is exactly the kind of invalid value this fix resets).
 */
const shown = (key: string, v: unknown) => (SECRET.has(key) ? '********' : JSON.stringify(typeof v === 'string' && v.includes('@') ? `********@${v.slice(v.lastIndexOf('@') + 1)}` : v));

export const configReset: ActionImpl<'config.reset'> = {
  async plan({ paths, env, args }) {
    const file = resolveFile(paths, args.file!);
    const { keys, blocked } = badKeys(file, env);
    if (!keys.length) return plan('nothing to do', { nothingToDo: blocked ?? 'no invalid value' });
    const raw = JSON.parse(readSmallFile(file)) as Record<string, unknown>;
    const list = keys.map((k) => `${k} ${shown(k, getPath(raw, k))} -> default ${shown(k, getPath(DEFAULT_CONFIG, k))}`);
    return plan(`reset ${list.join(', ')}`, {
      files: [
        { path: `${displayPath(file, env)}.bak-<time>`, change: 'created: a copy of config.json as it is now (0600)' },
        { path: displayPath(file, env), change: `rewritten without ${keys.join(', ')} (atomic, 0600)` },
      ],
    });
  },
  async run({ paths, env, args }) {
    const file = resolveFile(paths, args.file!);
    const { keys, blocked } = badKeys(file, env);
    if (blocked) throw new OptaError(`cannot reset values: ${blocked}. Fix or move the file by hand.`);
    if (!keys.length) return { outcome: 'skipped', message: 'no invalid value' };
    const text = readSmallFile(file);
    const backup = `${file}.bak-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    writeFileAtomic(backup, text);
    const raw = JSON.parse(text) as Record<string, Record<string, unknown>>;
    for (const key of keys) {
      const [section, name] = key.split('.');
      delete raw[section]?.[name];
      if (raw[section] && Object.keys(raw[section]).length === 0) delete raw[section];
    }
    writeFileAtomic(file, JSON.stringify(raw, null, 2) + '\n');
    return {
      outcome: 'done',
      message: `reset ${keys.join(', ')} to the default; the previous file is kept as ${displayPath(backup, env)}`,
      undoData: { file, backup },
    };
  },
  async undo({ env }, data) {
    const { file, backup } = data as { file: string; backup: string };
    writeFileAtomic(file, fs.readFileSync(backup));
    return `restored ${displayPath(file, env)} from ${displayPath(backup, env)}`;
  },
};
