// Fans live changes out to the console's SSE subscribers: new audit events from the state store
// (polled through its cheap version counter) and runtime status changes (a status observe every
// poll, only while someone listens: an idle console costs the host nothing). One poll loop
// serves every subscriber; a slow poll is never overlapped by the next.

import type { ConsoleContext } from './context.js';
import { eventView, eventsSince } from './api-events.js';
import { liveStatus, summaries, type RuntimeSummary } from './api-runtimes.js';
import type { SseStream } from './route.js';

export interface HubOptions {
  /** Poll interval while subscribers exist; default 1000 ms. */
  pollMs?: number;
}

export class EventHub {
  private readonly subs = new Set<SseStream>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastVersion = -1;
  private lastEventId = 0;
  private readonly status = new Map<string, string>();

  constructor(
    private readonly ctx: ConsoleContext,
    private readonly options: HubOptions = {},
  ) {}

  get subscribers(): number {
    return this.subs.size;
  }

  /** Streams to one subscriber until its signal aborts; replays audit events after `since` first. */
  async follow(stream: SseStream, since: number | undefined): Promise<void> {
    if (this.subs.size === 0) this.prime();
    if (since !== undefined) for (const e of eventsSince(this.ctx, since)) stream.send('event', eventView(e), e.id);
    this.subs.add(stream);
    this.schedule(0);
    try {
      await new Promise<void>((resolve) => {
        if (stream.signal.aborted) return resolve();
        stream.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      this.subs.delete(stream);
      if (this.subs.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.subs.clear();
  }

  /** Starts from now: events and statuses already known are not news. */
  private prime(): void {
    this.lastEventId = eventsSince(this.ctx, 0, 1).at(-1)?.id ?? 0;
    this.lastVersion = this.ctx.store.version();
    this.status.clear();
  }

  private schedule(ms: number): void {
    if (this.timer || this.running || this.subs.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ms);
    this.timer.unref();
  }

  private broadcast(event: string, data: unknown, id?: number): void {
    for (const s of this.subs) if (!s.signal.aborted) s.send(event, data, id);
  }

  private async tick(): Promise<void> {
    this.running = true;
    try {
      const v = this.ctx.store.version();
      if (v !== this.lastVersion) {
        this.lastVersion = v;
        for (const e of eventsSince(this.ctx, this.lastEventId)) {
          this.lastEventId = e.id;
          this.broadcast('event', eventView(e), e.id);
        }
      }
      const { live } = await liveStatus(this.ctx, false);
      if (!live.diags.some((d) => d.severity === 'error')) {
        const seen = new Set<string>();
        for (const s of summaries(this.ctx, live)) {
          seen.add(s.name);
          const key = statusKey(s);
          if (this.status.get(s.name) === key) continue;
          const first = !this.status.has(s.name);
          this.status.set(s.name, key);
          const { runtime: _r, ...view } = s;
          if (!first || this.subs.size > 0) this.broadcast('runtime', view);
        }
        for (const name of [...this.status.keys()])
          if (!seen.has(name)) {
            this.status.delete(name);
            this.broadcast('runtime-removed', { name });
          }
      }
    } catch (err) {
      this.ctx.deps.warn?.(`console: following status failed: ${this.ctx.redact((err as Error).message)}`);
    } finally {
      this.running = false;
      this.schedule(this.options.pollMs ?? 1000);
    }
  }
}

function statusKey(s: RuntimeSummary): string {
  return JSON.stringify([s.state, s.health, s.inSync, s.gateway?.state, s.restarts, s.warnings]);
}
