// `catalog sync` for each configured catalog source: read the registry (every page of an MCP
// Registry's /v0/servers, or one ToolHive document; from a URL or a file below the config),
// validate each entry, filter, map it to a catalog entry, name it, and write the copy the config
// loader reads (config/catalog-cache.ts). A source that cannot be read keeps its last copy and
// says so. The only writer of .contextforge/catalog-sources/.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  CATALOG_CACHE_VERSION,
  catalogCachePath,
  parseDurationMs,
  readConfined,
  type CachedProblem,
  type CatalogCacheFile,
  type Confinement,
} from '../../config/index.js';
import { error, warning, type Diagnostic } from '../../diag/diagnostic.js';
import { hashOf } from '../../model/canonical.js';
import type { CatalogSource } from '../../generated/config.js';
import { DEFAULT_MAX_BYTES, displayUrl, fetchDocument } from './fetch.js';
import { nameGlob, slugFor } from './names.js';
import { mapServer, splitListItem, statusOf, validateServer, type ServerJson } from './server-json.js';
import { mapToolhive, toolhiveItems, toolhiveStatus, validateToolhive } from './toolhive.js';
import type { ImportedEntry, ImportProblem } from './types.js';

export interface SyncOptions {
  configDir: string;
  sources: readonly CatalogSource[];
  confinement: Confinement;
  /** Only these sources (by name); default all. */
  only?: readonly string[];
  /** Skip sources whose copy is younger than their sync_interval. */
  due?: boolean;
  now?: () => Date;
  /** First retry backoff in ms (tests shorten it). */
  backoffMs?: number;
  /** Aborting ends the requests in flight (a host that stops); the copy is left as it was. */
  signal?: AbortSignal;
  /**
   * false: read and import, but write nothing; each report carries the entries as fetched. A
   * host checks a pinned source this way (its copy changes only by `catalog sync`).
   */
  write?: boolean;
}

export interface SourceReport {
  source: string;
  /** synced: a new copy; kept: the registry failed and the last copy stays; failed: no copy at all. */
  outcome: 'synced' | 'kept' | 'failed' | 'fresh';
  imported: number;
  /** Left out by the filter. */
  filtered: number;
  /** Failed the schema, or nothing runnable, or a slug collision. */
  skipped: number;
  requests: number;
  /** Requests answered 304 Not Modified (the cached page reused). */
  notModified: number;
  diags: Diagnostic[];
  /** write: false and outcome synced: the entries the registry serves now (not written). */
  fetched?: ImportedEntry[];
}

/** Raw pages by request URL with their ETag, so that the next sync can send If-None-Match. */
interface PagesFile {
  cache_version: typeof CATALOG_CACHE_VERSION;
  /** The source's settings and the importer's version the copy was made with. */
  made_with?: string;
  pages: Record<string, { etag?: string; body: string }>;
}

/**
 * Bumped when the mapping of registry entries changes: a copy made by another mapping is
 * re-imported even when the registry answers 304 to every page.
 */
const IMPORTER_VERSION = 1;
const madeWith = (src: CatalogSource): string => hashOf({ src, IMPORTER_VERSION });

const pagesPath = (dir: string, source: string): string =>
  catalogCachePath(dir, source).replace(/\.json$/, '.pages.json');

/** The synced copy of one source as last written, or undefined (none, or not one we wrote). */
export function readSyncedCopy(configDir: string, source: string): CatalogCacheFile | undefined {
  const copy = readJson<CatalogCacheFile>(catalogCachePath(configDir, source));
  return copy?.cache_version === CATALOG_CACHE_VERSION && copy.source === source && Array.isArray(copy.entries)
    ? copy
    : undefined;
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}

