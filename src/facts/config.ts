// Fact config: is config.json valid (a missing file is), which key is wrong and why, and the effective settings (secrets masked).
import fs from 'node:fs';
import { checkConfigLite, DEFAULT_CONFIG, readConfigLite } from '../core/config-lite.js';
import { displayPath } from '../core/paths.js';
import type { FactCollector, FactValue } from './fact.js';
import { readSmallFile } from '../core/read-small.js';

const KNOWN = new Set(['lmx.host', 'lmx.port', 'lmx.apiKey', 'lmx.timeoutMs', 'daemon.host', 'daemon.port', 'daemon.portRange', 'permissions.timeoutMs', 'logs.maxBytes', 'tools.memoryLimitMb', 'tools.maxReadBytes', 'tools.timeoutMs']);

/** Each setting from the file when that one value is valid, else its default: probes go where the person meant. */
function effective(file: string): typeof DEFAULT_CONFIG {
  let raw: Record<string, Record<string, unknown>> = {};
  try {
    raw = JSON.parse(readSmallFile(file)) as typeof raw;
  } catch {
    return structuredClone(DEFAULT_CONFIG);
  }
  const out = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, Record<string, unknown>>;
  for (const [section, values] of Object.entries(out)) {
    const given = raw && typeof raw === 'object' ? raw[section] : undefined;
    if (!given || typeof given !== 'object') continue;
    for (const key of KNOWN) {
      const [s, k] = key.split('.');
      if (s !== section || !(k in given)) continue;
      if (checkConfigLite({ [s]: { [k]: given[k] } }).ok) values[k] = given[k];
    }
  }
  return out as unknown as typeof DEFAULT_CONFIG;
}

export const config: FactCollector<'config'> = {
  id: 'config',
  description: 'config.json validated like `opta config` does; effective lmx/daemon/logs settings',
  async collect(ctx) {
    const file = ctx.paths.configFile;
    const lite = readConfigLite(file);
    const cfg = lite.status === 'valid' ? lite.config : effective(file);
    const settings = {
      lmx: { host: cfg.lmx.host, port: cfg.lmx.port, timeoutMs: cfg.lmx.timeoutMs, apiKey: cfg.lmx.apiKey ? '********' : null },
      daemon: cfg.daemon,
      logs: cfg.logs,
      permissions: cfg.permissions,
      tools: cfg.tools,
    };
    // When the file last changed: a daemon reads its settings once, at start (rule config-changed-since-start).
    let modifiedMs: number | null = null;
    try {
      modifiedMs = Math.floor(fs.statSync(file).mtimeMs);
    } catch {
      // No config.json: defaults, which the daemon read too.
    }
    const modifiedAt = modifiedMs === null ? null : new Date(modifiedMs).toISOString();
    const base = { path: file, display: displayPath(file, ctx.env), ...settings, modifiedMs, modifiedAt };
    if (lite.status === 'valid') return { ...base, valid: true, status: 'valid', source: lite.source, problems: [], problemCount: 0, firstProblem: null, badValueCount: 0, unknownKeyCount: 0 };
    let problems: Array<{ key: string; message: string; kind: string }>;
    if (lite.status === 'invalid') {
      // Only an invalid file pays for zod, so the wording matches `opta config set` exactly.
      const { inspectConfig, UNKNOWN_KEY } = await import('../core/config.js');
      const r = inspectConfig(file);
      const list = r.valid ? [{ key: '(root)', message: lite.error }] : r.problems;
      // inspectConfig names each unknown key by its full path ("bogus", "lmx.hots").
      problems = list.map((p) => ({ ...p, kind: p.message === UNKNOWN_KEY ? 'unknown-key' : KNOWN.has(p.key) ? 'bad-value' : p.key === '(file)' ? 'file' : 'unknown-key' }));
    } else {
      problems = [{ key: '(file)', message: lite.error, kind: 'file' }];
    }
    const out: FactValue = { ...base, valid: false, status: lite.status, source: 'file', problems, problemCount: problems.length, firstProblem: problems[0] };
    out.unknownKeys = problems.filter((p) => p.kind === 'unknown-key').map((p) => p.key).join(', ');
    out.badValues = problems.filter((p) => p.kind === 'bad-value').map((p) => `${p.key}: ${p.message}`).join('; ');
    out.firstBadKey = problems.find((p) => p.kind === 'bad-value')?.key ?? null;
    out.badValueCount = problems.filter((p) => p.kind === 'bad-value').length;
    out.unknownKeyCount = problems.filter((p) => p.kind === 'unknown-key').length;
    return out;
  },
};
