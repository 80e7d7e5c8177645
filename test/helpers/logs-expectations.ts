// The log analyser's table: fixture log (fixtures/logs/<name>.log) -> pattern ids with counts, and lines no pattern matched, by level.

export interface LogExpectation {
  patterns: Record<string, number>;
  other: { DEBUG: number; INFO: number; WARN: number; ERROR: number; unparsed: number };
  /** The same with --since-start (omitted: no run start in the file, so the same counts). */
  sinceStart?: { patterns: Record<string, number>; other: LogExpectation['other'] };
}

export const LOG_EXPECTED: Record<string, LogExpectation> = {
  // The guide's own format, its five sample lines among others.
  'guide': {
    patterns: { 'daemon-started': 1, 'session-dir-race': 1, 'lmx-preflight-refused': 2, 'permission-auto-denied': 1, 'tool-worker-oom': 1, 'daemon-internal-error': 1 },
    other: { DEBUG: 1, INFO: 1, WARN: 1, ERROR: 1, unparsed: 0 },
  },
  // ISO-8601 times: bracketed or not, T or space, zones, fractions; level words in other cases and spellings.
  'iso': {
    patterns: { 'daemon-started': 1, 'lmx-preflight-timeout': 1, 'lmx-preflight-host-not-found': 1, 'lmx-preflight-bad-response': 1, 'permission-auto-denied': 1, 'daemon-crashed': 1 },
    other: { DEBUG: 0, INFO: 1, WARN: 0, ERROR: 0, unparsed: 0 },
  },
  // JSON lines: ts/time/timestamp/@timestamp, level/severity/log.level (words and pino numbers), msg/message, escapes.
  'json': {
    patterns: { 'daemon-started': 1, 'lmx-preflight-refused': 1, 'tool-worker-oom': 1, 'permission-auto-denied': 1, 'daemon-internal-error': 1 },
    other: { DEBUG: 1, INFO: 1, WARN: 0, ERROR: 1, unparsed: 2 },
  },
  // All three formats, a crash trace and a blank line; a run that starts after start-up warnings.
  'mixed': {
    patterns: {
      'daemon-stopping': 1,
      'session-unreadable': 1,
      'daemon-port-fallback': 1,
      'daemon-started': 1,
      'lmx-request-failed': 1,
      'lmx-preflight-no-model': 1,
      'daemon-crashed': 1,
      'daemon-ports-exhausted': 1,
    },
    other: { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0, unparsed: 2 },
    sinceStart: {
      patterns: {
        'session-unreadable': 1,
        'daemon-port-fallback': 1,
        'daemon-started': 1,
        'lmx-request-failed': 1,
        'lmx-preflight-no-model': 1,
        'daemon-crashed': 1,
        'daemon-ports-exhausted': 1,
      },
      other: { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0, unparsed: 2 },
    },
  },
};
