// The daemon state file (daemon/state.json): its zod schemas (built from state-shape.ts) and validated reads (zod-free reads, writes, stop records and removal: state-lite.ts).
import { z } from 'zod';
import { readStateWith } from './state-lite.js';
import { STATE_FIELDS, type DaemonState as ShapeState, type StoppedState as ShapeStopped, type StateField, type StateVariant } from './state-shape.js';

/** One field's zod schema, built from its row in STATE_FIELDS. */
function fieldSchema(f: StateField): z.ZodType {
  if (f.type === 'positive-int') return z.number().int().positive();
  if (f.type === 'port') return z.number().int().min(1).max(65535);
  if (f.type === 'one-of') return z.enum(f.values as [string, ...string[]]);
  return z.string().min(f.minLength ?? 0);
}

function objectOf(variant: StateVariant) {
  return z.object(Object.fromEntries(STATE_FIELDS[variant].map((f) => [f.key, fieldSchema(f)])));
}

/** Not strict, like checkStateLite: unknown keys are allowed and dropped. */
export const DaemonStateSchema = objectOf('running') as unknown as z.ZodObject<{ [K in keyof ShapeState]: z.ZodType<ShapeState[K]> }>;
export const StoppedStateSchema = objectOf('stopped') as unknown as z.ZodObject<{ [K in keyof ShapeStopped]: z.ZodType<ShapeStopped[K]> }>;
export type DaemonState = z.infer<typeof DaemonStateSchema>;
export type StoppedState = z.infer<typeof StoppedStateSchema>;
export type { StateClass, StateRead } from './state-shape.js';

const SCHEMAS = { running: DaemonStateSchema, stopped: StoppedStateSchema } as const;

/** Reads and classifies state.json, validating with the zod schemas. Never throws for bad content. */
export function readState(file: string) {
  return readStateWith(file, (json, variant) => {
    const parsed = SCHEMAS[variant].safeParse(json);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join('.') : '(root)';
    return { ok: false, error: `${where}: ${issue?.message ?? 'invalid'}` };
  });
}

/** The running record's write: zod-free (the daemon writes it before it serves), checked as DaemonStateSchema checks. */
export { writeState } from './state-lite.js';
