// The state store a suite runs against. By default each suite uses SQLite; a `*.postgres.test.ts`
// file re-runs a suite against a real PostgreSQL server by calling usePostgresStore() before it
// imports the suite. Unit suites open their stores through openTestStore(); CLI suites put
// testStateYaml() into their configs (the URL reaches the CLI through CF_TEST_STATE_URL, which
// children inherit, so no database URL is written into a file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { openStore, type OpenedStore } from '../../src/state/open.js';
import { dropDatabase, freshDatabase, requirePostgres } from './postgres.js';

let kind: 'sqlite' | 'postgres' = 'sqlite';
const cleanups: Array<() => Promise<void> | void> = [];
let hooked = false;

function afterAll(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
  if (hooked) return;
  hooked = true;
  test.after(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
}

/**
 * Switches this process's suites to PostgreSQL. False when no server is configured (the caller
 * then registers a skip; under CI requirePostgres throws, so CI never passes without one).
 */
export async function usePostgresStore(suite: string): Promise<boolean> {
  if (!(await requirePostgres(suite))) return false;
  kind = 'postgres';
  const url = await freshDatabase('cfsuite');
  process.env.CF_TEST_STATE_URL = url;
  afterAll(() => dropDatabase(url));
  return true;
}

export function testStoreKind(): 'sqlite' | 'postgres' {
  return kind;
}

/** A new, empty store of the suite's kind: a fresh database, as each SQLite store is a fresh file. */
export async function openTestStore(): Promise<OpenedStore> {
  if (kind === 'postgres') {
    const url = await freshDatabase('cfstore');
    const store = openStore({ backend: 'postgres', url });
    afterAll(async () => {
      closeQuietly(store);
      await dropDatabase(url);
    });
    return store;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cf-store-'));
  const store = openStore({ backend: 'sqlite', path: join(dir, 'state.db') });
  afterAll(() => {
    closeQuietly(store);
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** Config lines that put a CLI run's state in the suite's store (none for SQLite: the default). */
export function testStateYaml(): string[] {
  return kind === 'postgres' ? ['state:', '  backend: postgres', '  url: ${CF_TEST_STATE_URL}'] : [];
}

/** A suite may have closed its store already. */
function closeQuietly(store: OpenedStore): void {
  try {
    store.close();
  } catch {
    // closed before
  }
}

/** The store a CLI run in `dir` uses: its default SQLite file, or the suite's PostgreSQL database. */
export function openCliStateStore(dir: string): OpenedStore {
  if (kind === 'postgres') return openStore({ backend: 'postgres', url: process.env.CF_TEST_STATE_URL! });
  return openStore({ backend: 'sqlite', path: join(dir, '.contextforge', 'state.db') });
}
