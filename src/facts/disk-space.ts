// Fact disk-space: free space on the file system holding the opta home (fs.statfs of the nearest existing directory).
import fs from 'node:fs';
import path from 'node:path';
import type { FactCollector } from './fact.js';
import { displayPath } from '../core/paths.js';

export const diskSpace: FactCollector<'disk-space'> = {
  id: 'disk-space',
  description: 'fs.statfs of the home (or its nearest existing parent): free and total bytes (also in KiB and MiB)',
  async collect(ctx) {
    let dir = ctx.paths.home;
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    // The callback form: fs.promises would load its module (~0.8 ms) for this one call.
    const s = await new Promise<fs.StatsFs>((resolve, reject) => fs.statfs(dir, (err, st) => (err ? reject(err) : resolve(st))));
    const freeBytes = s.bavail * s.bsize;
    const totalBytes = s.blocks * s.bsize;
    return {
      path: dir,
      /** The directory as one shell word, for the command the rules print (df -h <dir>). */
      display: displayPath(dir, ctx.env),
      freeBytes,
      totalBytes,
      freeMiB: Math.floor(freeBytes / 1048576),
      freeKiB: Math.floor(freeBytes / 1024),
      freePercent: totalBytes ? Math.round((freeBytes / totalBytes) * 1000) / 10 : null,
    };
  },
};
