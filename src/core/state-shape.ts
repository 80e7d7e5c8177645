// The one definition of daemon/state.json's shape: its fields, the zod-free check, and the types (state.ts builds the zod schema from it).
/**
 * Why zod-free: `opta doctor` and inspect read state.json at start-up, where zod would add ~45 ms. A test checks
 * checkStateLite against DaemonStateSchema (both built from STATE_FIELDS) on a table of inputs.
 */
export type StateFieldType = 'positive-int' | 'port' | 'string';

const FIELDS = [
  { key: 'pid', type: 'positive-int' },
  { key: 'port', type: 'port' },
  { key: 'host', type: 'string', minLength: 1 },
  { key: 'token', type: 'string', minLength: 32 },
  { key: 'daemonId', type: 'string', minLength: 1 },
  { key: 'startedAt', type: 'string', minLength: 1 },
  { key: 'version', type: 'string', minLength: 1 },
] as const satisfies ReadonlyArray<{ key: string; type: StateFieldType; minLength?: number }>;

type Field = (typeof FIELDS)[number];
/** What a valid state.json holds (unknown keys are dropped). */
export type DaemonState = { [F in Field as F['key']]: F['type'] extends 'string' ? string : number };

export interface StateField {
  key: keyof DaemonState;
  type: StateFieldType;
  /** For strings: the fewest characters. */
  minLength?: number;
}
export const STATE_FIELDS: readonly StateField[] = FIELDS;

export type StateClass = 'missing' | 'empty' | 'not-json' | 'wrong-shape' | 'valid';

export type StateRead =
  | { class: 'missing'; path: string }
  | { class: 'empty'; path: string }
  | { class: 'not-json'; path: string; error: string }
  | { class: 'wrong-shape'; path: string; error: string }
  | { class: 'valid'; path: string; state: DaemonState };

export type StateCheck = (json: unknown) => { ok: true; state: DaemonState } | { ok: false; error: string };

function problemOf(f: StateField, v: unknown): string | undefined {
  if (f.type === 'positive-int') return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? undefined : 'expected a positive whole number';
  if (f.type === 'port') return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= 65535 ? undefined : 'expected a port from 1 to 65535';
  const min = f.minLength ?? 0;
  if (typeof v === 'string' && v.length >= min) return undefined;
  return min === 1 ? 'expected a non-empty string' : `expected a string of at least ${min} characters`;
}

/** Validates parsed JSON like DaemonStateSchema.safeParse; the first problem names its field. */
export const checkStateLite: StateCheck = (json) => {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, error: '(root): expected an object' };
  const o = json as Record<string, unknown>;
  const state: Record<string, unknown> = {};
  for (const f of STATE_FIELDS) {
    const problem = problemOf(f, o[f.key]);
    if (problem) return { ok: false, error: `${f.key}: ${problem}` };
    state[f.key] = o[f.key];
  }
  // Like a non-strict zod object: unknown keys are allowed and dropped.
  return { ok: true, state: state as DaemonState };
};
