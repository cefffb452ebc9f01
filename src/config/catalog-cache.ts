// The synced copies of remote catalogs (`catalog_sources`), as the config loader sees them: one
// JSON file per source under .contextforge/catalog-sources/, written by `catalog sync`
// (src/sources/registry/). Owns the file's shape and reading it back into catalog entries,
// each validated against the catalog entry schema again (the cache is a file anyone on the host
// could edit). Reads local files only, through the config's path policy; never the network.

import { dirname, join, resolve } from 'node:path';
import { error, warning, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import type { CatalogEntry, CatalogSource, ContextforgeConfig } from '../generated/config.js';
import { confinementFor, readConfined, type Confinement } from './confine.js';
import { readSourceFile } from './source-file.js';
import { decodeUtf8 } from './encoding.js';
import type { EntryRecord, Located } from './records.js';
import { rangeOf } from './records.js';
import { validator } from './schemas.js';
import { checkEntrySource } from './semantic-source.js';
import { SpanTable, type ParsedYaml } from './yaml-source.js';

export const CATALOG_CACHE_VERSION = 1;
export const CATALOG_CACHE_DIR = join('.contextforge', 'catalog-sources');

/** A problem with one registry entry, kept with the copy so that `catalog list` can say it. */
export interface CachedProblem {
  name?: string;
  pointer: string;
  message: string;
}

/** `.contextforge/catalog-sources/<source>.json`: the entries of one source as last synced. */
export interface CatalogCacheFile {
  cache_version: typeof CATALOG_CACHE_VERSION;
  source: string;
  format: CatalogSource['format'];
  /** Where it came from, without credentials or query (a URL) or the file path as configured. */
  origin: string;
  synced_at: string;
  /** Catalog entries (CatalogEntry shape, with `registry` provenance). */
  entries: unknown[];
  problems: CachedProblem[];
  /** Entries the source's filter left out. */
  filtered?: number;
}

export function catalogCachePath(configDir: string, source: string): string {
  return join(configDir, CATALOG_CACHE_DIR, `${source}.json`);
}

/** A record needs a parsed file for its ranges; the cache is JSON, so every range is its first line. */
function parsedStub(file: string, value: unknown): ParsedYaml {
  const range = (): SourceRange => ({
    file,
    start: { line: 1, col: 1, offset: 0 },
    end: { line: 1, col: 1, offset: 0 },
  });
  return { file, text: '', value, spans: new SpanTable(range), diags: [], range };
}

export interface CachedEntries {
  /** Valid entries of every source, in source order (collisions not yet resolved). */
  records: EntryRecord[];
  /** Source name → the copy's time, for sources that have one. */
  syncedAt: Map<string, string>;
  files: string[];
  diags: Diagnostic[];
}

/**
 * Reads the synced copy of every configured source. A source never synced is a warning (the
 * catalog works without it); an unreadable copy or an entry that fails the catalog entry schema
 * is a warning naming it, and the entry is left out.
 */
export function loadCachedEntries(input: {
  dir: string;
  sources: readonly CatalogSource[];
  confinement: Confinement;
  config: Located;
}): CachedEntries {
  const out: CachedEntries = { records: [], syncedAt: new Map(), files: [], diags: [] };
  const validate = validator('catalog');
  const names = new Set<string>();
  input.sources.forEach((src, i) => {
    const at = rangeOf(input.config, ['catalog_sources', i, 'name']);
    if (names.has(src.name))
      out.diags.push(
        error('dup.catalog-source', `duplicate catalog source "${src.name}"`, {
          range: at,
          detail: 'Each catalog source needs its own name (its copy is stored under it).',
        }),
      );
    names.add(src.name);
    if ((src.url === undefined) === (src.file === undefined))
      out.diags.push(
        error('catalog-source.location', `catalog source "${src.name}" needs exactly one of url and file`, {
          range: rangeOf(input.config, ['catalog_sources', i]),
          detail: "url: the registry (http or https); file: a registry document below the config's directory.",
        }),
      );
    const path = catalogCachePath(input.dir, src.name);
    const read = readConfined(path, input.confinement, { what: 'catalog source copy', at });
    if (!read.ok) {
      out.diags.push(
        read.reason === 'missing'
          ? warning('catalog-source.not-synced', `catalog source "${src.name}" has not been synced`, {
              range: at,
              detail: 'Run `contextforge catalog sync` to import its entries.',
            })
          : { ...read.diag, severity: 'warning' },
      );
      return;
    }
    const decoded = decodeUtf8(read.bytes, path);
    let doc: CatalogCacheFile | undefined;
    try {
      doc = decoded.text === undefined ? undefined : (JSON.parse(decoded.text) as CatalogCacheFile);
    } catch {
      doc = undefined;
    }
    if (!doc || doc.cache_version !== CATALOG_CACHE_VERSION || !Array.isArray(doc.entries) || doc.source !== src.name) {
      out.diags.push(
        warning('catalog-source.cache-unreadable', `the synced copy of catalog source "${src.name}" cannot be read`, {
          range: at,
          detail: `${path} is not a copy this contextforge wrote; run \`contextforge catalog sync\` to replace it.`,
        }),
      );
      return;
    }
    out.files.push(path);
    out.syncedAt.set(src.name, doc.synced_at);
    const parsed = parsedStub(path, doc);
    doc.entries.forEach((entry, j) => {
      if (!validate(entry)) {
        const e = validate.errors?.[0];
        const slug = (entry as { slug?: unknown } | null)?.slug;
        out.diags.push(
          warning(
            'catalog-source.entry-unusable',
            `entry ${String(slug)} of catalog source "${src.name}" is left out`,
            {
              range: at,
              detail: `It fails the catalog entry schema at ${e?.instancePath || '/'}: ${e?.message ?? 'invalid'}.`,
            },
          ),
        );
        return;
      }
      const record: EntryRecord = { entry: entry as CatalogEntry, builtin: false, parsed, pointer: `/entries/${j}` };
      // What the schema cannot say (an inexact package version, an undeclared header variable)
      // leaves this one entry out: a registry's mistake must not fail the whole config.
      const semantic = checkEntrySource(record).filter((d) => d.severity === 'error');
      if (semantic.length) {
        out.diags.push(
          warning(
            'catalog-source.entry-unusable',
            `entry ${record.entry.slug} of catalog source "${src.name}" is left out`,
            {
              range: at,
              detail: `${semantic[0].summary}.`,
            },
          ),
        );
        return;
      }
      out.records.push(record);
    });
  });
  return out;
}

/**
 * Adds the synced entries to the merged catalog. A slug already taken (by an entry of the
 * config, an included or shipped file, or an earlier source) keeps its first owner; the
 * registry entry is left out with a warning naming both. Returns the copies read (for watch).
 */
export function addRegistryEntries(input: {
  bySlug: Map<string, EntryRecord>;
  sources: readonly CatalogSource[];
  dir: string;
  confinement: Confinement;
  config: Located;
  diags: Diagnostic[];
}): string[] {
  if (input.sources.length === 0) return [];
  const cached = loadCachedEntries(input);
  input.diags.push(...cached.diags);
  for (const r of cached.records) {
    const slug = r.entry.slug;
    const prev = input.bySlug.get(slug);
    if (prev) {
      const owner = prev.entry.registry
        ? `catalog source "${prev.entry.registry.source}" (${prev.entry.registry.name})`
        : prev.parsed.file;
      input.diags.push(
        warning('catalog-source.slug-collision', `catalog slug "${slug}" of ${r.entry.registry?.name} is taken`, {
          range: rangeOf(input.config, ['catalog_sources']),
          detail: `"${slug}" is already defined by ${owner}; the entry of catalog source "${r.entry.registry?.source}" is left out. Narrow the source's filter.names, or rename the other entry.`,
        }),
      );
      continue;
    }
    input.bySlug.set(slug, r);
  }
  return cached.files;
}

/**
 * The `catalog_sources` of a config without loading the rest of it: `catalog sync` must work
 * while a runtime still names an entry that only the sync will bring (an unknown slug is an
 * error of the full load). The file is read and schema-checked under the usual path policy.
 */
export function readCatalogSources(
  path: string,
  options: { env?: Record<string, string | undefined>; allowPaths?: readonly string[] } = {},
): { sources: CatalogSource[]; dir: string; confinement: Confinement; diags: Diagnostic[] } {
  const file = resolve(path);
  const dir = dirname(file);
  const conf = confinementFor({ dir, allowPaths: options.allowPaths });
  const r = readSourceFile(file, {
    kind: 'config',
    env: options.env ?? process.env,
    confinement: conf.value,
    optionalCredentials: true,
  });
  const diags = [...conf.diags, ...r.diags];
  if (!('parsed' in r) || !r.schemaOk) return { sources: [], dir, confinement: conf.value, diags };
  const sources = (r.value as ContextforgeConfig).catalog_sources ?? [];
  return { sources, dir, confinement: conf.value, diags };
}
