// The detached supervisor of one process-backend runtime (entry point, run as its own process).
// It keeps one warm child ready, hands it to the next connection on its unix socket (so every
// client session gets its own fresh server, as a stdio MCP server expects), starts the next warm
// child once the handed-over one has answered, and restarts crashed children with bounded
// exponential backoff. Never logs env values.
//
// Two kinds of session:
// - plain: any MCP client connects and speaks JSON-RPC at once; it gets the warm child, and the
//   supervisor relays bytes both ways (relay.ts).
// - direct (the gateway's, DIRECT_PREAMBLE): the supervisor leaves the data path. The client's
//   first connection becomes the session's lifeline; the supervisor answers it with the path of a
//   one-shot socket in a private directory, and the connection made there is the child's stdin
//   and stdout (spawned with it as stdio, so the client and the child talk to each other with no
//   process in between). The lifeline's close ends the session as a plain connection's close
//   does, and the child's exit closes the lifeline. No warm child can serve it (a child's stdio is
//   fixed when it starts): the gateway keeps its own session started ahead instead.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { DIRECT_PREAMBLE, type StatusFile, type SupervisorSpec, type SupervisorState } from './files.js';
import { relay } from './relay.js';

/** DIRECT_PREAMBLE as the bytes a connection's first data is compared with. */
const PREAMBLE = Buffer.from(DIRECT_PREAMBLE);

/** How long a direct session's client has to connect to its one-shot socket. */
const DIRECT_CONNECT_MS = 10_000;

/** How often the supervisor checks that its status file is still its own. */
const OWNERSHIP_CHECK_MS = 2000;

