// Fact home-permissions: the home, daemon/ and sessions/ exist, belong to the user, are private (0700/0600) and writable; read-only.
import fs from 'node:fs';
import { displayPath } from '../core/paths.js';
import type { FactCollector } from './fact.js';

interface Entry {
  name: string;
  path: string;
  display: string;
  kind: 'dir' | 'file';
  required: boolean;
  exists: boolean;
  wrongType: boolean;
  mode: string | null;
  private: boolean | null;
  owned: boolean | null;
  writable: boolean | null;
}

function inspect(name: string, p: string, kind: 'dir' | 'file', required: boolean, env: NodeJS.ProcessEnv): Entry {
  const e: Entry = { name, path: p, display: displayPath(p, env), kind, required, exists: false, wrongType: false, mode: null, private: null, owned: null, writable: null };
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return e;
  }
  e.exists = true;
  e.wrongType = kind === 'dir' ? !st.isDirectory() : !st.isFile();
  e.mode = '0' + (st.mode & 0o777).toString(8).padStart(3, '0');
  e.private = (st.mode & 0o077) === 0;
  const uid = process.getuid?.();
  e.owned = uid === undefined ? null : st.uid === uid;
  try {
    // access(W_OK) asks the kernel without writing anything.
    fs.accessSync(p, fs.constants.W_OK);
    e.writable = true;
  } catch {
    e.writable = false;
  }
  return e;
}

export const homePermissions: FactCollector = {
  id: 'home-permissions',
  description: 'home, daemon/, sessions/, state.json, config.json: existence, owner, mode and write access (fs.stat, fs.access)',
  collect(ctx) {
    const p = ctx.paths;
    const entries = [
      inspect('home', p.home, 'dir', true, ctx.env),
      inspect('daemon/', p.daemonDir, 'dir', true, ctx.env),
      inspect('sessions/', p.sessionsDir, 'dir', true, ctx.env),
      inspect('state.json', p.stateFile, 'file', false, ctx.env),
      inspect('config.json', p.configFile, 'file', false, ctx.env),
    ];
    const missing = entries.filter((e) => e.required && (!e.exists || e.wrongType));
    const unwritable = entries.filter((e) => e.exists && !e.wrongType && e.writable === false);
    const notOwned = entries.filter((e) => e.exists && e.owned === false);
    const loose = entries.filter((e) => e.exists && !e.wrongType && e.private === false);
    const quote = (s: string) => (/^[\w~./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
    const chmod = loose.map((e) => `chmod ${e.kind === 'dir' ? '700' : '600'} ${quote(e.display)}`).join(' && ');
    return {
      home: p.home,
      entries,
      missingCount: missing.length,
      missingList: missing.map((e) => e.display).join(', '),
      unwritableCount: unwritable.length,
      unwritableList: unwritable.map((e) => `${e.display} (${e.mode})`).join(', '),
      notOwnedCount: notOwned.length,
      notOwnedList: notOwned.map((e) => e.display).join(', '),
      looseCount: loose.length,
      looseList: loose.map((e) => `${e.display} is ${e.mode}`).join(', '),
      chmodCommand: chmod || null,
      firstUnwritable: unwritable[0]?.display ?? null,
    };
  },
};
