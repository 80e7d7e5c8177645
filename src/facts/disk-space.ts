// Fact disk-space: free space on the file system holding the opta home (fs.statfs of the nearest existing directory).
import fs from 'node:fs';
import path from 'node:path';
import type { FactCollector } from './fact.js';

export const diskSpace: FactCollector = {
  id: 'disk-space',
  description: 'fs.statfs of the home (or its nearest existing parent): free and total bytes (also in KiB and MiB)',
  async collect(ctx) {
    let dir = ctx.paths.home;
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const s = await fs.promises.statfs(dir);
    const freeBytes = s.bavail * s.bsize;
    const totalBytes = s.blocks * s.bsize;
    return {
      path: dir,
      freeBytes,
      totalBytes,
      freeMiB: Math.floor(freeBytes / 1048576),
      freeKiB: Math.floor(freeBytes / 1024),
      freePercent: totalBytes ? Math.round((freeBytes / totalBytes) * 1000) / 10 : null,
    };
  },
};
