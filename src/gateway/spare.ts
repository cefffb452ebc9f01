// One server session started ahead of need, for connectors whose every connect() starts a new
// server (docker exec, a process runtime's direct session): a new client session then takes one
// that is already up instead of waiting for a process to start. Only a gateway serving several
// client sessions pays for the idle process: the spare is kept once more than SPARE_AFTER
// sessions were asked for (the shared session and one client's link), so a single-client
// `serve --stdio` never starts one.

const SPARE_AFTER = 2;

export interface SpareOptions<T> {
  /** Starts one server session. */
  start: () => Promise<T>;
  /** Keep one started ahead (default: never). */
  enabled: boolean;
  /** False for a started session that ended while it waited (its server exited). */
  usable: (s: T) => boolean;
  /** Releases a session nobody will use (the connector closed, or it was not usable). */
  discard: (s: T) => void;
}

export interface Spare<T> {
  /** A started session: the spare when there is a usable one, else a new one. */
  take(): Promise<T>;
  /** Releases the spare and starts no more. */
  close(): Promise<void>;
}

export function keepSpare<T>(opts: SpareOptions<T>): Spare<T> {
  let served = 0;
  let spare: Promise<T> | undefined;
  let closed = false;
  const refill = (): void => {
    if (!opts.enabled || closed || spare || served <= SPARE_AFTER) return;
    const next = opts.start();
    spare = next;
    next.catch(() => {
      if (spare === next) spare = undefined;
    });
  };
  return {
    async take(): Promise<T> {
      served++;
      const taken = spare;
      spare = undefined;
      let s = taken ? await taken.catch(() => undefined) : undefined;
      if (s !== undefined && !opts.usable(s)) {
        opts.discard(s);
        s = undefined;
      }
      s ??= await opts.start();
      refill();
      return s;
    },
    async close(): Promise<void> {
      closed = true;
      const left = spare;
      spare = undefined;
      const s = await left?.catch(() => undefined);
      if (s !== undefined) opts.discard(s);
    },
  };
}
