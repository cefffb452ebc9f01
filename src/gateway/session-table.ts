// The downstream session table of the HTTP gateway: caps in total and per principal, slots
// reserved before anything is allocated (so a burst of initialize requests cannot overshoot),
// the idle sweep, and a count listener. It holds sessions; it does not speak MCP or HTTP.

export interface SessionEntry {
  kind: 'streamable' | 'sse';
  view: string;
  principal: string;
  /** The session's transport; only http.ts knows its type. */
  transport: unknown;
  lastSeen: number;
  /** Open long-lived GET streams; a session with one is connected even when quiet. */
  openStreams: number;
  /** Ends the session (closes its Server); the table has already forgotten it. */
  close(): Promise<void>;
}

export interface SessionTableOptions {
  maxTotal: number;
  maxPerPrincipal: number;
  idleMs: number;
}

/** A place in the table taken before allocating; released exactly once, or turned into a session. */
export interface Slot {
  readonly principal: string;
  /** Gives the slot back (a failed initialize); a no-op once the slot became a session. */
  release(): void;
}

export type Refusal = { scope: 'total' | 'principal'; limit: number };

export class SessionTable {
  private readonly sessions = new Map<string, SessionEntry>();
  /** Reserved slots plus live sessions, per principal. */
  private readonly perPrincipal = new Map<string, number>();
  private reserved = 0;
  private readonly listeners = new Set<(count: number) => void>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly o: SessionTableOptions) {
    // Clients that vanish without DELETE would otherwise keep their session forever. Checking
    // twice per idle period bounds how long past the timeout a session can live.
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(30_000, Math.floor(o.idleMs / 2)))).unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Called with the number of live sessions whenever it changes. Returns an unsubscribe. */
  onCount(listener: (count: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(id: string): SessionEntry | undefined {
    return this.sessions.get(id);
  }

  /** Takes a slot for `principal`, or says which cap is reached. */
  reserve(principal: string): Slot | Refusal {
    if (this.sessions.size + this.reserved >= this.o.maxTotal) return { scope: 'total', limit: this.o.maxTotal };
    const mine = this.perPrincipal.get(principal) ?? 0;
    if (mine >= this.o.maxPerPrincipal) return { scope: 'principal', limit: this.o.maxPerPrincipal };
    this.reserved++;
    this.perPrincipal.set(principal, mine + 1);
    return new Reservation(
      principal,
      () => this.reserved--,
      () => this.decrement(principal),
    );
  }

  /** Turns a reserved slot into the live session `id`. */
  add(id: string, slot: Slot, entry: SessionEntry): void {
    if (!(slot instanceof Reservation) || !slot.use()) throw new Error('Session slot used twice or after release.');
    this.sessions.set(id, entry);
    this.emit();
  }

  /** Forgets session `id` (its Server closed); a no-op for an unknown id. */
  remove(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.decrement(s.principal);
    this.emit();
  }

  /** Forgets every session and closes each; for shutdown. */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.perPrincipal.clear();
    this.emit();
    await Promise.all(all.map((s) => s.close()));
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (s.kind === 'streamable' && s.openStreams === 0 && now - s.lastSeen > this.o.idleMs) {
        this.remove(id);
        void s.close();
      }
    }
  }

  private decrement(principal: string): void {
    const n = (this.perPrincipal.get(principal) ?? 1) - 1;
    if (n <= 0) this.perPrincipal.delete(principal);
    else this.perPrincipal.set(principal, n);
  }

  private emit(): void {
    for (const l of this.listeners) l(this.sessions.size);
  }
}

class Reservation implements Slot {
  private state: 'reserved' | 'used' | 'released' = 'reserved';

  constructor(
    readonly principal: string,
    private readonly unreserve: () => void,
    private readonly unclaim: () => void,
  ) {}

  release(): void {
    if (this.state !== 'reserved') return;
    this.state = 'released';
    this.unreserve();
    this.unclaim();
  }

  /** Marks the slot as a live session; the principal's count stays until the session is removed. */
  use(): boolean {
    if (this.state !== 'reserved') return false;
    this.state = 'used';
    this.unreserve();
    return true;
  }
}

export function isRefusal(x: Slot | Refusal): x is Refusal {
  return 'scope' in x;
}
