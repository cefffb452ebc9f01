// A pass-through proxy in front of the real Docker socket that counts the HTTP requests made to
// the engine. Tests point a docker backend's `socket:` at it to prove that a no-op save makes no
// engine call. Requests are forwarded unchanged (streams piped both ways, upgrades included).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { rmSync } from 'node:fs';

export interface CountingProxy {
  socketPath: string;
  /** Requests forwarded so far. */
  count(): number;
  /** Method and path of each request, for failure messages. */
  log(): string[];
  close(): Promise<void>;
}

const UPSTREAM = process.env.DOCKER_HOST?.startsWith('unix://')
  ? process.env.DOCKER_HOST.slice(7)
  : '/var/run/docker.sock';

export interface ProxyOptions {
  /**
   * Called for each plain request; true holds it: it is never forwarded and never answered, as
   * if the engine hung at that call (a test then kills the client mid-operation, deterministically).
   */
  hold?: (method: string, url: string) => boolean;
}

export async function startCountingProxy(socketPath: string, options: ProxyOptions = {}): Promise<CountingProxy> {
  rmSync(socketPath, { force: true });
  const seen: string[] = [];
  // Every upstream connection is tracked so close() can end them: a long-lived stream (the
  // Docker events stream a health wait follows, `logs --follow`) whose client went away would
  // otherwise keep the daemon socket, and with it the test process, alive.
  const upstreams = new Set<{ destroy(): void }>();
  const track = <T extends { destroy(): void; once(e: 'close', f: () => void): unknown }>(s: T): T => {
    upstreams.add(s);
    s.once('close', () => upstreams.delete(s));
    return s;
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (options.hold?.(req.method ?? 'GET', req.url ?? '')) return;
    const up = track(
      request({ socketPath: UPSTREAM, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      }),
    );
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(e));
    });
    // The client hung up (or was killed): stop the upstream request as well.
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  // Attach/hijack requests upgrade the connection; splice the raw sockets.
  server.on('upgrade', (req, socket, head) => {
    seen.push(`${req.method} ${req.url} (upgrade)`);
    const up = track(
      connect(UPSTREAM, () => {
        const lines = [
          `${req.method} ${req.url} HTTP/1.1`,
          ...Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`),
          '',
          '',
        ];
        up.write(lines.join('\r\n'));
        if (head.length) up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      }),
    );
    up.on('error', () => socket.destroy());
    socket.on('close', () => up.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    count: () => seen.length,
    log: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const u of upstreams) u.destroy();
        server.close(() => resolve());
      }),
  };
}
