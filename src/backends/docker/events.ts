// Follows Docker's event stream for one container (die, health_status) so that health waits
// learn about state changes without polling inspect. One long-lived request per watch, closed by
// the caller's abort signal or close(); it never changes anything on the engine.

import type Dockerode from 'dockerode';

export type ContainerEvent = { kind: 'die' } | { kind: 'health'; status: string };

export interface ContainerWatch {
  /** Calls `fn` for every event from now on (one listener). */
  onEvent(fn: (e: ContainerEvent) => void): void;
  /** False once the stream ended or failed: the caller then has to look for itself. */
  alive(): boolean;
  close(): void;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
}

/** Resolves once the daemon has accepted the subscription (events after that are delivered). */
export async function watchContainer(
  docker: Dockerode,
  containerId: string,
  signal: AbortSignal,
): Promise<ContainerWatch> {
  const filters = JSON.stringify({ type: ['container'], container: [containerId], event: ['die', 'health_status'] });
  const stream = (await docker.getEvents({
    filters,
    abortSignal: signal,
  } as Dockerode.GetEventsOptions)) as NodeJS.ReadableStream & { destroy?: () => void };
  let listener: ((e: ContainerEvent) => void) | undefined;
  const pending: ContainerEvent[] = [];
  let open = true;
  let buf = '';
  const emit = (e: ContainerEvent): void => {
    if (listener) listener(e);
    else pending.push(e);
  };
  stream.on('data', (chunk: Buffer | string) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let ev: RawEvent;
      try {
        ev = JSON.parse(line) as RawEvent;
      } catch {
        continue;
      }
      const action = ev.Action ?? ev.status ?? '';
      if (action === 'die') emit({ kind: 'die' });
      else if (action.startsWith('health_status'))
        emit({ kind: 'health', status: action.slice(action.indexOf(':') + 1).trim() });
    }
  });
  const ended = (): void => {
    open = false;
  };
  stream.on('end', ended);
  stream.on('close', ended);
  stream.on('error', ended);
  return {
    onEvent(fn) {
      listener = fn;
      for (const e of pending.splice(0)) fn(e);
    },
    alive: () => open && !signal.aborted,
    close() {
      open = false;
      stream.destroy?.();
    },
  };
}
