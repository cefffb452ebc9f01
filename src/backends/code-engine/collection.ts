// Generic operations on a named, project-scoped Code Engine collection (apps, secrets, builds,
// build runs): paged listing, get/find, idempotency-safe create, conditional update, delete.
// Resource-specific conveniences live in client.ts; wire details live in transport.ts.

import { CodeEngineApiError } from './errors.js';
import { backoffDelayMs, isAmbiguousFailure, isRetryableStatus, sleep } from './retry.js';
import type { Transport } from './transport.js';
import type { CreateResult, Versioned } from './types.js';

interface PageBody {
  limit?: number;
  next?: { href?: string; start?: string };
  [key: string]: unknown;
}

export interface ListOptions {
  /** Page size, 1-100 (default 100: fewest calls). */
  limit?: number;
  /** Extra query parameters, e.g. `{ build_name: 'x' }`. */
  query?: Record<string, string | undefined>;
}

/** Follows `next.start` until absent and returns every item, in server order. */
export async function listAll<T>(
  transport: Transport,
  path: string,
  key: string,
  opts: ListOptions = {},
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let start: string | undefined;
  for (;;) {
    const res = await transport.request<PageBody>({
      method: 'GET',
      path,
      query: { ...opts.query, limit: opts.limit ?? 100, start },
    });
    const page = res.body?.[key];
    if (Array.isArray(page)) items.push(...(page as T[]));
    start = res.body?.next?.start;
    if (!start) return items;
    if (seen.has(start)) throw new Error(`Code Engine pagination loop on ${path}: start token repeated`);
    seen.add(start);
  }
}

export function etagOf(res: { etag?: string; body: unknown }): string {
  if (res.etag) return res.etag;
  const tag = (res.body as { entity_tag?: unknown } | undefined)?.entity_tag;
  return typeof tag === 'string' ? tag : '';
}

export class NamedCollection<T, P extends object> {
  constructor(
    protected readonly transport: Transport,
    /** e.g. `/projects/<id>/apps` */
    readonly path: string,
    /** The list key in a page body, e.g. `apps`. */
    protected readonly listKey: string,
  ) {}

  protected itemPath(name: string): string {
    return `${this.path}/${encodeURIComponent(name)}`;
  }

  list(opts?: ListOptions): Promise<T[]> {
    return listAll<T>(this.transport, this.path, this.listKey, opts);
  }

  /** Throws CodeEngineApiError (404 included) when absent. */
  async get(name: string): Promise<Versioned<T>> {
    const res = await this.transport.request<T>({ method: 'GET', path: this.itemPath(name) });
    return { value: res.body, etag: etagOf(res) };
  }

  /** Like get, but a 404 resolves to null. */
  async find(name: string): Promise<Versioned<T> | null> {
    try {
      return await this.get(name);
    } catch (e) {
      if (e instanceof CodeEngineApiError && e.status === 404) return null;
      throw e;
    }
  }

  /**
   * POST a new resource without ever creating it twice. 429 is retried directly (never processed);
   * after a 5xx or lost response the name is looked up first, and a found resource counts as our
   * own create (`recovered`); a 409 on the first try returns the existing one (`existing`).
   */
  async create(prototype: P & { name: string }): Promise<CreateResult<T>> {
    const policy = this.transport.retryPolicy;
    let ambiguous = false;
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await this.transport.once<T>({ method: 'POST', path: this.path, body: prototype });
      } catch (e) {
        if (
          e instanceof CodeEngineApiError &&
          e.service === 'iam' &&
          isRetryableStatus(e.status) &&
          attempt < policy.maxRetries
        ) {
          await sleep(backoffDelayMs(policy, attempt));
          continue;
        }
        throw e;
      }
      if (!(res instanceof CodeEngineApiError)) {
        return { value: res.body, etag: etagOf(res), outcome: ambiguous ? 'recovered' : 'created' };
      }
      if (res.status === 409) {
        const found = await this.find(prototype.name);
        if (found) return { ...found, outcome: ambiguous ? 'recovered' : 'existing' };
        // It vanished between the 409 and our read (being deleted?); try again, boundedly.
        if (attempt >= policy.maxRetries) throw res;
      } else if (!isRetryableStatus(res.status) || attempt >= policy.maxRetries) {
        throw res;
      }
      await sleep(backoffDelayMs(policy, attempt, res.retryAfterSeconds));
      if (isAmbiguousFailure(res.status)) {
        ambiguous = true;
        const found = await this.find(prototype.name);
        if (found) return { ...found, outcome: 'recovered' };
      }
    }
  }

  /**
   * DELETE (202). Returns true when deleted, false when it was already gone. A 404 on the first
   * try is an error unless `ignoreNotFound`: it may mean a wrong project id rather than "done".
   */
  async delete(
    name: string,
    opts: { ignoreNotFound?: boolean; query?: Record<string, string> } = {},
  ): Promise<boolean> {
    const policy = this.transport.retryPolicy;
    let ambiguous = false;
    for (let attempt = 0; ; attempt++) {
      const res = await this.transport.once<unknown>({
        method: 'DELETE',
        path: this.itemPath(name),
        query: opts.query,
      });
      if (!(res instanceof CodeEngineApiError)) return true;
      if (res.status === 404 && (ambiguous || opts.ignoreNotFound)) return ambiguous;
      if (!isRetryableStatus(res.status) || attempt >= policy.maxRetries) throw res;
      if (isAmbiguousFailure(res.status)) ambiguous = true;
      await sleep(backoffDelayMs(policy, attempt, res.retryAfterSeconds));
    }
  }
}

/** A collection whose items carry an entity tag and accept conditional writes. */
export class VersionedCollection<T, P extends object, U> extends NamedCollection<T, P> {
  constructor(
    transport: Transport,
    path: string,
    listKey: string,
    private readonly updateMethod: 'PATCH' | 'PUT',
  ) {
    super(transport, path, listKey);
  }

  /** Conditional update: merge patch (PATCH) or replacement (PUT) guarded by `If-Match: etag`. */
  protected async update(name: string, body: U, etag: string): Promise<Versioned<T>> {
    const res = await this.transport.request<T>({
      method: this.updateMethod,
      path: this.itemPath(name),
      body,
      contentType: this.updateMethod === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
      ifMatch: etag,
    });
    return { value: res.body, etag: etagOf(res) };
  }

  /**
   * Read, compute, write; on a stale entity tag (412, or 409 saying so: someone else wrote in
   * between) read again and recompute.
   * `compute` returns null when nothing needs to change. `updated` tells whether we wrote.
   */
  protected async updateWithRetryOn412(
    name: string,
    compute: (current: T) => U | null,
    maxAttempts = 5,
  ): Promise<Versioned<T> & { updated: boolean }> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(name);
      const change = compute(current.value);
      if (change === null) return { ...current, updated: false };
      try {
        return { ...(await this.update(name, change, current.etag)), updated: true };
      } catch (e) {
        if (!(e instanceof CodeEngineApiError) || !e.staleEntityTag || attempt >= maxAttempts) throw e;
      }
    }
  }
}
