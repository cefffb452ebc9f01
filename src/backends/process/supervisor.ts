// The detached supervisor of one process-backend runtime (entry point, run as its own process).
// It keeps one child running (restart on crash with bounded exponential backoff), relays the
// child's stdin/stdout to ONE client connection at a time on a unix socket, and gives every new
// connection a fresh child so each MCP session starts clean. It never logs environment values.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { StatusFile, SupervisorSpec, SupervisorState } from './files.js';

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

class Supervisor {
  private child: ChildProcess | undefined;
  private childReady = false;
  private childStartedAt: number | undefined;
  /** The child that is being replaced on purpose (its exit is not a crash). */
  private retiring: ChildProcess | undefined;
  private conn: Socket | undefined;
  private wiredTo: ChildProcess | undefined;
  private state: SupervisorState = 'starting';
  private restarts = 0;
  private failures = 0;
  private lastExit: StatusFile['lastExit'];
  private stopping = false;
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
    this.startChild();
  }

  private writeStatus(): void {
    const status: StatusFile = {
      version: 1,
      launchId: this.spec.launchId,
      stack: this.spec.stack,
      runtime: this.spec.runtime,
      address: this.spec.address,
      backend: this.spec.backend,
      specHash: this.spec.specHash,
      supervisorPid: process.pid,
      childPid: this.childReady && this.child !== this.retiring ? this.child?.pid : undefined,
      state: this.state,
      restarts: this.restarts,
      startedAt: this.startedAt,
      childStartedAt: this.childStartedAt ? new Date(this.childStartedAt).toISOString() : undefined,
      lastExit: this.lastExit,
      connected: Boolean(this.conn),
      socketPath: this.spec.socketPath,
      logPath: this.spec.logPath,
      live: this.spec.live,
    };
    // Write-then-rename so that observe() never reads half a file.
    const tmp = `${this.spec.statusPath}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.spec.statusPath);
  }

  private startChild(): void {
    if (this.stopping) return;
    const child = spawn(this.spec.command, this.spec.args, { cwd: this.spec.cwd, env: this.spec.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.childReady = false;
    let settled = false;
    const finished = (code: number | null, signal: NodeJS.Signals | null, error?: string): void => {
      if (settled) return;
      settled = true;
      this.onChildExit(child, code, signal, error);
    };
    child.once('spawn', () => {
      if (this.child !== child) return;
      this.childReady = true;
      this.childStartedAt = Date.now();
      this.state = 'running';
      log(`child ${child.pid} started: ${this.spec.command} ${this.spec.args.join(' ')}`);
      if (this.conn && !this.wiredTo) this.wire(this.conn, child);
      this.writeStatus();
    });
    child.once('error', (err) => {
      // Spawn failures (ENOENT, EACCES) arrive here without an exit event.
      if (!child.pid || !this.childReady) finished(null, null, err.message);
      else log(`child ${child.pid} error: ${err.message}`);
    });
    child.once('exit', (code, signal) => finished(code, signal));
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('data', () => undefined);
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.writeStatus();
  }

  private wire(conn: Socket, child: ChildProcess): void {
    this.wiredTo = child;
    conn.pipe(child.stdin!, { end: false });
    child.stdout!.pipe(conn, { end: false });
    log(`connection wired to child ${child.pid}`);
  }

  private unwire(conn: Socket, child: ChildProcess | undefined): void {
    conn.unpipe();
    if (child?.stdout) child.stdout.unpipe(conn);
    this.wiredTo = undefined;
  }

  private onConnection(conn: Socket): void {
    conn.on('error', () => undefined);
    if (this.conn || this.stopping || this.state === 'failed') {
      log('refused a second connection: one client at a time');
      conn.destroy();
      return;
    }
    this.conn = conn;
    conn.once('close', () => this.onConnectionClosed(conn));
    if (this.child && this.childReady && this.child !== this.retiring) this.wire(conn, this.child);
    this.writeStatus();
  }

  private onConnectionClosed(conn: Socket): void {
    if (this.conn !== conn) return;
    const child = this.wiredTo;
    this.unwire(conn, child);
    this.conn = undefined;
    if (child && child === this.child && !this.stopping) this.retire(child);
    this.writeStatus();
  }

  /** Ends a child whose session is over; its exit starts the next child without backoff. */
  private retire(child: ChildProcess): void {
    this.retiring = child;
    this.state = 'starting';
    log(`session ended; replacing child ${child.pid}`);
    child.stdin?.end();
    const term = setTimeout(() => child.kill('SIGTERM'), 2000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(term);
      clearTimeout(kill);
    });
  }

  private onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    const at = new Date().toISOString();
    const ranMs = this.childStartedAt ? Date.now() - this.childStartedAt : 0;
    if (this.child === child) {
      this.child = undefined;
      this.childReady = false;
    }
    if (this.conn && this.wiredTo === child) {
      // The session's server is gone: the client must reconnect and will get a fresh child.
      const conn = this.conn;
      this.unwire(conn, child);
      this.conn = undefined;
      conn.destroy();
    }
    if (this.stopping) return;
    if (this.retiring === child) {
      this.retiring = undefined;
      this.startChild();
      return;
    }
    this.lastExit = { code, signal, at, error };
    this.restarts += 1;
    this.failures = ranMs >= this.spec.restart.stableMs ? 1 : this.failures + 1;
    const what = error ? `could not start (${error})` : `exited (code ${code}, signal ${signal})`;
    if (this.failures > this.spec.restart.maxRestarts) {
      log(`child ${what}; giving up after ${this.failures - 1} restart(s)`);
      this.state = 'failed';
      this.writeStatus();
      void this.close(1);
      return;
    }
    const delay = Math.min(this.spec.restart.backoffMaxMs, this.spec.restart.backoffInitialMs * 2 ** (this.failures - 1));
    log(`child ${what}; restarting in ${delay} ms (restart ${this.restarts})`);
    this.state = 'backoff';
    this.writeStatus();
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.startChild();
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
    this.conn?.destroy();
    this.server.close();
    removeQuietly(this.spec.socketPath);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(kill);
    }
    this.childReady = false;
    this.writeStatus();
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
  try {
    await sup.start();
  } catch (err) {
    log(`could not start: ${(err as Error).message}`);
    process.exit(2);
  }
}

void main();
