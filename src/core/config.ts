// config.json: the zod schema (built from config-table.ts), and reads/writes that never leave a half-valid file behind.
import fs from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from './atomic.js';
import { causeText, errorCode, OptaError, UsageError } from './errors.js';
import {
  configKey,
  configSections,
  hostProblem,
  nameOf,
  portRangeBoundsOk,
  PORT_RANGE_BOUNDS_MESSAGE,
  PORT_RANGE_SHAPE,
  PORT_RANGE_SHAPE_MESSAGE,
  type ConfigKey,
  type OptaConfig as TableConfig,
} from './config-table.js';
import { readSmallFile } from './read-small.js';

/** One key's zod schema, built from its table row; the checks and their order are what zod's messages depend on. */
function valueSchema(k: ConfigKey): z.ZodType {
  if (k.type === 'string') return z.string().min(1);
  if (k.type === 'host') return z.string().min(1).superRefine((v, ctx) => {
    const problem = hostProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
  if (k.type === 'port-range') return z.string().regex(PORT_RANGE_SHAPE, PORT_RANGE_SHAPE_MESSAGE).refine(portRangeBoundsOk, PORT_RANGE_BOUNDS_MESSAGE);
  let n = z.number().int();
  if (k.min !== undefined) n = n.min(k.min);
  if (k.max !== undefined) n = n.max(k.max);
  return n;
}

/** Strict at every level (a typo is an error, not ignored); a missing section or key takes its default. */
export const ConfigSchema = z
  .object(
    Object.fromEntries(
      configSections().map(([section, keys]) => [
        section,
        z
          .object(Object.fromEntries(keys.map((k) => [nameOf(k), k.default === undefined ? valueSchema(k).optional() : valueSchema(k).default(k.default as never)])))
          .strict()
          .prefault({}),
      ]),
    ),
  )
  .strict() as unknown as z.ZodType<TableConfig>;
export type OptaConfig = z.infer<typeof ConfigSchema>;

export { CONFIG_KEYS, configKey, type ConfigKey } from './config-table.js';

export interface ConfigProblem {
  /** The full key ("lmx.port", "lmx.hots", "bogus"), or "(file)" / "(root)". */
  key: string;
  message: string;
}

export type ConfigRead =
  | { valid: true; source: 'defaults' | 'file'; path: string; config: OptaConfig; raw: Record<string, unknown> }
  | { valid: false; path: string; problems: ConfigProblem[] };

/** The message of a ConfigProblem about a key the schema does not know. */
export const UNKNOWN_KEY = 'unknown key';

/** Reads config.json without throwing for bad content: a missing file means defaults and is valid. */
export function inspectConfig(file: string): ConfigRead {
  let text: string;
  try {
    text = readSmallFile(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { valid: true, source: 'defaults', path: file, config: ConfigSchema.parse({}), raw: {} };
    return { valid: false, path: file, problems: [{ key: '(file)', message: `cannot be read: ${causeText(err)}` }] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { valid: false, path: file, problems: [{ key: '(file)', message: `is not valid JSON: ${causeText(err)}` }] };
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      valid: false,
      path: file,
      // zod reports unknown keys at their parent ("lmx", or the root); name each key by its own full path instead.
      problems: parsed.error.issues.flatMap((i) =>
        i.code === 'unrecognized_keys'
          ? i.keys.map((k) => ({ key: [...i.path, k].join('.'), message: UNKNOWN_KEY }))
          : [{ key: i.path.length ? i.path.join('.') : '(root)', message: i.message }],
      ),
    };
  }
  return { valid: true, source: 'file', path: file, config: parsed.data, raw: raw as Record<string, unknown> };
}

/** Loads the config or throws one clear error naming the file, the key and the next step. */
export function loadConfig(file: string): OptaConfig {
  const r = inspectConfig(file);
  if (r.valid) return r.config;
  const p = r.problems.map((x) => `${x.key}: ${x.message}`).join('; ');
  throw new OptaError(`config file ${file} is invalid (${p}). Fix it with "opta config set <key> <value>" or "opta config unset <key>", or edit the file.`);
}

export function getPath(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function parseValue(k: ConfigKey, value: string): unknown {
  if (k.type === 'number') {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`invalid value for ${k.key}: "${value}" is not a whole number. Nothing was changed.`);
    return Number(value);
  }
  return value;
}

function rawForWrite(file: string): Record<string, unknown> {
  const r = inspectConfig(file);
  if (!r.valid && r.problems.some((p) => p.key === '(file)')) {
    throw new OptaError(`config file ${file} ${r.problems[0].message}. Nothing was changed; fix or move the file, then try again.`);
  }
  if (r.valid) return structuredClone(r.raw);
  return JSON.parse(readSmallFile(file)) as Record<string, unknown>;
}

function validateAndWrite(file: string, raw: Record<string, unknown>, key: string): void {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues.find((i) => i.path.join('.') === key) ?? parsed.error.issues[0];
    throw new UsageError(`invalid value for ${issue.path.join('.') || key}: ${issue.message}. Nothing was changed.`);
  }
  writeFileAtomic(file, JSON.stringify(raw, null, 2) + '\n');
}

export function setConfigValue(file: string, key: string, value: string): void {
  const k = configKey(key);
  const raw = rawForWrite(file);
  const [section, name] = key.split('.');
  const sec = (typeof raw[section] === 'object' && raw[section] !== null ? raw[section] : {}) as Record<string, unknown>;
  sec[name] = parseValue(k, value);
  raw[section] = sec;
  validateAndWrite(file, raw, key);
}

export function unsetConfigValue(file: string, key: string): boolean {
  configKey(key);
  if (!fs.existsSync(file)) return false;
  const raw = rawForWrite(file);
  const [section, name] = key.split('.');
  const sec = raw[section] as Record<string, unknown> | undefined;
  if (!sec || !(name in sec)) return false;
  delete sec[name];
  if (Object.keys(sec).length === 0) delete raw[section];
  validateAndWrite(file, raw, key);
  return true;
}

export function maskSecret(value: unknown): string {
  // No characters of the secret at all: a suffix is enough to confirm a guess.
  return typeof value === 'string' && value.length > 0 ? '********' : String(value);
}
