// The shapes of the fact values that reach a printed command (`next:`): what `opta support analyze` checks a bundle's facts against before any rule sees them.
import { z } from 'zod';

/**
 * A word a shell reads as itself: a path, host or id that is printed inside a command. A value with a space, quote,
 * `$`, `;` or `|` is not one; in a bundle such a fact is treated as missing rather than printed.
 */
const WORD = /^[\w@%+=:,./~-]+$/;
const word = z.string().max(4096).regex(WORD, 'must be one shell word (letters, digits, @%+=:,./~_-)');
const pid = z.number().int().positive();
const port = z.number().int().min(0).max(65535);

/** What home-permissions prints: `chmod <mode> <path>` joined with &&, nothing else (home-permissions.ts builds it). */
const CHMOD = /^chmod [0-7]{3,4} [\w@%+=:,./~-]+(?: && chmod [0-7]{3,4} [\w@%+=:,./~-]+)*$/;

const HomePermissions = z.looseObject({
  chmodCommand: z.string().regex(CHMOD, 'must be chmod commands opta builds').nullable(),
  firstUnwritable: word.nullable(),
});
const Daemon = z.looseObject({ pid: pid.nullable(), port: port.nullable(), stateDisplay: word });
const DaemonPorts = z.looseObject({ preferredOwnerPid: pid.nullable().optional(), preferredPort: port.optional() });
const Lmx = z.looseObject({ address: word.nullable().optional(), host: word.nullable().optional() });
const DiskSpace = z.looseObject({ path: word.optional() });
const Display = z.looseObject({ display: word.optional() });
const Config = z.looseObject({ display: word.optional(), firstBadKey: word.nullable().optional() });
const PendingPermissions = z.looseObject({
  daemonPort: port.nullable().optional(),
  daemonHost: word.nullable().optional(),
  oldestUnattended: z.looseObject({ sessionId: word }).nullable().optional(),
});
const LogAnalysis = z.looseObject({
  patterns: z.record(z.string().max(200), z.looseObject({ count: z.number().int().min(0), message: z.string().max(100_000), remediation: z.string().max(100_000) })),
});

const DaemonCrashes = z.looseObject({
  recent24h: z.number().int().min(0),
  last: z.looseObject({ display: word, cause: z.string().max(1000) }).nullable(),
});

const LmxDns = z.looseObject({ host: word, a: z.looseObject({ first: word.nullable() }) });

/** A collector that failed or ran out of time (fact.ts FactFailure): its checks say "not checked". */
const Failure = z.looseObject({ ok: z.literal(false), error: z.string().max(10_000), timedOut: z.boolean().optional() });
const orFailure = (shape: z.ZodType) => z.union([Failure, shape]);

/** By fact id; a fact without an entry is checked only for being an object (its values are escaped when shown). */
export const FACT_VALUE_SCHEMAS: Record<string, z.ZodType> = {
  'home-permissions': orFailure(HomePermissions),
  daemon: orFailure(Daemon),
  'daemon-ports': orFailure(DaemonPorts),
  lmx: orFailure(Lmx),
  'disk-space': orFailure(DiskSpace),
  'daemon-log': orFailure(Display),
  config: orFailure(Config),
  'pending-permissions': orFailure(PendingPermissions),
  'daemon-log-analysis': orFailure(LogAnalysis),
  'daemon-crashes': orFailure(DaemonCrashes),
  'lmx-dns': orFailure(LmxDns),
};

export type HomePermissionsValue = z.infer<typeof HomePermissions>;
export type LogAnalysisValue = z.infer<typeof LogAnalysis>;
