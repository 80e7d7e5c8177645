// Notices said once per process on stderr after the command's output (an untrusted rule pack was ignored): collected by any layer, printed by the CLI's entry.
const pending: string[] = [];
const said = new Set<string>();

/** Queues `line` unless this process already queued it. */
export function noticeOnce(line: string): void {
  if (said.has(line)) return;
  said.add(line);
  pending.push(line);
}

/** The queued notices, emptied. */
export function takeNotices(): string[] {
  return pending.splice(0);
}
