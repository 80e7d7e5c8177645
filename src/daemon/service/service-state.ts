// The state of the service as its manager reports it: one shape for systemd and launchd, read by the fact and by supervision.

export interface ServiceState {
  /** The manager knows the job (systemd LoadState=loaded; launchd: bootstrapped in gui/<uid>). */
  loaded: boolean;
  state: 'running' | 'starting' | 'restarting' | 'stopped' | 'failed' | 'not-loaded';
  pid?: number;
  /** The last run's end: an exit code or a signal number, absent when it never exited (or the manager forgot). */
  lastExit?: { code?: number; signal?: number };
  restarts?: number;
  restartLimit?: number;
  /** Keeps failing and being restarted, or gave up restarting. */
  crashLooping: boolean;
  /** The manager holds it back (systemd's start limit, launchd's penalty box or a spawn scheduled after quick exits). */
  throttled: boolean;
  /** The unit file changed since the manager loaded it (systemd NeedDaemonReload=yes). */
  needsReload: boolean;
  /** Starts at login (systemd enabled; a launchd agent with RunAtLoad in LaunchAgents is). */
  enabled: boolean;
  result?: string;
  file?: string;
}
