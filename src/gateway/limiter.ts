// A FIFO concurrency limiter: at most `max` tasks run at once, the rest wait in order.
// Backpressure, not rejection: a burst waits instead of failing. It owns no timeouts; an
// AbortSignal (or any CallSignal) removes a waiting task from the queue.

import type { CallSignal } from './call-signal.js';

export class Limiter {
  private running = 0;
  private readonly queue: Array<{ start: () => void; fail: (e: Error) => void }> = [];

  constructor(private max: number) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.queue.length;
  }

  setMax(max: number): void {
    this.max = Math.max(1, max);
    this.drain();
  }

  /** Runs `task` once a slot is free; rejects without running if `signal` aborts while queued. */
  async run<T>(task: () => Promise<T>, signal?: CallSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.running--;
      this.drain();
    }
  }

  private acquire(signal?: CallSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.running < this.max && this.queue.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: reject,
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        reject(abortError(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
    });
  }

  private drain(): void {
    while (this.running < this.max && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.running++;
      next.start();
    }
  }
}

function abortError(signal?: CallSignal): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('Request was cancelled while queued.');
}
