// The test PostgreSQL server: CF_TEST_DATABASE_URL (exported by .ci/run, which starts a cluster
// of its own; locally: `eval "$(bash scripts/postgres-cluster.sh start /tmp/somewhere)"`). Each
// suite gets a database of its own, dropped afterwards. Under CI a missing server is a failure.
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const PG_ADMIN_URL = process.env.CF_TEST_DATABASE_URL;

/** True when a server is configured and answers; under CI (env CI set) throws otherwise. */
export async function requirePostgres(suiteName: string): Promise<boolean> {
  let why: string | undefined;
  if (!PG_ADMIN_URL) why = 'CF_TEST_DATABASE_URL is not set';
  else {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 10_000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
    } catch (err) {
      why = `the server at CF_TEST_DATABASE_URL does not answer (${(err as Error).message})`;
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  if (!why) return true;
  if (process.env.CI)
    throw new Error(
      `${suiteName}: ${why}, and CI is set, so this suite fails instead of skipping. .ci/run starts a cluster.`,
    );
  process.stdout.write(`- skipped ${suiteName}: ${why} (set CI=1 to make this a failure).\n`);
  return false;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new empty database; its URL. */
export async function freshDatabase(prefix = 'cf'): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(PG_ADMIN_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** One query on its own connection (to look at what a store wrote, or to try what it must refuse). */
export async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}
