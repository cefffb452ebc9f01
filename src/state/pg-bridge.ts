// A synchronous front for one PostgreSQL connection: the StateStore interface is synchronous
// (better-sqlite3 is), so `pg` runs in a worker thread and each query blocks the caller on
// Atomics.wait until the worker has answered through a MessagePort. Hand-written (about 80
// lines) because each store needs its own connection, hence its own session for advisory
// locks, and an explicit close; synckit keeps one shared worker per module for the process.

import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

export type SqlValue = string | number | boolean | null;
export type SqlRow = Record<string, unknown>;

export interface BridgeRequest {
  op: 'query' | 'exec' | 'close';
  sql?: string;
  params?: SqlValue[];
}

export type BridgeReply =
  { ok: true; rows: SqlRow[]; rowCount: number } | { ok: false; message: string; code?: string };

/** An error reported by PostgreSQL (or the connection), with its SQLSTATE when known. */
export class PgError extends Error {
  readonly code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'PgError';
    this.code = code;
  }
}

export interface PgBridgeOptions {
  url: string;
  /** Upper bound of one call, connecting included (default 60 s). */
  timeoutMs?: number;
}

/** The counter value that means the worker is gone. */
export const DEAD = -1;

/**
 * The worker's entry: loads tsx when the caller runs from source, then the real worker; when
 * either fails it answers with the error and marks itself dead, so that no caller waits forever.
 */
const BOOTSTRAP = `
(async () => {
  // import(), not require(): evaluated code is an ES module when the parent runs with
  // --input-type=module (as the CLI tests' runner does), and CommonJS otherwise.
  const { workerData } = await import('node:worker_threads');
  const fail = (err) => {
    workerData.port.postMessage({ ok: false, message: 'the PostgreSQL worker failed: ' + String(err && err.message || err) });
    Atomics.store(workerData.flag, 0, ${-1});
    Atomics.notify(workerData.flag, 0);
  };
  process.on('uncaughtException', fail);
  try {
    if (workerData.tsx) (await import(workerData.tsx)).register();
    await import(workerData.entry);
  } catch (err) {
    fail(err);
  }
})();
`;

export class PgBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly timeoutMs: number;
  private closed = false;

  constructor(options: PgBridgeOptions) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // Under tsx (the tests) this module is the .ts source and the worker needs tsx's loader too;
    // built, both are dist/state/*.js.
    const ts = import.meta.url.endsWith('.ts');
    const entry = new URL(`./pg-worker${ts ? '.ts' : '.js'}`, import.meta.url).href;
    const tsx = ts ? import.meta.resolve('tsx/esm/api') : undefined;
    this.worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { url: options.url, flag: this.flag, port: port2, entry, tsx },
      transferList: [port2],
    });
    // A store left open must not keep the process alive; close() ends the worker anyway.
    this.worker.unref();
    this.port.unref();
  }

  private call(req: BridgeRequest): { rows: SqlRow[]; rowCount: number } {
    if (this.closed) throw new PgError('the PostgreSQL state store is closed');
    // The worker bumps the counter after each answer, or sets it to -1 when it cannot go on.
    const before = Atomics.load(this.flag, 0);
    if (before !== DEAD) this.port.postMessage(req);
    // Wait for the answer itself, not only for the counter: a wake whose message is not on the
    // port yet (or a counter bumped by a late answer) waits again until the deadline.
    const deadline = Date.now() + this.timeoutMs;
    let seen = before;
    let msg = receiveMessageOnPort(this.port);
    while (!msg) {
      if (seen === DEAD) throw new PgError('the PostgreSQL worker ended without an answer');
      const left = deadline - Date.now();
      if (left <= 0) throw new PgError(`PostgreSQL did not answer within ${this.timeoutMs} ms`);
      Atomics.wait(this.flag, 0, seen, Math.min(left, 1000));
      seen = Atomics.load(this.flag, 0);
      msg = receiveMessageOnPort(this.port);
    }
    const reply = msg.message as BridgeReply;
    if (!reply.ok) throw new PgError(reply.message, reply.code);
    return reply;
  }

  /** One statement with $1… parameters; returns its rows. */
  query<T extends SqlRow = SqlRow>(sql: string, params: SqlValue[] = []): T[] {
    return this.call({ op: 'query', sql, params }).rows as T[];
  }

  /** One statement; returns the number of rows it touched. */
  run(sql: string, params: SqlValue[] = []): number {
    return this.call({ op: 'query', sql, params }).rowCount;
  }

  /** Several statements without parameters (migrations). */
  exec(sql: string): void {
    this.call({ op: 'exec', sql });
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ op: 'close' });
    } catch {
      // The connection may already be gone; the worker is ended below either way.
    }
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}
