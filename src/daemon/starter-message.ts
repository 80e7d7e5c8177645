// What a starting daemon tells the process that started it, over IPC: ready (where it listens) or failed (why).

export type StarterMessage =
  | { type: 'ready'; pid: number; port: number; host: string; daemonId: string }
  | { type: 'failed'; message: string };
