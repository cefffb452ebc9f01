// The worker thread behind PgBridge: holds one `pg` Client (one PostgreSQL session, so that
// advisory locks live exactly as long as the store is open or its process exists), runs each
// request and answers on the port before waking the blocked caller. Never logs parameters.

import { workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import type { BridgeReply, BridgeRequest } from './pg-bridge.js';

const { url, flag, port } = workerData as { url: string; flag: Int32Array; port: MessagePort };

// int8 (bigint, count(*)) as numbers: our counters stay far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

let client: pg.Client | undefined;
let connecting: Promise<pg.Client> | undefined;

function connect(): Promise<pg.Client> {
  connecting ??= (async () => {
    const c = new pg.Client({ connectionString: url, application_name: 'contextforge' });
    // A dropped connection is reported on the next query; an unhandled 'error' would crash us.
    c.on('error', () => undefined);
    await c.connect();
    client = c;
    return c;
  })();
  return connecting;
}

function answer(reply: BridgeReply): void {
  port.postMessage(reply);
  // Counts answers; the caller waits for a change. It wraps long before 2^31 only in theory.
  Atomics.store(flag, 0, (Atomics.load(flag, 0) + 1) & 0x3fffffff);
  Atomics.notify(flag, 0);
}

port.on('message', (req: BridgeRequest) => {
  void (async () => {
    try {
      if (req.op === 'close') {
        if (client) await client.end().catch(() => undefined);
        answer({ ok: true, rows: [], rowCount: 0 });
        return;
      }
      const c = await connect();
      if (req.op === 'exec') {
        await c.query(req.sql ?? '');
        answer({ ok: true, rows: [], rowCount: 0 });
        return;
      }
      const r = await c.query(req.sql ?? '', req.params ?? []);
      answer({ ok: true, rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 });
    } catch (err) {
      const e = err as { message?: string; code?: string };
      // Connection strings carry passwords; pg's messages do not include them, but be sure.
      const message = String(e.message ?? err)
        .split(url)
        .join('(database url)');
      answer({ ok: false, message, code: typeof e.code === 'string' ? e.code : undefined });
    }
  })();
});
