// The daemon state file (daemon/state.json): its zod schema (built from state-shape.ts), validated reads and atomic writes (zod-free reads and removal: state-lite.ts).
import { z } from 'zod';
import { writeFileAtomic } from './atomic.js';
import { readStateWith } from './state-lite.js';
import { STATE_FIELDS, type DaemonState as ShapeState, type StateField, type StateRead } from './state-shape.js';

/** One field's zod schema, built from its row in STATE_FIELDS. */
function fieldSchema(f: StateField): z.ZodType {
  if (f.type === 'positive-int') return z.number().int().positive();
  if (f.type === 'port') return z.number().int().min(1).max(65535);
  return z.string().min(f.minLength ?? 0);
}

/** Not strict, like checkStateLite: unknown keys are allowed and dropped. */
export const DaemonStateSchema = z.object(Object.fromEntries(STATE_FIELDS.map((f) => [f.key, fieldSchema(f)])) as {
  [K in keyof ShapeState]: z.ZodType<ShapeState[K]>;
});
export type DaemonState = z.infer<typeof DaemonStateSchema>;
export type { StateClass, StateRead } from './state-shape.js';

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
