// The one definition of daemon/state.json's shape: its two records (running, stopped), their fields, the zod-free check, and the types (state.ts builds the zod schemas from it).
/**
 * Why zod-free: `opta doctor` and inspect read state.json at start-up, where zod would add ~45 ms. A test checks
 * checkStateLite against the zod schemas (both built from these field lists) on a table of inputs.
 *
 * Two records share the file. A running daemon's record (pid, port, host, token, ...) has no `status` key, as files
 * written before stopped records existed, so those stay readable. A daemon that stops cleanly rewrites it as a stopped
 * record, `"status": "stopped"` first: when it stopped, how, and the pid, port and id it had, without the token
 * (nothing can use it any more). A stopped record never names a process to check or signal: its pid is history.
 */
export type StateFieldType = 'positive-int' | 'port' | 'string' | 'one-of';

const PID = { key: 'pid', type: 'positive-int' } as const;
const PORT = { key: 'port', type: 'port' } as const;
const HOST = { key: 'host', type: 'string', minLength: 1 } as const;
const DAEMON_ID = { key: 'daemonId', type: 'string', minLength: 1 } as const;
const STARTED_AT = { key: 'startedAt', type: 'string', minLength: 1 } as const;
const VERSION = { key: 'version', type: 'string', minLength: 1 } as const;

const RUNNING = [PID, PORT, HOST, { key: 'token', type: 'string', minLength: 32 }, DAEMON_ID, STARTED_AT, VERSION] as const satisfies readonly FieldSpec[];

/** How a daemon stopped: `clean` (it shut down on its own), `killed` (opta daemon stop killed it after the grace period). */
export const STOP_HOW = ['clean', 'killed'] as const;
export type StopHow = (typeof STOP_HOW)[number];

/** The discriminant: a record whose `status` is "stopped" is a stopped record; any other is a running one. */
export const STATUS_KEY = 'status';
const STOPPED = [
  { key: STATUS_KEY, type: 'one-of', values: ['stopped'] },
  PID,
  PORT,
  HOST,
  DAEMON_ID,
  STARTED_AT,
  VERSION,
  { key: 'stoppedAt', type: 'string', minLength: 1 },
  { key: 'how', type: 'one-of', values: STOP_HOW },
] as const satisfies readonly FieldSpec[];

interface FieldSpec {
  key: string;
  type: StateFieldType;
  /** For strings: the fewest characters. */
  minLength?: number;
  /** For one-of: the values allowed. */
  values?: readonly string[];
}

type ValueOf<F> = F extends { type: 'one-of'; values: readonly (infer V)[] } ? V : F extends { type: 'string' } ? string : number;
type ShapeOf<Fs extends readonly { key: string }[]> = { [F in Fs[number] as F['key']]: ValueOf<F> };

/** A running daemon's record (unknown keys are dropped). */
export type DaemonState = ShapeOf<typeof RUNNING>;
/** What a daemon that stopped left: when and how, and what it had (no token). */
export type StoppedState = ShapeOf<typeof STOPPED>;

export type StateVariant = 'running' | 'stopped';

export interface StateField extends FieldSpec {
  key: keyof DaemonState | keyof StoppedState;
}
export const STATE_FIELDS: { readonly [V in StateVariant]: readonly StateField[] } = { running: RUNNING, stopped: STOPPED };

/** Which record a parsed file claims to be (by its discriminant alone; the fields are checked after). */
export function variantOf(json: unknown): StateVariant {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && (json as Record<string, unknown>)[STATUS_KEY] === 'stopped' ? 'stopped' : 'running';
}

export type StateClass = 'missing' | 'empty' | 'not-json' | 'wrong-shape' | 'valid' | 'stopped';

export type StateRead =
  | { class: 'missing'; path: string }
  | { class: 'empty'; path: string }
  | { class: 'not-json'; path: string; error: string }
  | { class: 'wrong-shape'; path: string; error: string }
  | { class: 'valid'; path: string; state: DaemonState }
  | { class: 'stopped'; path: string; stopped: StoppedState };

export type StateCheck = (json: unknown, variant: StateVariant) => { ok: true; value: unknown } | { ok: false; error: string };

function problemOf(f: StateField, v: unknown): string | undefined {
  if (f.type === 'positive-int') return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? undefined : 'expected a positive whole number';
  if (f.type === 'port') return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= 65535 ? undefined : 'expected a port from 1 to 65535';
  if (f.type === 'one-of') return typeof v === 'string' && f.values!.includes(v) ? undefined : `expected one of ${f.values!.map((x) => `"${x}"`).join(', ')}`;
  const min = f.minLength ?? 0;
  if (typeof v === 'string' && v.length >= min) return undefined;
  return min === 1 ? 'expected a non-empty string' : `expected a string of at least ${min} characters`;
}

/** Validates parsed JSON as the given record, like the zod schema's safeParse; the first problem names its field. */
export const checkStateLite: StateCheck = (json, variant) => {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, error: '(root): expected an object' };
  const o = json as Record<string, unknown>;
  const value: Record<string, unknown> = {};
  for (const f of STATE_FIELDS[variant]) {
    const problem = problemOf(f, o[f.key]);
    if (problem) return { ok: false, error: `${f.key}: ${problem}` };
    value[f.key] = o[f.key];
  }
  // Like a non-strict zod object: unknown keys are allowed and dropped.
  return { ok: true, value };
};

/** The URL of `path` on the daemon a state record names (an IPv6 host in brackets). */
export function daemonUrl(state: Pick<DaemonState, 'host' | 'port'>, path: string): string {
  const host = state.host.includes(':') ? `[${state.host}]` : state.host;
  return `http://${host}:${state.port}${path}`;
}
