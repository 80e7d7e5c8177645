// Every settable config key and which ones are secrets, without zod (the redactor needs the secret keys at start-up).
import { UsageError } from './errors.js';

export interface ConfigKey {
  key: string;
  type: 'string' | 'number';
  secret?: boolean;
  description: string;
}

/** Every settable key; `opta config list` prints them in this order. */
export const CONFIG_KEYS: ConfigKey[] = [
  { key: 'lmx.host', type: 'string', description: 'LMX inference server host' },
  { key: 'lmx.port', type: 'number', description: 'LMX inference server port' },
  { key: 'lmx.apiKey', type: 'string', secret: true, description: 'LMX API key (secret)' },
  { key: 'lmx.timeoutMs', type: 'number', description: 'LMX request timeout in milliseconds' },
  { key: 'daemon.host', type: 'string', description: 'address the daemon binds (keep 127.0.0.1)' },
  { key: 'daemon.port', type: 'number', description: 'preferred daemon port' },
  { key: 'daemon.portRange', type: 'string', description: 'fallback ports tried when daemon.port is taken' },
  { key: 'permissions.timeoutMs', type: 'number', description: 'auto-deny permission requests after this long' },
  { key: 'logs.maxBytes', type: 'number', description: 'rotate daemon.log to daemon.log.1 past this size' },
  { key: 'tools.memoryLimitMb', type: 'number', description: 'heap limit of the tool worker' },
  { key: 'tools.maxReadBytes', type: 'number', description: 'read_file reads at most this many bytes of a file (the cut is reported)' },
  { key: 'tools.timeoutMs', type: 'number', description: 'a tool call running longer is stopped and fails' },
];

export function configKey(key: string): ConfigKey {
  const k = CONFIG_KEYS.find((c) => c.key === key);
  if (!k) throw new UsageError(`unknown config key "${key}". Known keys: ${CONFIG_KEYS.map((c) => c.key).join(', ')}.`);
  return k;
}
