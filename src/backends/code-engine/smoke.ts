// The checks a real Code Engine account must confirm, behind `contextforge dev smoke code-engine`:
// does a secret list carry `data`, what probes read back as, when a PATCH's revision appears,
// which status a stale entity tag gets, how long a delete takes, the duplicate-name status,
// whether `local_private` is accepted, and whether a 429 carries Retry-After. It creates one
// secret and one app (named `cf-smoke-<hex>`), deletes both and waits until they are gone. Every
// row says what was seen and whether this client copes with it. It never prints a secret value.

import { randomBytes } from 'node:crypto';
import { CodeEngineApiError, type CodeEngineClient, type ProjectClient } from './client.js';
import { normalizeProbe } from './desired-app.js';
import type { App, AppPrototype, Probe } from './types.js';

export type SmokeVerdict = 'ok' | 'unsupported' | 'problem' | 'error';

export interface SmokeRow {
  check: string;
  /** What the service did, in a few words. */
  seen: string;
  /** ok: the client copes; unsupported: a feature the account lacks; problem: the client would not cope. */
  verdict: SmokeVerdict;
  detail?: string;
}

export interface SmokeOptions {
  client: CodeEngineClient;
  projectId: string;
  /** A public image the account can pull (default IBM's hello-world sample). */
  image?: string;
  /** Poll interval (default 1000 ms) and the upper bound of each wait (default 5 min). */
  pollMs?: number;
  timeoutMs?: number;
  /** Concurrent GETs sent to look for a 429 (default 40; bounded). */
  burst?: number;
  progress?: (line: string) => void;
}

export const DEFAULT_SMOKE_IMAGE = 'icr.io/codeengine/helloworld:latest';

const LIVENESS: Probe = { type: 'tcp', interval: 30, timeout: 5, failure_threshold: 3 };
const READINESS: Probe = { type: 'tcp' };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function describe(err: unknown): string {
  if (err instanceof CodeEngineApiError) return `${err.status} ${err.code ?? ''}`.trim();
  return err instanceof Error ? err.message : String(err);
}

