// contextforge.lock: the reviewed record of what each runtime runs (its pinned artifact) and
// what the model reads from it (its tool surface, one canonical hash per definition plus the
// definition itself). Owns the file format, reading it with diagnostics, and writing it with a
// stable order so that a pull request shows a small diff. It decides nothing about staleness.

import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from '../vendor/yaml.js';
import { error, type Diagnostic, type Result } from '../diag/diagnostic.js';
import { canonicalJson } from '../model/canonical.js';
import type { CatalogPin } from './catalog.js';
import {
  definitionHash,
  SURFACE_KINDS,
  type ArtifactPin,
  type Surface,
  type SurfaceKind,
} from '../model/tool-surface.js';

export const LOCK_VERSION = 1;
/** A lock of many servers with large schemas stays far below this; a bigger file is refused. */
const MAX_LOCK_BYTES = 16 * 1024 * 1024;

export interface LockEntry {
  artifact?: ArtifactPin;
  /** Absent when the surface could not be read (the runtime was not reachable). */
  surface?: Surface;
}

export interface LockFile {
  stack: string;
  runtimes: Record<string, LockEntry>;
  /** Entries of catalog sources, by slug (absent when the config has none to pin). */
  catalog?: Record<string, CatalogPin>;
}

/** `contextforge.yaml` → `contextforge.lock`, in the config's directory. */
export function lockPathFor(configPath: string): string {
  const base = basename(configPath).replace(/\.(ya?ml|json)$/i, '');
  return join(dirname(configPath), `${base}.lock`);
}

const HEADER = [
  '# contextforge.lock: what each runtime runs and what the model reads from it.',
  '# Written by `contextforge apply` and `contextforge lock`; review it with the config.',
  '# The gateway exposes only tools, prompts and resources whose definition hashes match.',
].join('\n');

/** The lock as YAML: keys sorted, one definition per entry, a header saying what it is. */
export function formatLock(lock: LockFile): string {
  const runtimes: Record<string, unknown> = {};
  for (const name of Object.keys(lock.runtimes).sort()) {
    const e = lock.runtimes[name];
    runtimes[name] = JSON.parse(canonicalJson({ artifact: e.artifact, surface: e.surface })) as unknown;
  }
  const catalog: Record<string, unknown> = {};
  for (const slug of Object.keys(lock.catalog ?? {}).sort())
    catalog[slug] = JSON.parse(canonicalJson(lock.catalog![slug])) as unknown;
  const doc = {
    lock_version: LOCK_VERSION,
    stack: lock.stack,
    runtimes,
    ...(Object.keys(catalog).length ? { catalog } : {}),
  };
  return `${HEADER}\n${stringify(doc, { lineWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false })}`;
}

/** Writes the lock atomically (temp file + rename); returns true when the content changed. */
export function writeLock(path: string, lock: LockFile): boolean {
  const text = formatLock(lock);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
  return true;
}

const bad = (path: string, why: string): Diagnostic =>
  error('lock.invalid', `The lock file ${path} cannot be read: ${why}`, {
    detail: 'Regenerate it with `contextforge lock`, then review the diff.',
  });

/** Reads the lock; `value` is undefined (without diagnostics) when there is no lock file. */
export function readLock(path: string): Result<LockFile | undefined> {
  if (!existsSync(path)) return { value: undefined, diags: [] };
  if (statSync(path).size > MAX_LOCK_BYTES) return { diags: [bad(path, `it is larger than ${MAX_LOCK_BYTES} bytes`)] };
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'), { maxAliasCount: 0, uniqueKeys: true });
  } catch (e) {
    return { diags: [bad(path, (e as Error).message.split('\n')[0])] };
  }
  const obj = doc as Record<string, unknown> | null;
  if (!obj || typeof obj !== 'object') return { diags: [bad(path, 'it is not a mapping')] };
  if (obj.lock_version !== LOCK_VERSION)
    return {
      diags: [bad(path, `lock_version is ${String(obj.lock_version)}, this contextforge reads ${LOCK_VERSION}`)],
    };
  if (typeof obj.stack !== 'string') return { diags: [bad(path, 'stack is missing')] };
  const runtimes: Record<string, LockEntry> = {};
  const raw = (obj.runtimes ?? {}) as Record<string, Record<string, unknown>>;
  if (typeof raw !== 'object') return { diags: [bad(path, 'runtimes is not a mapping')] };
  for (const [name, e] of Object.entries(raw)) {
    if (!e || typeof e !== 'object') return { diags: [bad(path, `runtimes.${name} is not a mapping`)] };
    const entry: LockEntry = {};
    if (e.artifact && typeof e.artifact === 'object') entry.artifact = e.artifact as ArtifactPin;
    if (e.surface && typeof e.surface === 'object') {
      const s = e.surface as Partial<Surface>;
      const surface = {} as Surface;
      for (const kind of SURFACE_KINDS) {
        surface[kind] = {};
        for (const [key, item] of Object.entries(s[kind] ?? {})) {
          const problem = checkItem(kind, key, item);
          if (problem) return { diags: [bad(path, `runtimes.${name}.surface.${kind}.${key}: ${problem}`)] };
          surface[kind][key] = item;
        }
      }
      entry.surface = surface;
    }
    runtimes[name] = entry;
  }
  const catalog: Record<string, CatalogPin> = {};
  const rawCatalog = obj.catalog ?? {};
  if (!rawCatalog || typeof rawCatalog !== 'object') return { diags: [bad(path, 'catalog is not a mapping')] };
  for (const [slug, p] of Object.entries(rawCatalog as Record<string, Record<string, unknown> | null>)) {
    if (
      !p ||
      typeof p.source !== 'string' ||
      typeof p.name !== 'string' ||
      typeof p.hash !== 'string' ||
      !/^sha256:[0-9a-f]{64}$/.test(p.hash) ||
      (p.version !== undefined && typeof p.version !== 'string')
    )
      return { diags: [bad(path, `catalog.${slug} needs source, name, hash (sha256:…) and an optional version`)] };
    catalog[slug] = p as unknown as CatalogPin;
  }
  return {
    value: { stack: obj.stack, runtimes, ...(Object.keys(catalog).length ? { catalog } : {}) },
    diags: [],
  };
}

/** A hand-edited hash that does not match its definition would pin something nobody reviewed. */
function checkItem(kind: SurfaceKind, _key: string, item: unknown): string | undefined {
  const i = item as { hash?: unknown; definition?: unknown } | null;
  if (!i || typeof i.hash !== 'string' || !i.definition || typeof i.definition !== 'object')
    return 'needs hash and definition';
  if (definitionHash(kind, i.definition) !== i.hash) return 'the hash does not match the definition';
  return undefined;
}

/** Changes whenever the lock file is written, replaced or removed (mtime and size). */
export function lockStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'none';
  }
}
