// Connecting to a supervisor's unix socket: resolves with the socket once connected, rejects with
// the connect error (ENOENT, ECONNREFUSED). Later socket errors are swallowed: whoever reads the
// socket sees its close, which is how a session's end is told.

import { connect, type Socket } from 'node:net';

export function dialSocket(path: string): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', reject);
  });
}