/** The first page URL of an MCP Registry: `<url>/v0/servers` unless the URL already is it. */
function serversUrl(base: string, pageSize: number, cursor: string | undefined): string {
  const u = new URL(base);
  if (!/\/v0(\.\d+)?\/servers\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/v0/servers`;
  u.searchParams.set('limit', String(pageSize));
  u.searchParams.set('version', 'latest');
  if (cursor) u.searchParams.set('cursor', cursor);
  return u.toString();
}

interface Page {
  /** What the problems' pointers are relative to, for messages: "page 2" or the file. */
  label: string;
  doc: unknown;
}

type Read =
  { ok: true; pages: Page[]; requests: number; notModified: number } | { ok: false; why: string; requests: number };

/** Reads every page of a source (URL or file), reusing cached pages on 304. */
async function readSource(
  src: CatalogSource,
  o: SyncOptions,
  old: PagesFile | undefined,
): Promise<Read & { pagesFile?: PagesFile }> {
  let requests = 0;
  let notModified = 0;
  const timeoutMs = parseDurationMs(src.timeout ?? '30s') ?? 30_000;
  const maxEntries = src.max_entries ?? 10_000;
  if (src.file) {
    const path = resolve(o.configDir, src.file);
    const r = readConfined(path, o.confinement, { what: 'catalog source file' });
    if (!r.ok) return { ok: false, why: r.diag.summary, requests };
    try {
      return {
        ok: true,
        pages: [{ label: src.file, doc: JSON.parse(r.bytes.toString('utf8')) }],
        requests,
        notModified,
      };
    } catch (e) {
      return { ok: false, why: `${src.file} is not JSON: ${(e as Error).message}`, requests };
    }
  }
  const fresh: PagesFile = { cache_version: CATALOG_CACHE_VERSION, pages: {} };
  const get = async (url: string): Promise<{ ok: true; body: string } | { ok: false; why: string }> => {
    const cached = old?.pages[url];
    const r = await fetchDocument(url, cached?.etag, {
      timeoutMs,
      maxBytes: DEFAULT_MAX_BYTES,
      backoffMs: o.backoffMs,
      signal: o.signal,
      onRequest: (s) => {
        requests++;
        if (s === 304) notModified++;
      },
    });
    if (!r.ok) return r;
    if (r.status === 304) {
      if (!cached) return { ok: false, why: 'the registry answered 304 to a request without If-None-Match' };
      fresh.pages[url] = cached;
      return { ok: true, body: cached.body };
    }
    fresh.pages[url] = { ...(r.etag ? { etag: r.etag } : {}), body: r.body };
    return { ok: true, body: r.body };
  };
  const url = src.url ?? '';
  if (src.format === 'toolhive') {
    const r = await get(url);
    if (!r.ok) return { ok: false, why: r.why, requests };
    try {
      return {
        ok: true,
        pages: [{ label: displayUrl(url), doc: JSON.parse(r.body) }],
        requests,
        notModified,
        pagesFile: fresh,
      };
    } catch {
      return { ok: false, why: 'the answer is not JSON', requests };
    }
  }
  const pages: Page[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let entries = 0;
  const pageSize = src.page_size ?? 100;
  for (;;) {
    const pageUrl = serversUrl(url, pageSize, cursor);
    const r = await get(pageUrl);
    if (!r.ok) return { ok: false, why: `${r.why} (page ${pages.length + 1})`, requests };
    let doc: { servers?: unknown; metadata?: { nextCursor?: unknown; next_cursor?: unknown } };
    try {
      doc = JSON.parse(r.body) as typeof doc;
    } catch {
      return { ok: false, why: `page ${pages.length + 1} is not JSON`, requests };
    }
    if (!doc || !Array.isArray(doc.servers))
      return { ok: false, why: `page ${pages.length + 1} has no servers list`, requests };
    pages.push({ label: `page ${pages.length + 1}`, doc });
    entries += doc.servers.length;
    const next = doc.metadata?.nextCursor ?? doc.metadata?.next_cursor;
    if (typeof next !== 'string' || next === '' || doc.servers.length === 0) break;
    // A registry that hands back a cursor it gave before would page forever.
    if (seen.has(next))
      return { ok: false, why: `the registry repeated the cursor ${JSON.stringify(next.slice(0, 40))}`, requests };
    if (entries >= maxEntries) break;
    seen.add(next);
    cursor = next;
  }
  return { ok: true, pages, requests, notModified, pagesFile: fresh };
}

interface Candidate {
  name: string;
  label: string;
  pointer: string;
  build: (slug: string) => { value?: ImportedEntry; problems: ImportProblem[]; unsupported?: string; notes: string[] };
  status: string;
}

/** Every entry of the pages as a candidate: name, where, and how to validate and map it. */
function candidates(src: CatalogSource, pages: Page[]): { list: Candidate[]; problems: CachedProblem[] } {
  const list: Candidate[] = [];
  const problems: CachedProblem[] = [];
  for (const page of pages) {
    if (src.format === 'toolhive') {
      const t = toolhiveItems(src.name, page.doc);
      problems.push(...t.problems.map((p) => ({ ...p, pointer: `${page.label}#${p.pointer}` })));
      for (const item of t.items) {
        const status = toolhiveStatus(item);
        list.push({
          name: item.name,
          label: page.label,
          pointer: item.pointer,
          status,
          build: (slug) => {
            const problems = validateToolhive(item);
            if (problems.length) return { problems, notes: [] };
            return { value: mapToolhive(item, { source: src.name, slug, status }), problems: [], notes: [] };
          },
        });
      }
      continue;
    }
    const servers = (page.doc as { servers: unknown[] }).servers;
    servers.forEach((item, i) => {
      const { server, wrapperMeta } = splitListItem(item);
      const inner = server === item ? '' : '/server';
      const pointer = `/servers/${i}${inner}`;
      const name = (server as { name?: unknown } | null)?.name;
      const status = server && typeof server === 'object' ? statusOf(server as ServerJson, wrapperMeta) : 'active';
      list.push({
        name: typeof name === 'string' ? name : `(entry ${i} of ${page.label})`,
        label: page.label,
        pointer,
        status,
        build: (slug) => {
          const problems = validateServer(server, pointer);
          if (problems.length) return { problems, notes: [] };
          const m = mapServer({ source: src.name, slug, status, wrapperMeta, server: server as ServerJson });
          return { value: m.value, problems: [], unsupported: m.problem, notes: m.notes };
        },
      });
    });
  }
  return { list, problems };
}

