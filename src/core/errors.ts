// The one error type for problems a person can act on; the CLI prints its message without a stack.

/** A user-facing failure: the message names the file or source and the next step. */
export class OptaError extends Error {
  /** Exit code the CLI uses: 1 for "something is wrong", 2 for "could not run as asked". */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OptaError';
    this.exitCode = exitCode;
  }
}

export class UsageError extends OptaError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export function causeText(err: unknown): string {
  if (err instanceof Error) {
    const code = errorCode(err);
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
