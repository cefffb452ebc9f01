// The detached supervisor of one process-backend runtime (entry point, run as its own process).
// It keeps one warm child ready, hands it to the next connection on its unix socket (so every
// client session gets its own fresh server, as a stdio MCP server expects), starts the next warm
// child once the handed-over one has answered, and restarts crashed children with bounded
// exponential backoff. Never logs env values.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Socket } from 'node:net';
import type { StatusFile, SupervisorSpec, SupervisorState } from './files.js';
import { relay } from './relay.js';

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
}

class Supervisor {
  private warm: Kid | undefined;
  private readonly sessions = new Set<Kid>();
  /** Connections waiting for the warm child to become ready. */
  private readonly waiting: Socket[] = [];
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
    const proc = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const kid: Kid = { proc, ready: false, retiring: false };
    this.warm = kid;
    let settled = false;
    const finished = (code: number | null, signal: NodeJS.Signals | null, error?: string): void => {
      if (settled) return;
      settled = true;
      this.onExit(kid, code, signal, error);
    };
    proc.once('spawn', () => {
      kid.ready = true;
      kid.startedAt = Date.now();
      this.state = 'running';
      log(`child ${proc.pid} started: ${this.spec.command} ${this.spec.args.join(' ')}`);
      this.writeStatus();
      this.serveWaiting();
    });
    proc.once('error', (err) => {
      // Spawn failures (ENOENT, EACCES) arrive here without an exit event.
      if (!kid.ready) finished(null, null, err.message);
      else log(`child ${proc.pid} error: ${err.message}`);
    });
    proc.once('exit', (code, signal) => finished(code, signal));
    proc.stdin?.on('error', () => undefined);
    // Unsolicited output of a child no client holds yet is dropped.
    proc.stdout?.on('data', () => undefined);
    proc.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  }

  private onConnection(conn: Socket): void {
    conn.on('error', () => undefined);
    if (this.stopping || this.state === 'failed' || this.sessions.size + this.waiting.length >= MAX_SESSIONS) {
      log(
        this.stopping || this.state === 'failed'
          ? 'refused a connection: not serving'
          : `refused a connection: ${MAX_SESSIONS} sessions already`,
      );
      conn.destroy();
      return;
    }
    // Until a child takes it, the connection stays paused: whatever the client sends waits.
    this.waiting.push(conn);
    if (!this.backoffTimer) this.startWarm();
    conn.once('close', () => {
      const i = this.waiting.indexOf(conn);
      if (i >= 0) this.waiting.splice(i, 1);
    });
    this.serveWaiting();
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
    kid.proc.stdin?.end();
    const term = setTimeout(() => kid.proc.kill('SIGTERM'), 2000);
    const kill = setTimeout(() => kid.proc.kill('SIGKILL'), 5000);
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
    if (kid.retiring) {
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
    for (const c of this.waiting.splice(0)) c.destroy();
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
