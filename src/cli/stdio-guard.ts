// What a closed or failing stdout/stderr does to any opta command: set once per process, before anything writes.
//
// Its own module so that a lone command's bundle (sessions-list.ts) gets it without main.ts and the command table.

/**
 * Calls `guard` with process.stdout or process.stderr when something first uses it, whoever that is (commander,
 * listr2, opta): node creates each stream on first use (a pipe's socket, a file's writer: ~1-2 ms), and a command that
 * prints nothing on one of them (no error on stderr, the usual case) need not pay for it.
 */
function onFirstUse(name: 'stdout' | 'stderr', guard: (stream: NodeJS.WriteStream) => void): void {
  const original = Object.getOwnPropertyDescriptor(process, name);
  if (!original?.get || !original.configurable) return void guard(process[name]);
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: original.enumerable,
    get() {
      // node's own getter again (it keeps the stream it made), then the guard, before anyone writes.
      Object.defineProperty(process, name, original);
      const stream = process[name];
      guard(stream);
      return stream;
    },
  });
}

/**
 * A reader that stops early (`opta rules list | head -5`) closes the pipe: that ends the output, not in a crash. Any
 * other output failure (a full disk, /dev/full) means the command could not do what was asked: one line, exit 2.
 */
export function guardStdio(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    onFirstUse(name, (stream) =>
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        if (name === 'stdout') {
          try {
            process.stderr.write(`opta: cannot write the output: ${e.code ? `${e.code}: ` : ''}${e.message.replace(`${e.code}: `, '')}\n`);
          } catch {
            // stderr is gone too: the exit code is all that is left.
          }
        }
        process.exit(2);
      }),
    );
  }
}
