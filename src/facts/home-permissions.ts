// Fact home-permissions: the home, daemon/ and sessions/ exist, belong to the user, are writable, and have no mode that matters; read-only.
import { inspectHome, isMissing } from '../core/home-modes.js';
import { displayPath } from '../core/paths.js';
import { linkOut } from '../core/own-path.js';
import type { FactCollector } from './fact.js';

export const homePermissions: FactCollector<'home-permissions'> = {
  id: 'home-permissions',
  description: 'home, daemon/, sessions/, state.json, config.json: existence, owner, mode and write access (fs.stat, fs.access)',
  collect(ctx) {
    const entries = inspectHome(ctx.paths, ctx.env);
    const missing = entries.filter(isMissing);
    const unwritable = entries.filter((e) => e.exists && !e.wrongType && e.writable === false);
    const notOwned = entries.filter((e) => e.exists && e.owned === false);
    const loose = entries.filter((e) => e.loose);
    // Links out of the home: the entries, and daemon.log (read by daemon logs, the bundle and the log analysis).
    const logOut = linkOut(ctx.paths.logFile, ctx.paths.home);
    const linksOut = [
      ...entries.filter((e) => e.linksOut !== null).map((e) => ({ display: e.display, target: e.linksOut! })),
      ...(logOut === undefined ? [] : [{ display: displayPath(ctx.paths.logFile, ctx.env), target: logOut }]),
    ];
    // Each entry's display is already one shell word (displayPath quotes what needs it).
    const chmod = loose.map((e) => `chmod ${e.wantMode.slice(1)} ${e.display}`).join(' && ');
    return {
      home: ctx.paths.home,
      /** The home as one shell word, for the commands the rules print (sudo chown -R ... <home>). */
      homeDisplay: displayPath(ctx.paths.home, ctx.env),
      entries,
      missingCount: missing.length,
      missingList: missing.map((e) => e.display).join(', '),
      unwritableCount: unwritable.length,
      unwritableList: unwritable.map((e) => `${e.display} (${e.mode})`).join(', '),
      notOwnedCount: notOwned.length,
      notOwnedList: notOwned.map((e) => e.display).join(', '),
      looseCount: loose.length,
      looseList: loose.map((e) => `${e.display} is ${e.mode} (${e.looseWhy})`).join(', '),
      chmodCommand: chmod || null,
      firstUnwritable: unwritable[0]?.display ?? null,
      linksOutCount: linksOut.length,
      linksOutList: linksOut.map((l) => `${l.display} -> ${l.target}`).join(', '),
      firstLinkOut: linksOut[0]?.display ?? null,
    };
  },
};
