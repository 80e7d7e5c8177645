// Which sessions have WebSocket clients right now: feeds `clientConnected` in GET /v3/permissions and the counters.
export class ClientTracker {
  private readonly bySession = new Map<string, number>();

  add(sessionId: string): void {
    this.bySession.set(sessionId, (this.bySession.get(sessionId) ?? 0) + 1);
  }

  remove(sessionId: string): void {
    const n = (this.bySession.get(sessionId) ?? 0) - 1;
    if (n > 0) this.bySession.set(sessionId, n);
    else this.bySession.delete(sessionId);
  }

  count(sessionId: string): number {
    return this.bySession.get(sessionId) ?? 0;
  }

  total(): number {
    let n = 0;
    for (const v of this.bySession.values()) n += v;
    return n;
  }
}
