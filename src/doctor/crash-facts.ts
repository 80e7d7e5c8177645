// The doctor's facts for a crash report: every fact collected once, within the doctor's usual deadline, as plain JSON by fact id.
import type { OptaPaths } from '../core/paths.js';

/**
 * What the finders of a dead run (the crash guardian, `daemon start`, `daemon status`) hand the report writer; it
 * loads the doctor only when a run is found dead, so no command pays for it otherwise.
 */
export async function crashFacts(paths: OptaPaths, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const { runDoctorCapture, DEFAULT_DEADLINE_MS } = await import('./run.js');
  return (await runDoctorCapture({ paths, env, deadlineMs: DEFAULT_DEADLINE_MS, collectAll: true })).facts;
}