function matches(src: CatalogSource, c: Candidate): boolean {
  const f = src.filter ?? {};
  if (f.names?.length && !f.names.some((g) => nameGlob(g).test(c.name))) return false;
  return (f.status ?? ['active']).map((s) => s.toLowerCase()).includes(c.status);
}

function matchesEntry(src: CatalogSource, e: ImportedEntry): boolean {
  const f = src.filter ?? {};
  const lower = (xs: readonly string[] | undefined): string[] => (xs ?? []).map((x) => x.toLowerCase());
  if (f.categories?.length && !lower(f.categories).includes((e.category ?? '').toLowerCase())) return false;
  if (f.tags?.length && !lower(e.tags).some((t) => lower(f.tags).includes(t))) return false;
  return true;
}

/** Validates, filters, maps and names the entries of one source's pages. */
export function importPages(
  src: CatalogSource,
  pages: Page[],
): {
  entries: ImportedEntry[];
  problems: CachedProblem[];
  filtered: number;
  diags: Diagnostic[];
} {
  const { list, problems } = candidates(src, pages);
  const diags: Diagnostic[] = [];
  const entries: ImportedEntry[] = [];
  const bySlug = new Map<string, string>();
  const names = new Set<string>();
  let filtered = 0;
  const max = src.max_entries ?? 10_000;
  for (const p of problems)
    diags.push(
      warning('catalog-source.unreadable-document', `catalog source "${src.name}": ${p.message}`, {
        pointer: p.pointer,
      }),
    );
  for (const c of list) {
    if (!matches(src, c)) {
      filtered++;
      continue;
    }
    // A registry asked for the latest versions may still list a name twice: the first counts.
    if (names.has(c.name)) continue;
    names.add(c.name);
    const slug = slugFor(c.name);
    const built = c.build(slug);
    if (built.problems.length) {
      const first = built.problems[0];
      const more = built.problems.length > 1 ? ` (and ${built.problems.length - 1} more)` : '';
      problems.push(
        ...built.problems.map((p) => ({ name: c.name, pointer: `${c.label}#${p.pointer}`, message: p.message })),
      );
      diags.push(
        warning(
          'catalog-source.invalid-entry',
          `entry ${c.name} of catalog source "${src.name}" is skipped: it fails the registry schema`,
          {
            pointer: first.pointer,
            detail: `At ${first.pointer} of ${c.label}: ${first.message}${more}. The publisher must fix the entry; the rest of the source is imported.`,
          },
        ),
      );
      continue;
    }
    if (!built.value) {
      problems.push({ name: c.name, pointer: `${c.label}#${c.pointer}`, message: built.unsupported ?? 'not runnable' });
      diags.push(
        warning(
          'catalog-source.unsupported-entry',
          `entry ${c.name} of catalog source "${src.name}" is skipped: ${built.unsupported}`,
          {
            pointer: c.pointer,
          },
        ),
      );
      continue;
    }
    if (!matchesEntry(src, built.value)) {
      filtered++;
      continue;
    }
    const prev = bySlug.get(slug);
    if (prev) {
      problems.push({
        name: c.name,
        pointer: `${c.label}#${c.pointer}`,
        message: `its slug ${slug} is taken by ${prev}`,
      });
      diags.push(
        warning(
          'catalog-source.slug-collision',
          `entries ${prev} and ${c.name} of catalog source "${src.name}" both become "${slug}"`,
          {
            pointer: c.pointer,
            detail: `${c.name} is skipped; exclude one of them with filter.names.`,
          },
        ),
      );
      continue;
    }
    if (entries.length >= max) {
      diags.push(
        warning(
          'catalog-source.too-many',
          `catalog source "${src.name}" has more than ${max} entries; the rest are left out`,
          {
            detail: 'Narrow its filter, or raise max_entries.',
          },
        ),
      );
      break;
    }
    bySlug.set(slug, c.name);
    for (const n of built.notes)
      diags.push({ severity: 'info', code: 'catalog-source.entry-note', summary: `${c.name}: ${n}` });
    entries.push(built.value);
  }
  entries.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  return { entries, problems, filtered, diags };
}

