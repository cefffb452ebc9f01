// A gateway StdioConnector for runtimes of the process backend: connects to the supervisor's
// unix socket and speaks newline-delimited JSON-RPC. It never starts or stops the server; the
// supervisor gives each connection a fresh child (one session per connection).
//
// With a supervisor that serves direct sessions (its status says so), a session is two
// connections: a lifeline to the supervisor's socket, which asks for a direct session and gets
// back the path of a one-shot socket, and the connection made there, which is the child's own
// stdin and stdout. The gateway then talks to the child with no process in between (the
// supervisor's relay cost a wake-up of one more process per message each way, issue 21). The
// child starts only when its session is asked for, so the connector keeps one started ahead once
// several client sessions are served (gateway/spare.ts), as the supervisor's warm child did.
// An older supervisor (no direct sessions) gets plain connections, relayed as before.

import type { Socket } from 'node:net';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { keepSpare, streamTransport, type StdioConnector } from '../gateway/index.js';
import { DIRECT_PREAMBLE, dialSocket } from '../backends/process/index.js';

/** How long the supervisor has to answer a direct session's request with its socket path. */
const DIRECT_ANSWER_MS = 10_000;

export interface ProcessSocketOptions {
  /** The supervisor serves direct sessions (attach.direct from observe()). */
  direct?: boolean;
  /** Keep one direct session started ahead once several client sessions are served. */
  spare?: boolean;
}

export function processSocketConnector(socketPath: string, opts: ProcessSocketOptions = {}): StdioConnector {
  const key = `process-socket:${socketPath}`;
  if (!opts.direct) {
    return {
      key,
      async connect(): Promise<Transport> {
        const socket = await dialSocket(socketPath);
        return streamTransport(socket, socket, { onClose: () => void socket.destroy() });
      },
    };
  }
  const spare = keepSpare<DirectSession>({
    start: () => openDirect(socketPath),
    enabled: opts.spare === true,
    usable: (s) => !s.lifeline.destroyed && !s.data.destroyed,
    discard: endDirect,
  });
  return {
    key,
    async connect(): Promise<Transport> {
      const s = await spare.take();
      return streamTransport(s.data, s.data, { onClose: () => endDirect(s) });
    },
    close: () => spare.close(),
  };
}

interface DirectSession {
  lifeline: Socket;
  data: Socket;
}

/**
 * Ends a direct session: the data connection's close is the child's end of input; the lifeline's
 * tells the supervisor, which stops a child that does not exit on its own.
 */
function endDirect(s: DirectSession): void {
  s.data.destroy();
  s.lifeline.destroy();
}

async function openDirect(socketPath: string): Promise<DirectSession> {
  const lifeline = await dialSocket(socketPath);
  try {
    lifeline.write(DIRECT_PREAMBLE);
    const path = await firstLine(lifeline);
    // Read on to see its end; nothing more comes on it.
    lifeline.on('data', () => undefined);
    const data = await dialSocket(path);
    // The child exited (the supervisor closes the lifeline then): the data connection closes with
    // it, since the child held its only other end.
    return { lifeline, data };
  } catch (err) {
    lifeline.destroy();
    throw err;
  }
}

function firstLine(s: Socket): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let got = '';
    const done = (err?: Error, line?: string): void => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      if (err) reject(err);
      else resolve(line!);
    };
    const onData = (chunk: Buffer): void => {
      got += chunk.toString('utf8');
      const nl = got.indexOf('\n');
      if (nl >= 0) done(undefined, got.slice(0, nl));
      else if (got.length > 4096) done(new Error('the supervisor answered a direct session with no socket path'));
    };
    const onClose = (): void =>
      done(
        new Error(
          'the supervisor closed the connection without starting a session: the runtime is restarting after a crash, has failed or is stopping, or serves its maximum of sessions (its log says which)',
        ),
      );
    const timer = setTimeout(
      () => done(new Error(`the supervisor did not answer a direct session within ${DIRECT_ANSWER_MS / 1000}s`)),
      DIRECT_ANSWER_MS,
    );
    timer.unref();
    s.on('data', onData);
    s.once('close', onClose);
  });
}
