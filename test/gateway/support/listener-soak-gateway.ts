// Child process for the call soak test: a real gateway with two upstreams, run under
// --expose-gc: an SDK server over Streamable HTTP (echo-upstream.ts, a child process on loopback;
// server-everything's event store grows by every call, which is its memory, not the gateway's)
// and server-everything over stdio, spawned by the gateway. Before the gateway is loaded it records every AbortSignal (and CallCancel)
// that gets an 'abort' listener (weakly), so it can report, after a GC, how many such listeners
// are still attached to live signals, the most on one signal (now, and at its peak between
// GCs: undici lifts a signal's warning limit to 1,500, so the warning alone comes late), the heap, and every process
// warning seen (MaxListenersExceededWarning among them). It answers IPC: 'probe' and 'stop'.
import { getEventListeners } from 'node:events';

const signals = new Set<WeakRef<AbortSignal>>();
const seen = new WeakSet<AbortSignal>();
/** The most abort listeners one signal held at any moment (read after each add, before any GC). */
let peak = 0;
const add = EventTarget.prototype.addEventListener;
EventTarget.prototype.addEventListener = function (this: EventTarget, type: string, ...rest: unknown[]) {
  (add as (...a: unknown[]) => void).call(this, type, ...rest);
  if (type !== 'abort' || !(this instanceof AbortSignal)) return;
  if (!seen.has(this)) {
    seen.add(this);
    signals.add(new WeakRef(this));
  }
  peak = Math.max(peak, getEventListeners(this, 'abort').length);
} as typeof EventTarget.prototype.addEventListener;

// The HTTP fast path cancels with its own CallCancel (call-signal.ts), not an AbortSignal: its
// listeners are counted the same way.
const { CallCancel } = await import('../../../src/gateway/call-signal.js');
type Cancel = InstanceType<typeof CallCancel>;
const cancels = new Set<WeakRef<Cancel>>();
const seenCancels = new WeakSet<Cancel>();
const addCancel = CallCancel.prototype.addEventListener;
CallCancel.prototype.addEventListener = function (this: Cancel, ...args: Parameters<Cancel['addEventListener']>) {
  addCancel.apply(this, args);
  if (!seenCancels.has(this)) {
    seenCancels.add(this);
    cancels.add(new WeakRef(this));
  }
  peak = Math.max(peak, this.listenerCount);
};

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));

const { createGateway } = await import('../../../src/gateway/index.js');
const { spawnStdioConnector } = await import('../../../src/gateway/index.js');
const { spawn } = await import('node:child_process');
const { fileURLToPath } = await import('node:url');
const { EVERYTHING, quietLogger } = await import('./upstreams.js');

const token = process.env.SOAK_TOKEN ?? 'soak';
const echo = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./echo-upstream.ts', import.meta.url))],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
const echoUrl = await new Promise<string>((resolve, reject) => {
  echo.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
  echo.once('exit', (code) => reject(new Error(`echo upstream exited with ${code}`)));
});
const ev = { url: echoUrl, kill: async () => void echo.stdin.end() };
const gw = createGateway({
  port: 0,
  auth: { mode: 'token', tokens: [token] },
  logger: quietLogger(),
  maxConcurrency: 64,
});
const { url } = await gw.start();
await gw.setUpstreams([
  { name: 'http', transport: 'streamable-http', url: ev.url, specHash: '1' },
  {
    name: 'stdio',
    transport: 'stdio',
    specHash: '1',
    stdio: spawnStdioConnector({ command: process.execPath, args: [EVERYTHING, 'stdio'] }),
  },
]);
await gw.settled();

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('listener-soak-gateway needs --expose-gc');
const send = (m: unknown): void => void process.send!(m);

async function probe(): Promise<Record<string, unknown>> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  let live = 0;
  let listeners = 0;
  let most = 0;
  for (const ref of signals) {
    const s = ref.deref();
    if (!s) {
      signals.delete(ref);
      continue;
    }
    live++;
    const n = getEventListeners(s, 'abort').length;
    listeners += n;
    most = Math.max(most, n);
  }
  for (const ref of cancels) {
    const c = ref.deref();
    if (!c) {
      cancels.delete(ref);
      continue;
    }
    live++;
    listeners += c.listenerCount;
    most = Math.max(most, c.listenerCount);
  }
  return { heapUsed: process.memoryUsage().heapUsed, signals: live, listeners, most, peak, warnings: [...warnings] };
}

process.on('message', (raw) => {
  const req = raw as { id: number; kind: 'probe' | 'stop' };
  if (req.kind === 'probe') void probe().then((r) => send({ id: req.id, ...r }));
  else
    void gw
      .stop()
      .then(() => ev.kill())
      .then(() => {
        send({ id: req.id });
        process.disconnect();
      });
});
send({ ready: url });
