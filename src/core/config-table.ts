// The one definition of config.json: every key with its type, bounds, default, secrecy and description (zod-free).
import { UsageError } from './errors.js';

/**
 * Why zod-free: the redactor (secret keys) and the read-only fast paths (doctor, inspect, daemon logs) need the table
 * at start-up, where zod would cost ~45 ms. config.ts builds the zod schema from this table, config-lite.ts the fast
 * checker and the defaults; a test checks that the two agree.
 */
export interface ConfigKeySpec {
  /** "section.name" */
  key: string;
  /**
   * 'port-range' is a string "low-high"; 'number' is a whole number from min to max (max: unbounded when absent);
   * 'host' a host name or address and nothing else (no user:password@, scheme, path or port).
   */
  type: 'string' | 'number' | 'port-range' | 'host';
  min?: number;
  max?: number;
  /** Absent: the key is optional and has no value until set. */
  default?: string | number;
  secret?: boolean;
  description: string;
}

const TABLE = [
  { key: 'lmx.host', type: 'host', default: 'lmx-host.local', description: 'LMX inference server host' },
  { key: 'lmx.port', type: 'number', min: 1, max: 65535, default: 1234, description: 'LMX inference server port' },
  { key: 'lmx.apiKey', type: 'string', secret: true, description: 'LMX API key (secret)' },
  { key: 'lmx.timeoutMs', type: 'number', min: 100, max: 600000, default: 10000, description: 'LMX request timeout in milliseconds' },
  { key: 'daemon.host', type: 'host', default: '127.0.0.1', description: 'address the daemon binds (keep 127.0.0.1)' },
  { key: 'daemon.port', type: 'number', min: 1, max: 65535, default: 9999, description: 'preferred daemon port' },
  { key: 'daemon.portRange', type: 'port-range', default: '10000-10020', description: 'fallback ports tried when daemon.port is taken' },
  { key: 'permissions.timeoutMs', type: 'number', min: 100, max: 86400000, default: 300000, description: 'auto-deny permission requests after this long' },
  { key: 'logs.maxBytes', type: 'number', min: 4096, default: 10 * 1024 * 1024, description: 'rotate daemon.log to daemon.log.1 past this size' },
  { key: 'tools.memoryLimitMb', type: 'number', min: 8, max: 4096, default: 64, description: 'heap limit of the tool worker' },
  { key: 'tools.maxReadBytes', type: 'number', min: 1, max: 1024 * 1024 * 1024, default: 1024 * 1024, description: 'read_file reads at most this many bytes of a file (the cut is reported)' },
  { key: 'tools.timeoutMs', type: 'number', min: 10, max: 600000, default: 30000, description: 'a tool call running longer is stopped and fails' },
] as const satisfies readonly ConfigKeySpec[];

/** Every settable key; the schema's key order and `opta config list` follow this order. */
export const CONFIG_KEYS: readonly ConfigKey[] = TABLE;
export type ConfigKey = ConfigKeySpec;

type Row = (typeof TABLE)[number];

type SectionOf<K> = K extends `${infer S}.${string}` ? S : never;
type NameIn<K, S extends string> = K extends `${S}.${infer N}` ? N : never;
type ValueOf<R> = R extends { type: 'number' } ? number : string;
type Section<S extends string> = { [R in Row as R extends { default: unknown } ? NameIn<R['key'], S> : never]: ValueOf<R> } & {
  [R in Row as R extends { default: unknown } ? never : NameIn<R['key'], S>]?: ValueOf<R>;
};
/** The config with defaults filled in (what ConfigSchema.parse returns; z.infer<typeof ConfigSchema> is this type). */
export type OptaConfig = { [S in SectionOf<Row['key']>]: { [P in keyof Section<S>]: Section<S>[P] } };

/** The section and name of a key, in table order: lmx -> [host, port, apiKey, timeoutMs], ... */
export function configSections(): Array<[string, ConfigKey[]]> {
  const out = new Map<string, ConfigKey[]>();
  for (const k of CONFIG_KEYS) {
    const section = k.key.split('.')[0];
    out.set(section, [...(out.get(section) ?? []), k]);
  }
  return [...out];
}

/** The part of a key after its section ("lmx.apiKey" -> "apiKey"). */
export const nameOf = (k: ConfigKey): string => k.key.slice(k.key.indexOf('.') + 1);

export const PORT_RANGE_SHAPE = /^\d{1,5}-\d{1,5}$/;
export const PORT_RANGE_SHAPE_MESSAGE = 'must look like "10000-10020"';
export const PORT_RANGE_BOUNDS_MESSAGE = 'must be two ports from 1 to 65535, low-high';
/** "low-high" with both ends real ports; the shape is checked separately (zod runs both checks, in this order). */
export function portRangeBoundsOk(s: string): boolean {
  const [a, b] = s.split('-').map(Number);
  return a >= 1 && b <= 65535 && a <= b;
}

/**
 * Why a host setting is not a host, or undefined. A host is a host: user:password@ in it would be printed by every
 * command that names the host (next: ping -c 3 <host>), so it is refused, and the message never repeats the value.
 */
export function hostProblem(v: string): string | undefined {
  if (v.includes('@')) return 'must be a host name or address only, without user:password@ (credentials in a host setting show in opta\'s output; the LMX API key goes in lmx.apiKey)';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'must be a host name or address only, without a scheme such as http://';
  if (/[\s/\\?#]|[\u0000-\u001f\u007f]/.test(v)) return 'must be a host name or address only (no spaces, slashes, paths or control characters)';
  return undefined;
}

export function configKey(key: string): ConfigKey {
  const k = CONFIG_KEYS.find((c) => c.key === key);
  if (!k) throw new UsageError(`unknown config key "${key}". Known keys: ${CONFIG_KEYS.map((c) => c.key).join(', ')}.`);
  return k;
}

/** The keys whose values are secrets (masked in `opta config`, replaced by the redactor). */
export const SECRET_CONFIG_KEYS: readonly string[] = CONFIG_KEYS.filter((k) => k.secret).map((k) => k.key);
