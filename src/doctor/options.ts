// What a doctor run is asked for (DoctorOptions) and what it gives back (DoctorCapture): shared by the run's stages.
import type { z } from 'zod';
import type { DoctorCaptureSchema } from './report-schema.js';
import type { OptaPaths } from '../core/paths.js';
import type { FactValue } from '../facts/fact.js';

export const DEFAULT_DEADLINE_MS = 5000;

export interface DoctorOptions {
  paths: OptaPaths;
  env?: NodeJS.ProcessEnv;
  rulesDir?: string;
  only?: string[];
  skip?: string[];
  strict?: boolean;
  deadlineMs?: number;
  /** When the run must be over (epoch ms), if not deadlineMs after it starts (the CLI counts --timeout from the process's start). */
  deadlineAt?: number;
  factTimeoutMs?: number;
  /** Fact values that replace collectors (fixture scenarios, support bundles). */
  overrides?: Record<string, FactValue>;
  /**
   * Replay: facts come only from `overrides`; a fact not among them is not collected on this machine but fails with
   * `missing` as its error (its checks say "not checked"), and is not counted by fact-failures.
   */
  offline?: { missing: string };
  /** Also collect the facts no selected rule needed (within the deadline), so a support bundle holds them all. */
  collectAll?: boolean;
  /** Facts to collect even when no selected rule needs them (the guards of fix pipelines); not after a deadline. */
  collectFacts?: string[];
  /** Collectors take their extra samples (the CLI sets it for --verbose and --only network). */
  thorough?: boolean;
}

/** A report and the values of every fact the run collected (what `opta support analyze` replays, fix guards read). */
export type DoctorCapture = z.infer<typeof DoctorCaptureSchema>;
