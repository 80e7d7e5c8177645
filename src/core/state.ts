// The daemon state file (daemon/state.json): its zod schema, validated reads and atomic writes (zod-free reads and removal: state-lite.ts).
import { z } from 'zod';
import { writeFileAtomic } from './atomic.js';
import { readStateWith } from './state-lite.js';

export const DaemonStateSchema = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().min(1).max(65535),
  host: z.string().min(1),
  token: z.string().min(32),
  daemonId: z.string().min(1),
  startedAt: z.string().min(1),
  version: z.string().min(1),
});
export type DaemonState = z.infer<typeof DaemonStateSchema>;

export type StateClass = 'missing' | 'empty' | 'not-json' | 'wrong-shape' | 'valid';

export type StateRead =
  | { class: 'missing'; path: string }
  | { class: 'empty'; path: string }
  | { class: 'not-json'; path: string; error: string }
  | { class: 'wrong-shape'; path: string; error: string }
  | { class: 'valid'; path: string; state: DaemonState };

/** Reads and classifies state.json, validating with the zod schema. Never throws for bad content. */
export function readState(file: string): StateRead {
  return readStateWith(file, (json) => {
    const parsed = DaemonStateSchema.safeParse(json);
    if (parsed.success) return { ok: true, state: parsed.data };
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join('.') : '(root)';
    return { ok: false, error: `${where}: ${issue?.message ?? 'invalid'}` };
  });
}

export function writeState(file: string, state: DaemonState): void {
  writeFileAtomic(file, JSON.stringify(DaemonStateSchema.parse(state), null, 2) + '\n');
}
