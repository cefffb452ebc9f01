// The cancellation a routed call listens to: the part of AbortSignal the gateway's call path
// uses (aborted, reason, abort listeners), so an AbortSignal from the SDK Server fits as is, and
// CallCancel, the one the HTTP fast path makes per request. Hand-written because an
// AbortController costs more to create and to listen to than the rest of a relayed call's own
// work (node's EventTarget machinery; measured on the gateway's hot path, issue 11).

/** An abort listener: a function, or an object whose handleEvent runs (no event is passed). */
export type CallSignalListener = (() => void) | { handleEvent(): void };

/** What the call path reads of a cancellation signal; AbortSignal satisfies it. */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: CallSignalListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: CallSignalListener): void;
}

/**
 * A signal and its controller in one small object: abort() runs every listener once, in the order
 * added, and drops them; a listener added after the abort never runs (as with AbortSignal).
 */
export class CallCancel implements CallSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: CallSignalListener[] | undefined;

  addEventListener(_type: 'abort', listener: CallSignalListener): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: CallSignalListener): void {
    const all = this.listeners;
    if (!all) return;
    const i = all.indexOf(listener);
    if (i >= 0) all.splice(i, 1);
  }

  /** Listeners still attached (the call soak test counts them). */
  get listenerCount(): number {
    return this.listeners?.length ?? 0;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const all = this.listeners;
    this.listeners = undefined;
    for (const l of all ?? []) {
      if (typeof l === 'function') l();
      else l.handleEvent();
    }
  }
}

/** True once `p` settles (fulfilled or not) within `ms`; false on timeout or abort. */
export function bounded(p: Promise<unknown>, ms: number, signal?: CallSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => done(true),
      () => done(true),
    );
  });
}