function probeText(p: Probe | undefined): string {
  if (!p) return '(none)';
  return Object.entries(p)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

export async function runSmoke(opts: SmokeOptions): Promise<{ rows: SmokeRow[]; cleanedUp: boolean }> {
  const { client } = opts;
  const project: ProjectClient = client.project(opts.projectId);
  const pollMs = opts.pollMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const say = opts.progress ?? (() => undefined);
  const id = randomBytes(3).toString('hex');
  const appName = `cf-smoke-${id}`;
  const secretName = `cf-smoke-${id}-s`;
  const rows: SmokeRow[] = [];
  const base = `/projects/${encodeURIComponent(opts.projectId)}`;
  let appMade = false;
  let secretMade = false;
  let appDeleted = false;

  async function check(name: string, fn: () => Promise<Omit<SmokeRow, 'check'>>): Promise<void> {
    say(`checking ${name}`);
    try {
      rows.push({ check: name, ...(await fn()) });
    } catch (err) {
      rows.push({ check: name, seen: 'could not run', verdict: 'error', detail: describe(err) });
    }
  }

  async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<{ value: T; ms: number }> {
    const t0 = Date.now();
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() - t0 >= timeoutMs) return { value, ms: Date.now() - t0 };
      await sleep(pollMs);
    }
  }

  try {
    await check('secret list data', async () => {
      await project.secrets.create({ name: secretName, format: 'generic', data: { probe: `smoke-${id}` } });
      secretMade = true;
      const item = (await project.secrets.list()).find((s) => s.name === secretName);
      if (!item) return { seen: 'created secret not listed', verdict: 'problem' };
      return item.data === undefined
        ? { seen: 'absent from list items', verdict: 'ok', detail: 'observe reads our secrets by GET' }
        : { seen: 'present in list items', verdict: 'ok' };
    });

    const proto: AppPrototype = {
      name: appName,
      image_reference: opts.image ?? DEFAULT_SMOKE_IMAGE,
      image_port: 8080,
      managed_domain_mappings: 'local',
      probe_readiness: READINESS,
      probe_liveness: LIVENESS,
      run_env_variables: [{ type: 'literal', name: 'SMOKE', value: '1' }],
      scale_cpu_limit: '0.125',
      scale_memory_limit: '250M',
      scale_min_instances: 0,
      scale_max_instances: 1,
    };
    await check('probe read-back', async () => {
      await project.apps.create(proto);
      appMade = true;
      const got = (await project.apps.get(appName)).value;
      const same =
        normalizeProbe(got.probe_liveness, 8080) === normalizeProbe(LIVENESS, 8080) &&
        normalizeProbe(got.probe_readiness ?? READINESS, 8080) === normalizeProbe(READINESS, 8080);
      const echoed = JSON.stringify(got.probe_liveness) === JSON.stringify(LIVENESS);
      return {
        seen: echoed ? 'echoed as sent' : 'defaults filled in',
        verdict: same ? 'ok' : 'problem',
        detail: `liveness: ${probeText(got.probe_liveness)}; readiness: ${probeText(got.probe_readiness)}`,
      };
    });

    await check('duplicate name', async () => {
      const r = await client.rawOnce<App>({ method: 'POST', path: `${base}/apps`, body: proto });
      return {
        seen: `HTTP ${r.status}${r.error?.code ? ` ${r.error.code}` : ''}`,
        verdict: r.status === 409 ? 'ok' : 'problem',
        ...(r.status === 409 ? {} : { detail: 'the client expects 409 for a name that exists' }),
      };
    });

    let etagBefore = '';
    await check('PATCH then GET revision', async () => {
      const first = await until(
        () => project.apps.get(appName),
        (a) => !!a.value.status_details?.latest_created_revision,
      );
      const before = first.value.value.status_details?.latest_created_revision;
      etagBefore = first.value.etag;
      const patched = await project.apps.patch(
        appName,
        { run_env_variables: [{ type: 'literal', name: 'SMOKE', value: '2' }] },
        first.value.etag,
      );
      const inAnswer = patched.value.status_details?.latest_created_revision !== before;
      const moved = await until(
        () => project.apps.get(appName),
        (a) => a.value.status_details?.latest_created_revision !== before,
      );
      const after = moved.value.value.status_details?.latest_created_revision;
      if (after === before) return { seen: `no new revision within ${timeoutMs / 1000}s`, verdict: 'problem' };
      return {
        seen: inAnswer ? 'new revision in the PATCH answer' : `new revision ${moved.ms} ms after the answer`,
        verdict: 'ok',
        detail: `${before} -> ${after}; readiness waits for the new revision`,
      };
    });

    await check('stale entity tag', async () => {
      const r = await client.rawOnce<App>({
        method: 'PATCH',
        path: `${base}/apps/${appName}`,
        body: { scale_max_instances: 1 },
        contentType: 'application/merge-patch+json',
        ifMatch: etagBefore || 'stale-0',
      });
      if (!r.error)
        return { seen: `HTTP ${r.status}: accepted`, verdict: 'problem', detail: 'a stale If-Match was not refused' };
      return {
        seen: `HTTP ${r.status}${r.error.code ? ` ${r.error.code}` : ''}`,
        verdict: r.error.staleEntityTag ? 'ok' : 'problem',
        detail: r.error.staleEntityTag
          ? 'recognised as a stale tag: re-read and retried'
          : `not recognised as a stale tag: ${r.error.errors.map((e) => e.message).join('; ')}`,
      };
    });

    await check('local_private visibility', async () => {
      const cur = await project.apps.get(appName);
      const r = await client.rawOnce<App>({
        method: 'PATCH',
        path: `${base}/apps/${appName}`,
        body: { managed_domain_mappings: 'local_private' },
        contentType: 'application/merge-patch+json',
        ifMatch: cur.etag,
      });
      if (!r.error) return { seen: 'accepted', verdict: 'ok', detail: 'visibility: private works in this project' };
      return {
        seen: `refused (HTTP ${r.status})`,
        verdict: 'unsupported',
        detail: `use visibility public or project here: ${r.error.errors.map((e) => e.message).join('; ')}`,
      };
    });

    await check('Retry-After on 429', async () => {
      const n = Math.min(100, Math.max(1, opts.burst ?? 40));
      const answers = await Promise.all(
        Array.from({ length: n }, () => client.rawOnce({ method: 'GET', path: `${base}/apps`, query: { limit: 1 } })),
      );
      const limited = answers.filter((a) => a.status === 429);
      if (!limited.length) return { seen: `no 429 in ${n} concurrent GETs`, verdict: 'ok', detail: 'not observed' };
      const withHeader = limited.filter((a) => a.error?.retryAfterSeconds !== undefined);
      return {
        seen: `${limited.length} of ${n} got 429, ${withHeader.length} with Retry-After`,
        verdict: 'ok',
        detail: withHeader.length
          ? `Retry-After ${withHeader[0].error!.retryAfterSeconds}s (honoured, capped at 30s)`
          : 'no Retry-After: the client backs off exponentially',
      };
    });

    await check('asynchronous delete', async () => {
      const del = await client.rawOnce({ method: 'DELETE', path: `${base}/apps/${appName}` });
      if (del.error) return { seen: `DELETE HTTP ${del.status}`, verdict: 'problem' };
      appDeleted = true;
      const right = await project.apps.find(appName);
      const gone = await until(
        () => project.apps.find(appName),
        (a) => a === null,
      );
      if (gone.value !== null) return { seen: `still there after ${timeoutMs / 1000}s`, verdict: 'problem' };
      return {
        seen: right ? `gone ${gone.ms} ms after DELETE ${del.status}` : `gone at once (DELETE ${del.status})`,
        verdict: 'ok',
        detail: 'destroy waits until a deleted app answers 404',
      };
    });
  } finally {
    say('cleaning up');
  }
  let cleanedUp = true;
  try {
    if (appMade && !appDeleted) await project.apps.delete(appName, { ignoreNotFound: true });
    if (appMade && !(await project.apps.waitUntilGone(appName, { intervalMs: pollMs, timeoutMs }))) cleanedUp = false;
    if (secretMade) await project.secrets.delete(secretName, { ignoreNotFound: true });
    if (secretMade && (await project.secrets.find(secretName))) cleanedUp = false;
  } catch (err) {
    cleanedUp = false;
    rows.push({ check: 'clean-up', seen: 'failed', verdict: 'error', detail: describe(err) });
  }
  if (cleanedUp) rows.push({ check: 'clean-up', seen: `removed ${appName} and ${secretName}`, verdict: 'ok' });
  else if (!rows.some((r) => r.check === 'clean-up'))
    rows.push({
      check: 'clean-up',
      seen: 'incomplete',
      verdict: 'error',
      detail: `delete ${appName} / ${secretName} yourself (ibmcloud ce app delete / secret delete)`,
    });
  return { rows, cleanedUp };
}

/** The rows as a fixed-width table. */
export function smokeTable(rows: readonly SmokeRow[]): string {
  const head = ['check', 'seen', 'verdict', 'detail'];
  const cells = rows.map((r) => [r.check, r.seen, r.verdict, r.detail ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
