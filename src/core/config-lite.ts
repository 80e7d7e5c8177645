// A zod-free reader for config.json that mirrors ConfigSchema exactly, so read-only paths (doctor, inspect) start fast.
import { causeText, errorCode } from './errors.js';
import type { OptaConfig } from './config.js';
import { readSmallFile } from './read-small.js';

/**
 * Why this exists: zod costs ~45 ms of start-up, more than half of `node -e 0`. The common case (no file, or
 * a valid file) is decided here; only an invalid file needs zod's wording (config.ts inspectConfig). A test
 * checks this validator against ConfigSchema on a table of inputs.
 */
export type ConfigLite =
  | { status: 'valid'; source: 'defaults' | 'file'; path: string; config: OptaConfig }
  | { status: 'unreadable' | 'not-json' | 'invalid'; path: string; error: string };

export const DEFAULT_CONFIG: OptaConfig = {
  lmx: { host: 'lmx-host.local', port: 1234, timeoutMs: 10000 },
  daemon: { host: '127.0.0.1', port: 9999, portRange: '10000-10020' },
  permissions: { timeoutMs: 300000 },
  logs: { maxBytes: 10 * 1024 * 1024 },
  tools: { memoryLimitMb: 64, maxReadBytes: 1024 * 1024, timeoutMs: 30000 },
};

type Check = (v: unknown) => string | undefined;
const str: Check = (v) => (typeof v === 'string' && v.length >= 1 ? undefined : 'expected a non-empty string');
const int = (min: number, max = Number.MAX_SAFE_INTEGER): Check => (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? undefined : `expected a whole number from ${min} to ${max}`;
const range: Check = (v) => {
  if (typeof v !== 'string' || !/^\d{1,5}-\d{1,5}$/.test(v)) return 'must look like "10000-10020"';
  const [a, b] = v.split('-').map(Number);
  return a >= 1 && b <= 65535 && a <= b ? undefined : 'must be two ports from 1 to 65535, low-high';
};

const SECTIONS: Record<string, Record<string, Check>> = {
  lmx: { host: str, port: int(1, 65535), apiKey: str, timeoutMs: int(100, 600000) },
  daemon: { host: str, port: int(1, 65535), portRange: range },
  permissions: { timeoutMs: int(100, 86400000) },
  logs: { maxBytes: int(4096) },
  tools: { memoryLimitMb: int(8, 4096), maxReadBytes: int(1, 1024 * 1024 * 1024), timeoutMs: int(10, 600000) },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates parsed JSON like ConfigSchema.safeParse; returns the config with defaults, or the first problem. */
export function checkConfigLite(raw: unknown): { ok: true; config: OptaConfig } | { ok: false; error: string } {
  if (!isObject(raw)) return { ok: false, error: '(root): expected an object' };
  const config = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, Record<string, unknown>>;
  for (const [section, value] of Object.entries(raw)) {
    const fields = SECTIONS[section];
    if (!fields) return { ok: false, error: `${section}: unrecognized key` };
    if (!isObject(value)) return { ok: false, error: `${section}: expected an object` };
    for (const [key, v] of Object.entries(value)) {
      const check = fields[key];
      if (!check) return { ok: false, error: `${section}.${key}: unrecognized key` };
      const problem = check(v);
      if (problem) return { ok: false, error: `${section}.${key}: ${problem}` };
      config[section][key] = v;
    }
  }
  return { ok: true, config: config as unknown as OptaConfig };
}

export function readConfigLite(file: string): ConfigLite {
  let text: string;
  try {
    text = readSmallFile(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { status: 'valid', source: 'defaults', path: file, config: structuredClone(DEFAULT_CONFIG) };
    return { status: 'unreadable', path: file, error: `cannot be read: ${causeText(err)}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { status: 'not-json', path: file, error: `is not valid JSON: ${causeText(err)}` };
  }
  const r = checkConfigLite(raw);
  return r.ok ? { status: 'valid', source: 'file', path: file, config: r.config } : { status: 'invalid', path: file, error: r.error };
}

/**
 * The daemon's config for read-only probes (its ports, to find it and to judge its port). A file made invalid by a
 * value elsewhere (a typo in lmx) still says where the running daemon was started: each daemon value that is valid on
 * its own is used; only what cannot be read falls back to the default.
 */
export function daemonSettings(file: string): OptaConfig['daemon'] {
  const r = readConfigLite(file);
  if (r.status === 'valid') return r.config.daemon;
  const out = { ...DEFAULT_CONFIG.daemon };
  let raw: unknown;
  try {
    raw = JSON.parse(readSmallFile(file));
  } catch {
    return out;
  }
  const given = isObject(raw) ? raw.daemon : undefined;
  if (!isObject(given)) return out;
  for (const [key, check] of Object.entries(SECTIONS.daemon)) {
    if (key in given && check(given[key]) === undefined) (out as Record<string, unknown>)[key] = given[key];
  }
  return out;
}

export function parsePortRange(range: string): number[] {
  const [a, b] = range.split('-').map(Number);
  const out: number[] = [];
  for (let p = a; p <= b; p++) out.push(p);
  return out;
}
