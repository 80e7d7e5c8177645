// The opta home's layout as the doctor judges it and `--fix` repairs it: which entries exist, and which modes matter.
import fs from 'node:fs';
import { displayPath, type OptaPaths } from './paths.js';
import { readSmallFile } from './read-small.js';
import { linkOut } from './own-path.js';

export interface HomeEntry {
  name: string;
  path: string;
  display: string;
  kind: 'dir' | 'file';
  required: boolean;
  exists: boolean;
  wrongType: boolean;
  mode: string | null;
  /** No access at all for group and others (what opta itself creates: 0700 / 0600). */
  private: boolean | null;
  /** A mode that matters (see looseReason); a private-enough mode such as a 0755 home is not loose. */
  loose: boolean;
  /** Why a loose mode matters, for the person reading the finding. */
  looseWhy: string | null;
  /** The mode --fix sets (and the chmod the finding prints). */
  wantMode: '0700' | '0600';
  owned: boolean | null;
  writable: boolean | null;
  /** Where the entry really is when a symlink takes it out of the home: never read, judged or chmodded through. */
  linksOut: string | null;
}

/** config.json holds a secret only when it sets lmx.apiKey; read without zod (the doctor's fast path). */
function configHasKey(file: string): boolean {
  try {
    const raw = JSON.parse(readSmallFile(file)) as { lmx?: { apiKey?: unknown } };
    return typeof raw?.lmx?.apiKey === 'string' && raw.lmx.apiKey.length > 0;
  } catch {
    return false;
  }
}

/**
 * Where a mode matters. A directory others can write to lets them replace what opta trusts (state.json, config);
 * a file holding a secret (state.json's token, config.json's lmx.apiKey) must not be readable by others; any file
 * others can write to can be changed under opta. Everything else (a 0755 home made by `mkdir -p`, with private
 * files and 0700 subdirectories) shows nothing but names, and stays healthy.
 */
function looseReason(kind: 'dir' | 'file', mode: number, secret: () => string | null): string | null {
  if (kind === 'dir') return mode & 0o022 ? 'others can write to it' : null;
  // The secret is looked for only when others could read the file (config.json is then parsed; usually it is not).
  const s = mode & 0o044 ? secret() : null;
  if (s) return `holds ${s}; others can read it`;
  if (mode & 0o022) return 'others can write to it';
  return null;
}

function inspect(name: string, p: string, kind: 'dir' | 'file', required: boolean, secret: () => string | null, env: NodeJS.ProcessEnv, home?: string): HomeEntry {
  const e: HomeEntry = {
    name,
    path: p,
    display: displayPath(p, env),
    kind,
    required,
    exists: false,
    wrongType: false,
    mode: null,
    private: null,
    loose: false,
    looseWhy: null,
    wantMode: kind === 'dir' ? '0700' : '0600',
    owned: null,
    writable: null,
    linksOut: null,
  };
  // An entry that a link takes out of the home is not opta's: it exists, and nothing about its target is judged
  // (no mode, no secret read, so --fix never chmods through it); the home-permissions fact reports it.
  const out = home === undefined ? undefined : linkOut(p, home);
  if (out !== undefined) {
    e.exists = true;
    e.linksOut = out;
    return e;
  }
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
  if (!e.wrongType) {
    e.looseWhy = looseReason(kind, st.mode & 0o777, secret);
    e.loose = e.looseWhy !== null;
  }
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

/** The home, daemon/, sessions/ (required directories, in creation order), state.json and config.json; read-only. */
export function inspectHome(paths: OptaPaths, env: NodeJS.ProcessEnv = process.env): HomeEntry[] {
  return [
    inspect('home', paths.home, 'dir', true, () => null, env),
    inspect('daemon/', paths.daemonDir, 'dir', true, () => null, env, paths.home),
    inspect('sessions/', paths.sessionsDir, 'dir', true, () => null, env, paths.home),
    inspect('state.json', paths.stateFile, 'file', false, () => 'the daemon token', env, paths.home),
    inspect('config.json', paths.configFile, 'file', false, () => (configHasKey(paths.configFile) ? 'lmx.apiKey' : null), env, paths.home),
  ];
}

export const isMissing = (e: HomeEntry) => e.required && (!e.exists || e.wrongType);
