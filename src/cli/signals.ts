// The one place a verb turns SIGINT and SIGTERM into a clean stop: the first signal aborts (no
// new action starts; the one in flight finishes and is recorded), a second one exits at once
// with 130. apply, destroy, up and watch use it; each says only what it finishes before stopping.

export interface Interrupts {
  /** Aborted by the first signal. */
  signal: AbortSignal;
  /** Resolves with the first signal. */
  stopped: Promise<void>;
  /** Removes the handlers; call it in a finally. */
  dispose(): void;
}

/**
 * Installs the handlers. `finishing` completes "Interrupt received: …", e.g. "finishing the
 * action in flight, then stopping the gateway".
 */
export function onInterrupt(finishing: string): Interrupts {
  const controller = new AbortController();
  let count = 0;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const handler = (): void => {
    count += 1;
    if (count > 1) {
      process.stderr.write(
        'Second interrupt: exiting now; state may miss the actions still running (the next plan finds them).\n',
      );
      process.exit(130);
    }
    process.stderr.write(`Interrupt received: ${finishing}...\n`);
    controller.abort();
    resolveStopped();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    stopped,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
