// Fact daemon-log: size of daemon/daemon.log against logs.maxBytes (the daemon rotates before passing it).
import fs from 'node:fs';
import { readConfigLite, DEFAULT_CONFIG } from '../core/config-lite.js';
import { displayPath } from '../core/paths.js';
import type { FactCollector } from './fact.js';

function human(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${Math.round((n / 1048576) * 10) / 10} MiB`;
}

export const daemonLog: FactCollector<'daemon-log'> = {
  id: 'daemon-log',
  description: 'fs.stat of daemon/daemon.log and the configured logs.maxBytes',
  collect(ctx) {
    const file = ctx.paths.logFile;
    const cfg = readConfigLite(ctx.paths.configFile);
    const maxBytes = cfg.status === 'valid' ? cfg.config.logs.maxBytes : DEFAULT_CONFIG.logs.maxBytes;
    let sizeBytes = 0;
    let exists = false;
    try {
      sizeBytes = fs.statSync(file).size;
      exists = true;
    } catch {
      // No log yet: the daemon has not run in this home.
    }
    return { path: file, display: displayPath(file, ctx.env), exists, sizeBytes, size: human(sizeBytes), maxBytes, max: human(maxBytes) };
  },
};
