// Child process for the session soak test: a real gateway (with one controlled upstream) run
// under --expose-gc, so heap figures after a GC are the gateway's alone. It answers IPC
// requests: 'mem' (GC, then heap and session counts) and 'zero' (replies once no session is
// open, woken by the gateway's session-count event). Options come as JSON in SOAK_OPTIONS.
import { createGateway } from '../../../src/gateway/index.js';
import { quietLogger, startControlledServer } from './upstreams.js';

type Request = { id: number; kind: 'mem' | 'zero' | 'stop' };

const options = JSON.parse(process.env.SOAK_OPTIONS ?? '{}') as {
  token: string;
  sessionIdleMs: number;
  maxSessions: number;
  maxSessionsPerPrincipal: number;
};
const up = await startControlledServer();
const gw = createGateway({
  port: 0,
  auth: { mode: 'token', tokens: [options.token] },
  logger: quietLogger(),
  ...options,
});
const { url } = await gw.start();
await gw.setUpstreams([{ name: 'ctl', transport: 'streamable-http', url: up.url, specHash: '1' }]);
await gw.settled();

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('soak-gateway needs --expose-gc');
const send = (m: unknown): void => void process.send!(m);

/** The downstream_sessions gauge summed over transports: the servers the core still holds. */
function gaugeSessions(): number {
  let n = 0;
  for (const m of gw.metricsText().matchAll(/^contextforge_gateway_downstream_sessions\{[^}]*\} (\d+)$/gm))
    n += Number(m[1]);
  return n;
}

async function settleHeap(): Promise<number> {
  // Several passes with turns between them let finalizers and weak references clear.
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

process.on('message', (raw) => {
  const req = raw as Request;
  if (req.kind === 'mem') {
    void settleHeap().then((heapUsed) =>
      send({ id: req.id, heapUsed, sessions: gw.sessionCount(), gauge: gaugeSessions() }),
    );
  } else if (req.kind === 'zero') {
    if (gw.sessionCount() === 0) return send({ id: req.id });
    const off = gw.onSessionCount((n) => {
      if (n !== 0) return;
      off();
      send({ id: req.id });
    });
  } else {
    void gw
      .stop()
      .then(() => up.close())
      .then(() => {
        send({ id: req.id });
        process.disconnect();
      });
  }
});
send({ ready: url });
