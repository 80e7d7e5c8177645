// What `opta daemon status` prints of an inspection (the support bundle shows the same text), and its next step per status.
import fs from 'node:fs';
import path from 'node:path';
import { formatDuration } from '../../core/duration.js';
import { builtinRulesDir } from '../../core/install.js';
import { fillTemplate } from '../../rules/language/template.js';
import { visible } from '../../rules/language/escape.js';
import { displayPath, type OptaPaths } from '../../core/paths.js';
import type { DaemonInspection } from './inspect.js';

/**
 * The command of each status's next step is the remediation of the doctor rule for that status (rules/doctor), read
 * from the rule file so it is written once; a placeholder names the file generically, as the guide does.
 */
const NEXT: Record<DaemonInspection['status'], { rule: string; say: (command: string) => string } | null> = {
  running: null,
  'not-running': { rule: 'daemon-not-running', say: (c) => `Start it: ${c}` },
  stale: { rule: 'daemon-stale-state', say: (c) => `The daemon crashed. Start it again (the stale state file is set aside as state.json.stale-<time>): ${c}` },
  foreign: { rule: 'daemon-foreign', say: (c) => `state.json names a process that is not this Opta daemon; it will not be signalled. Start a daemon (the state file is replaced): ${c}` },
  unresponsive: { rule: 'daemon-unresponsive', say: (c) => `Restart it: ${c} (then inspect: opta daemon logs --lines 200)` },
  'corrupt-state': { rule: 'daemon-state-corrupt', say: (c) => `Set the corrupt file aside and start: opta daemon start (or, as the guide says: ${c})` },
};

/** A built-in doctor rule's remediation; one small file read (no rule loader, no zod), only for a daemon that is not running. */
function remediationOf(rule: string): string {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(builtinRulesDir('doctor'), `${rule}.json`), 'utf8')) as { event: { params: { remediation: string } } };
    return fillTemplate(r.event.params.remediation, { daemon: { stateDisplay: '<state file>' } });
  } catch {
    // An installation without its rule files: doctor says what is wrong with it.
    return 'opta doctor';
  }
}

/** What a stopped record says, as one phrase: "stopped cleanly at <time>" (the time is the file's, escaped). */
export function stoppedNote(s: NonNullable<DaemonInspection['stopped']>): string {
  const at = visible(s.stoppedAt);
  return s.how === 'killed' ? `stopped at ${at}: opta daemon stop killed it after the grace period` : `stopped cleanly at ${at}`;
}

export function describeStatus(i: DaemonInspection, paths: OptaPaths, showSecrets: boolean): string {
  const lines: string[] = [];
  const s = i.state;
  switch (i.status) {
    case 'running': {
      const h = i.health ?? {};
      lines.push(`Daemon: running (pid ${s!.pid}, port ${s!.port})`);
      // An IPv6 host goes in brackets (http://[::1]:9999), as daemonUrl writes it: the line is a URL one can paste.
      lines.push(`  address:  http://${s!.host.includes(':') ? `[${s!.host}]` : s!.host}:${s!.port}`);
      lines.push(`  version:  ${s!.version}`);
      if (typeof h.uptimeMs === 'number') lines.push(`  uptime:   ${formatDuration(h.uptimeMs)}`);
      lines.push(`  daemonId: ${s!.daemonId}`);
      lines.push(`  token:    ${showSecrets ? s!.token : '******** (shown with --show-secrets)'}`);
      break;
    }
    case 'not-running':
      lines.push(`Daemon: not running${i.stopped ? ` (${stoppedNote(i.stopped)})` : ''}`);
      if (i.orphan) lines.push(`  but a daemon of this home answers on port ${i.orphan.port} (pid ${i.orphan.pid}) without a state file; opta daemon start re-registers it`);
      break;
    case 'stale':
      lines.push(`Daemon: stale (state.json names pid ${i.pid}, which is not running)`);
      break;
    case 'foreign':
      lines.push(`Daemon: foreign (state.json names pid ${i.pid}, which is ${i.command ? `"${i.command}"` : 'a process opta cannot inspect'}, not this home's Opta daemon)`);
      break;
    case 'unresponsive':
      lines.push(`Daemon: unresponsive (pid ${i.pid}, port ${s!.port}): ${i.problem}`);
      break;
    case 'corrupt-state':
      lines.push(`Daemon: corrupt-state (${i.stateClass}${i.stateError ? `: ${i.stateError}` : ''})`);
      if (i.orphan) lines.push(`  a daemon of this home answers on port ${i.orphan.port} (pid ${i.orphan.pid})`);
      break;
  }
  lines.push(`  state:    ${displayPath(paths.stateFile)}`);
  const next = NEXT[i.status];
  if (next) lines.push(`  next:     ${next.say(remediationOf(next.rule))}`);
  return lines.join('\n');
}

export function redactInspection(i: DaemonInspection, showSecrets: boolean): DaemonInspection {
  if (showSecrets || !i.state) return i;
  return { ...i, state: { ...i.state, token: '********' } };
}