/** Concurrent sessions (gateways, `serve --stdio` instances) one runtime serves. */
const MAX_SESSIONS = 16;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} supervisor[${process.pid}] ${message}\n`);
}

async function readSpec(): Promise<SupervisorSpec> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as SupervisorSpec;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

interface Kid {
  proc: ChildProcess;
  ready: boolean;
  startedAt?: number;
  /** The connection it serves; undefined while it is the warm spare. */
  conn?: Socket;
  /** Being ended on purpose (its session is over, or we stop): its exit is no crash. */
  retiring: boolean;
  /** Stops relaying between conn and the child (both directions). */
  unrelay?: () => void;
  /** A direct session: conn is its lifeline; the child's stdio is the client's own connection. */
  direct?: boolean;
  /** retire() sent it a signal. */
  signalled?: boolean;
}

class Supervisor {
  private warm: Kid | undefined;
  private readonly sessions = new Set<Kid>();
  /** Connections waiting for the warm child to become ready. */
  private readonly waiting: Socket[] = [];
  /** Connections whose first bytes (plain or direct) have not arrived yet. */
  private readonly unclassified = new Set<Socket>();
  private state: SupervisorState = 'starting';
  private restarts = 0;
  private failures = 0;
  private lastExit: StatusFile['lastExit'];
  private stopping = false;
  /** A newer launch owns the socket path and status file: leave both alone when stopping. */
  private replaced = false;
  private backoffTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();
  private readonly server = createServer((s) => this.onConnection(s));
  /** Direct sessions whose one-shot socket waits for its connection, with what ends the wait. */
  private readonly pendingDirect = new Map<Server, () => void>();

  constructor(private readonly spec: SupervisorSpec) {}

  async start(): Promise<void> {
    removeQuietly(this.spec.socketPath);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.spec.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // Only this user may talk to the server: the socket is a door to a process holding secrets.
    chmodSync(this.spec.socketPath, 0o600);
    log(`listening on ${this.spec.socketPath} for ${this.spec.address}`);
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void this.shutdown(sig));
    this.startWarm();
    setInterval(() => this.checkOwnership(), OWNERSHIP_CHECK_MS).unref();
  }

  /**
   * The status file is our ownership mark. If it vanished (someone cleaned .contextforge/), it is
   * written again. If another launch of this runtime wrote it, the newer launch wins: the older
   * supervisor is orphaned and stops without touching the newer one's socket or status file.
   */
  private checkOwnership(): void {
    if (this.stopping) return;
    let text: string | undefined;
    try {
      text = readFileSync(this.spec.statusPath, 'utf8');
    } catch {
      this.writeStatus();
      return;
    }
    let other: { launchId?: string; startedAt?: string };
    try {
      other = JSON.parse(text) as typeof other;
    } catch {
      return; // Half-written by a concurrent writer: looked at again next time.
    }
    if (!other.launchId || other.launchId === this.spec.launchId) return;
    const newer =
      (other.startedAt ?? '') > this.startedAt ||
      ((other.startedAt ?? '') === this.startedAt && other.launchId > this.spec.launchId);
    if (newer) {
      this.replaced = true;
      void this.shutdown(`replaced by launch ${other.launchId}`);
    } else {
      this.writeStatus();
    }
  }

  private writeStatus(): void {
    if (this.replaced) return;
    const kids = [...this.sessions].filter((k) => k.ready && !k.retiring);
    const status: StatusFile = {
      version: 1,
      launchId: this.spec.launchId,
      stack: this.spec.stack,
      runtime: this.spec.runtime,
      address: this.spec.address,
      backend: this.spec.backend,
      specHash: this.spec.specHash,
      supervisorPid: process.pid,
      childPid: this.warm?.ready ? this.warm.proc.pid : undefined,
      sessionPids: kids.map((k) => k.proc.pid!).filter(Boolean),
      state: this.state,
      restarts: this.restarts,
      startedAt: this.startedAt,
      childStartedAt: this.warm?.startedAt ? new Date(this.warm.startedAt).toISOString() : undefined,
      lastExit: this.lastExit,
      connected: kids.length > 0,
      socketPath: this.spec.socketPath,
      direct: true,
      logPath: this.spec.logPath,
      live: this.spec.live,
    };
    // Write-then-rename so that observe() never reads half a file. A removed directory (someone
    // cleaned .contextforge/) is recreated: the status file is how observe() finds us.
    const tmp = `${this.spec.statusPath}.${process.pid}.tmp`;
    const text = `${JSON.stringify(status, null, 2)}\n`;
    try {
      writeFileSync(tmp, text, { mode: 0o600 });
    } catch {
      try {
        mkdirSync(dirname(this.spec.statusPath), { recursive: true, mode: 0o700 });
        writeFileSync(tmp, text, { mode: 0o600 });
      } catch (err) {
        log(`cannot write the status file: ${(err as Error).message}`);
        return;
      }
    }
    renameSync(tmp, this.spec.statusPath);
  }

  private startWarm(): void {
    if (this.stopping || this.warm) return;
    const kid = this.spawnKid(['pipe', 'pipe', 'pipe'], {}, (k) => {
      this.state = 'running';
      log(`child ${k.proc.pid} started: ${this.spec.command} ${this.spec.args.join(' ')}`);
      this.writeStatus();
      this.serveWaiting();
    });
    this.warm = kid;
    kid.proc.stdin?.on('error', () => undefined);
    // Unsolicited output of a child no client holds yet is dropped.
    kid.proc.stdout?.on('data', () => undefined);
  }

  /** Starts the runtime's command; its exit, or its failure to start, reaches onExit once. */
  private spawnKid(stdio: StdioOptions, init: Partial<Kid>, onSpawn: (kid: Kid) => void): Kid {
    const proc = spawn(this.spec.command, this.spec.args, { cwd: this.spec.cwd, env: this.spec.env, stdio });
    const kid: Kid = { proc, ready: false, retiring: false, ...init };
    let settled = false;
    const finished = (code: number | null, signal: NodeJS.Signals | null, error?: string): void => {
      if (settled) return;
      settled = true;
      this.onExit(kid, code, signal, error);
    };
    proc.once('spawn', () => {
      kid.ready = true;
      kid.startedAt = Date.now();
      onSpawn(kid);
    });
    proc.once('error', (err) => {
      // Spawn failures (ENOENT, EACCES) arrive here without an exit event.
      if (!kid.ready) finished(null, null, err.message);
      else log(`child ${proc.pid} error: ${err.message}`);
    });
    proc.once('exit', (code, signal) => finished(code, signal));
    proc.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    return kid;
  }

  private onConnection(conn: Socket): void {
    conn.on('error', () => undefined);
    if (
      this.stopping ||
      this.state === 'failed' ||
      this.sessions.size + this.waiting.length + this.pendingDirect.size + this.unclassified.size >= MAX_SESSIONS
    ) {
      log(
        this.stopping || this.state === 'failed'
          ? 'refused a connection: not serving'
          : `refused a connection: ${MAX_SESSIONS} sessions already`,
      );
      conn.destroy();
      return;
    }
    // The first bytes tell a direct session (the preamble) from a plain one (JSON-RPC). Until
    // they come, the connection counts against MAX_SESSIONS as a waiting one did.
    this.unclassified.add(conn);
    conn.once('close', () => this.unclassified.delete(conn));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREAMBLE.length);
      const direct = head.subarray(0, n).equals(PREAMBLE.subarray(0, n));
      if (direct && head.length < PREAMBLE.length) return; // The rest of the preamble is coming.
      conn.off('data', onData);
      conn.pause();
      this.unclassified.delete(conn);
      if (direct) {
        this.startDirect(conn, head.subarray(PREAMBLE.length));
        return;
      }
      // Until a child takes it, the connection stays paused: whatever the client sends waits.
      conn.unshift(head);
      this.waiting.push(conn);
      if (!this.backoffTimer) this.startWarm();
      conn.once('close', () => {
        const i = this.waiting.indexOf(conn);
        if (i >= 0) this.waiting.splice(i, 1);
      });
      this.serveWaiting();
    };
    conn.on('data', onData);
  }

  /**
   * A direct session: a one-shot socket in a private directory, whose path goes back on the
   * lifeline; the child starts with the connection made there as its stdin and stdout.
   */
  private startDirect(lifeline: Socket, extra: Buffer): void {
    if (extra.length || this.state === 'backoff') {
      // Nothing may follow the preamble before the path is answered; in backoff, no child starts.
      lifeline.destroy();
      return;
    }
    // The lifeline carries nothing more; it is read only to see its end.
    lifeline.on('data', () => undefined);
    lifeline.resume();
    // A private directory (0700) per session, there only until its connection arrives: nobody
    // else can reach the socket, and a killed supervisor leaves at most the ones mid-handshake.
    let dir: string;
    try {
      dir = mkdtempSync(join(tmpdir(), 'contextforge-d-'));
    } catch (err) {
      log(`refused a direct session: ${(err as Error).message}`);
      lifeline.destroy();
      return;
    }
    const path = join(dir, 's.sock');
    const oneShot = createServer({ pauseOnConnect: true });
    const done = (): void => {
      clearTimeout(timer);
      this.pendingDirect.delete(oneShot);
      oneShot.close();
      rmSync(dir, { recursive: true, force: true });
    };
    this.pendingDirect.set(oneShot, done);
    const timer = setTimeout(() => {
      done();
      lifeline.destroy();
    }, DIRECT_CONNECT_MS);
    lifeline.once('close', () => {
      if (this.pendingDirect.has(oneShot)) done();
    });
    oneShot.once('connection', (conn: Socket) => {
      done();
      if (lifeline.destroyed || this.stopping) {
        conn.destroy();
        return;
      }
      this.spawnDirect(lifeline, conn);
    });
    oneShot.once('error', (err) => {
      log(`refused a direct session: ${err.message}`);
      done();
      lifeline.destroy();
    });
    oneShot.listen(path, () => {
      if (!lifeline.destroyed) lifeline.write(`${path}\n`);
    });
  }

  /** Starts a direct session's child with the client's connection as its stdin and stdout. */
  private spawnDirect(lifeline: Socket, conn: Socket): void {
    let kid: Kid;
    try {
      kid = this.spawnKid([conn, conn, 'pipe'], { conn: lifeline, direct: true }, (k) => {
        log(`direct session started on child ${k.proc.pid}`);
        this.writeStatus();
      });
    } finally {
      // The child holds its own copy of the connection; ours closes without ending it (no
      // shutdown), and the supervisor never reads or writes it.
      conn.destroy();
    }
    this.sessions.add(kid);
    // The lifeline's end (the client closed the session, or is gone) ends the session.
    lifeline.once('close', () => this.retire(kid));
  }

  /** Hands the warm child to the oldest waiting connection and starts the next warm child. */
  private serveWaiting(): void {
    while (this.warm?.ready && this.waiting.length) {
      const conn = this.waiting.shift()!;
      if (conn.destroyed) continue;
      const kid = this.warm;
      this.warm = undefined;
      kid.conn = conn;
      this.sessions.add(kid);
      const inbound = relay(conn, kid.proc.stdin!);
      const outbound = relay(kid.proc.stdout!, conn);
      kid.unrelay = (): void => {
        inbound();
        outbound();
      };
      conn.once('close', () => this.retire(kid));
      log(`session started on child ${kid.proc.pid}`);
      // The next warm child starts once this one has answered: a command that installs on its
      // first run (`npx -y …`) then installs once, not twice at the same time (the second run
      // finds the package in place). A connection that arrives before that starts its own child.
      kid.proc.stdout!.once('data', () => this.startWarm());
      this.writeStatus();
    }
  }

  /** Ends the child of a finished session: stdin EOF, then SIGTERM, then SIGKILL. */
  private retire(kid: Kid): void {
    if (kid.retiring) return;
    kid.retiring = true;
    kid.unrelay?.();
    if (kid.proc.exitCode !== null || kid.proc.signalCode !== null) return;
    log(`session on child ${kid.proc.pid} ended; stopping it`);
    // A direct child has the client's connection as stdin: its end was the EOF.
    kid.proc.stdin?.end();
    const signal = (sig: NodeJS.Signals): void => {
      kid.signalled = true;
      kid.proc.kill(sig);
    };
    const term = setTimeout(() => signal('SIGTERM'), 2000);
    const kill = setTimeout(() => signal('SIGKILL'), 5000);
    kid.proc.once('exit', () => {
      clearTimeout(term);
      clearTimeout(kill);
    });
    this.writeStatus();
  }

  private onExit(kid: Kid, code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    const ranMs = kid.startedAt ? Date.now() - kid.startedAt : 0;
    const wasWarm = this.warm === kid;
    if (wasWarm) this.warm = undefined;
    this.sessions.delete(kid);
    try {
      if (!this.stopping) this.account(kid, wasWarm, ranMs, { code, signal, error });
    } finally {
      // Last, so that the status file already tells the story when the client sees the close.
      if (kid.conn && !kid.conn.destroyed) {
        // The session's server is gone: its client must reconnect and will get a fresh child.
        kid.unrelay?.();
        kid.conn.destroy();
      }
    }
  }

  /** Records an exit and decides what follows: nothing, a restart after backoff, or giving up. */
  private account(
    kid: Kid,
    wasWarm: boolean,
    ranMs: number,
    exit: { code: number | null; signal: NodeJS.Signals | null; error?: string },
  ): void {
    // A direct child's death also ends its session from the client's side (its socket closes
    // with it), and that close may reach us first: a signal we did not send is still a crash.
    const killed = kid.direct && exit.signal !== null && !kid.signalled;
    if (kid.retiring && !killed) {
      this.writeStatus();
      return;
    }
    this.lastExit = { ...exit, at: new Date().toISOString() };
    this.restarts += 1;
    this.failures = ranMs >= this.spec.restart.stableMs ? 1 : this.failures + 1;
    const what = `child ${kid.proc.pid ?? '-'} ${exit.error ? `could not start (${exit.error})` : `exited (code ${exit.code}, signal ${exit.signal})`}`;
    if (this.failures > this.spec.restart.maxRestarts) {
      log(`${what}; giving up after ${this.failures - 1} restart(s)`);
      this.state = 'failed';
      this.writeStatus();
      void this.close(1);
      return;
    }
    if (!wasWarm) {
      // A session child died: its client reconnects to the warm child, which is already there.
      log(`${what} during a session (restart ${this.restarts})`);
      this.writeStatus();
      return;
    }
    const delay = Math.min(
      this.spec.restart.backoffMaxMs,
      this.spec.restart.backoffInitialMs * 2 ** (this.failures - 1),
    );
    log(`${what}; restarting in ${delay} ms (restart ${this.restarts})`);
    this.state = 'backoff';
    this.writeStatus();
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.startWarm();
    }, delay);
  }

  async shutdown(signal: string): Promise<void> {
    if (this.stopping) return;
    log(`${signal} received; stopping`);
    this.state = 'stopped';
    await this.close(0);
  }

  private async close(exitCode: number): Promise<void> {
    this.stopping = true;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    for (const c of [...this.waiting.splice(0), ...this.unclassified]) c.destroy();
    for (const done of [...this.pendingDirect.values()]) done();
    // Closing a unix-socket server unlinks its path, which a newer launch now owns: when
    // replaced, the listener is simply abandoned to process exit.
    if (!this.replaced) {
      this.server.close();
      removeQuietly(this.spec.socketPath);
    }
    const kids = [...this.sessions, ...(this.warm ? [this.warm] : [])].filter(
      (k) => k.proc.exitCode === null && k.proc.signalCode === null,
    );
    await Promise.all(
      kids.map(async (k) => {
        k.conn?.destroy();
        const gone = new Promise<void>((r) => k.proc.once('exit', () => r()));
        k.proc.kill('SIGTERM');
        const kill = setTimeout(() => k.proc.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(kill);
      }),
    );
    this.sessions.clear();
    this.warm = undefined;
    if (!this.replaced) this.writeStatus();
    log(`stopped (exit ${exitCode})`);
    process.exit(exitCode);
  }
}

async function main(): Promise<void> {
  let spec: SupervisorSpec;
  try {
    spec = await readSpec();
  } catch (err) {
    log(`could not read the supervisor spec: ${(err as Error).message}`);
    process.exit(2);
  }
  const sup = new Supervisor(spec);
  // A bug must not leave children without their supervisor: log it and stop cleanly.
  process.on('uncaughtException', (err) => {
    log(`unexpected failure: ${err.stack ?? err.message}`);
    void sup.shutdown('uncaughtException');
  });
  try {
    await sup.start();
  } catch (err) {
    log(`could not start: ${(err as Error).message}`);
    process.exit(2);
  }
}

void main();