function isDue(src: CatalogSource, configDir: string, now: Date): boolean {
  const old = readJson<CatalogCacheFile>(catalogCachePath(configDir, src.name));
  if (!old || src.sync_interval === undefined) return true;
  const interval = parseDurationMs(src.sync_interval) ?? 0;
  return now.getTime() - Date.parse(old.synced_at) >= interval;
}

/** Syncs each selected source in turn; failures are reports, never exceptions. */
export async function syncCatalogSources(o: SyncOptions): Promise<SourceReport[]> {
  const now = o.now ?? (() => new Date());
  const reports: SourceReport[] = [];
  for (const src of o.sources) {
    if (o.only?.length && !o.only.includes(src.name)) continue;
    const report: SourceReport = {
      source: src.name,
      outcome: 'synced',
      imported: 0,
      filtered: 0,
      skipped: 0,
      requests: 0,
      notModified: 0,
      diags: [],
    };
    reports.push(report);
    if (o.due && !isDue(src, o.configDir, now())) {
      report.outcome = 'fresh';
      continue;
    }
    const cachePath = catalogCachePath(o.configDir, src.name);
    const previous = readJson<CatalogCacheFile>(cachePath);
    const oldPages = readJson<PagesFile>(pagesPath(o.configDir, src.name));
    const read = await readSource(src, o, oldPages?.cache_version === CATALOG_CACHE_VERSION ? oldPages : undefined);
    report.requests = read.requests;
    const origin = src.url ? displayUrl(src.url) : (src.file ?? '');
    if (!read.ok) {
      if (previous?.cache_version === CATALOG_CACHE_VERSION) {
        report.outcome = 'kept';
        report.imported = previous.entries.length;
        report.diags.push(
          warning('catalog-source.unreachable', `catalog source "${src.name}" could not be read: ${read.why}`, {
            detail: `The copy synced at ${previous.synced_at} (${previous.entries.length} entries) stays in use; run \`contextforge catalog sync\` again later.`,
          }),
        );
      } else {
        report.outcome = 'failed';
        report.diags.push(
          error('catalog-source.unreachable', `catalog source "${src.name}" could not be read: ${read.why}`, {
            detail: `Check the source's ${src.url ? `url (${origin})` : 'file'}; there is no synced copy to fall back on.`,
          }),
        );
      }
      continue;
    }
    report.notModified = read.notModified;
    // Every page unchanged (304), same settings, same importer: the copy is still the import.
    const unchanged =
      read.requests > 0 &&
      read.notModified === read.pages.length &&
      oldPages?.made_with === madeWith(src) &&
      previous?.cache_version === CATALOG_CACHE_VERSION &&
      previous.source === src.name;
    if (unchanged && previous) {
      report.imported = previous.entries.length;
      report.filtered = previous.filtered ?? 0;
      report.skipped = previous.problems.filter((p) => p.name).length;
      for (const p of previous.problems.filter((x) => x.name))
        report.diags.push(
          warning('catalog-source.skipped-entry', `entry ${p.name} of catalog source "${src.name}" is still skipped`, {
            detail: `At ${p.pointer}: ${p.message}.`,
          }),
        );
      if (o.write === false) {
        report.fetched = previous.entries as ImportedEntry[];
        continue;
      }
      writeAtomic(cachePath, `${JSON.stringify({ ...previous, synced_at: now().toISOString() }, null, 1)}\n`);
      continue;
    }
    const imported = importPages(src, read.pages);
    report.diags.push(...imported.diags);
    report.imported = imported.entries.length;
    report.filtered = imported.filtered;
    report.skipped = imported.problems.filter((p) => p.name).length;
    if (o.write === false) {
      report.fetched = imported.entries;
      continue;
    }
    const copy: CatalogCacheFile = {
      cache_version: CATALOG_CACHE_VERSION,
      source: src.name,
      format: src.format,
      origin,
      synced_at: now().toISOString(),
      entries: imported.entries,
      problems: imported.problems,
      filtered: imported.filtered,
    };
    writeAtomic(cachePath, `${JSON.stringify(copy, null, 1)}\n`);
    if (read.pagesFile)
      writeAtomic(pagesPath(o.configDir, src.name), JSON.stringify({ ...read.pagesFile, made_with: madeWith(src) }));
  }
  return reports;
}
