// Fact config: is config.json valid (a missing file is), which key is wrong and why, and the effective settings (secrets masked).
import fs from 'node:fs';
import { effectiveConfig, readConfigLite } from '../core/config-lite.js';
import { CONFIG_KEYS } from '../core/config-table.js';
import { displayPath } from '../core/paths.js';
import { configDigest } from '../core/config-digest.js';
import type { FactCollector, FactValue } from './fact.js';

const KNOWN = new Set(CONFIG_KEYS.map((k) => k.key));

export const config: FactCollector<'config'> = {
  id: 'config',
  description: 'config.json validated like `opta config` does; effective lmx/daemon/logs settings',
  async collect(ctx) {
    const file = ctx.paths.configFile;
    const lite = readConfigLite(file);
    const cfg = lite.status === 'valid' ? lite.config : effectiveConfig(file);
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
    // What the file's settings are now, as a digest the running daemon's can be compared with (null while invalid).
    const digest = lite.status === 'valid' ? configDigest(lite.config) : null;
    const base = { path: file, display: displayPath(file, ctx.env), ...settings, modifiedMs, modifiedAt, digest };
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
