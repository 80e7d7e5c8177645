// The flags of `opta doctor` as its action reads them (doctor-command.ts and doctor-fix.ts both take them).
import type { OutputToken } from './doctor-outputs.js';

export interface DoctorFlags {
  json?: boolean;
  verbose?: boolean;
  strict?: boolean;
  timeout: number;
  only?: string[];
  skip?: string[];
  rules?: string;
  fix?: boolean;
  /** No colour, no prompts, no spinners, whatever the terminal says. */
  ci?: boolean;
  /** --format, --output and --json in command-line order (paired in doctor-outputs.ts); absent: --json or text. */
  outputs?: OutputToken[];
  watch?: boolean;
  /** --watch's pause between runs, in ms. */
  interval?: number;
  yes?: boolean;
  dryRun?: boolean;
  /** --explain RULE: why that rule fired or stayed quiet in this run. */
  explain?: string;
}
