// A zod-free reader for config.json, its checks and defaults derived from config-table.ts, so read-only paths (doctor, inspect) start fast.
import { causeText, errorCode } from './errors.js';
import { CONFIG_KEYS, configSections, hostProblem, nameOf, portRangeBoundsOk, PORT_RANGE_BOUNDS_MESSAGE, PORT_RANGE_SHAPE, PORT_RANGE_SHAPE_MESSAGE, type ConfigKey, type OptaConfig } from './config-table.js';
import { readSmallFile } from './read-small.js';

/**
 * Why this exists: zod costs ~45 ms of start-up, more than half of `node -e 0`. The common case (no file, or
 * a valid file) is decided here; only an invalid file needs zod's wording (config.ts inspectConfig). A test
 * checks this checker against ConfigSchema (both built from the table) on a table of inputs.
 */
export type ConfigLite =
  | { status: 'valid'; source: 'defaults' | 'file'; path: string; config: OptaConfig }
  | { status: 'unreadable' | 'not-json' | 'invalid'; path: string; error: string };

type Check = (v: unknown) => string | undefined;

/** The fast check of one key's value: undefined when valid, else the problem in words. */
function checkOf(k: ConfigKey): Check {
  if (k.type === 'string') return (v) => (typeof v === 'string' && v.length >= 1 ? undefined : 'expected a non-empty string');
  if (k.type === 'host') return (v) => (typeof v === 'string' && v.length >= 1 ? hostProblem(v) : 'expected a non-empty string');
  if (k.type === 'port-range') {
    return (v) => {
      if (typeof v !== 'string' || !PORT_RANGE_SHAPE.test(v)) return PORT_RANGE_SHAPE_MESSAGE;
      return portRangeBoundsOk(v) ? undefined : PORT_RANGE_BOUNDS_MESSAGE;
    };
  }
  const min = k.min ?? Number.MIN_SAFE_INTEGER;
  const max = k.max ?? Number.MAX_SAFE_INTEGER;
  return (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? undefined : `expected a whole number from ${min} to ${max}`);
}

const SECTIONS: Record<string, Record<string, Check>> = Object.fromEntries(
  configSections().map(([section, keys]) => [section, Object.fromEntries(keys.map((k) => [nameOf(k), checkOf(k)]))]),
);

function defaults(): OptaConfig {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, keys] of configSections()) {
    out[section] = {};
    for (const k of keys) if (k.default !== undefined) out[section][nameOf(k)] = k.default;
  }
  return out as unknown as OptaConfig;
}

/** Every value a missing config.json stands for (what ConfigSchema.parse({}) returns). */
export const DEFAULT_CONFIG: OptaConfig = defaults();

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
 * The config for read-only probes (the daemon's ports, to find it and to judge its port; the LMX address). A file made
 * invalid by a value elsewhere (a typo in lmx) still says where things are: each value that is valid on its own is
 * used; only what cannot be read falls back to the default.
 */
export function effectiveConfig(file: string): OptaConfig {
  const r = readConfigLite(file);
  if (r.status === 'valid') return r.config;
  const out = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, Record<string, unknown>>;
  let raw: unknown;
  try {
    raw = JSON.parse(readSmallFile(file));
  } catch {
    return out as unknown as OptaConfig;
  }
  for (const k of CONFIG_KEYS) {
    const section = k.key.split('.')[0];
    const name = nameOf(k);
    const given = isObject(raw) ? raw[section] : undefined;
    if (isObject(given) && name in given && SECTIONS[section][name](given[name]) === undefined) out[section][name] = given[name];
  }
  return out as unknown as OptaConfig;
}

/** The daemon's settings for read-only probes (see effectiveConfig). */
export function daemonSettings(file: string): OptaConfig['daemon'] {
  return effectiveConfig(file).daemon;
}
