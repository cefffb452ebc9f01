// The catalog part of contextforge.lock: every entry imported from a catalog source with
// `pin: true` (the default), by slug, with its registry name, version and content hash, so that a
// registry that changes an entry shows in `plan` and fails `lock --check` until the lock is
// refreshed and the diff reviewed. Pure: the config supplies the entries, lock/file.ts the file.

import type { LoadedConfig } from '../config/index.js';
import type { CatalogPinChange } from '../model/resources.js';

export interface CatalogPin {
  source: string;
  name: string;
  version?: string;
  hash: string;
}

/** The pin of one entry imported from `source`, from its registry provenance. */
export function pinOf(source: string, r: { name: string; version?: string; hash: string }): CatalogPin {
  return { source, name: r.name, ...(r.version ? { version: r.version } : {}), hash: r.hash };
}

/** The pins the config's synced entries call for (sources with pin: false are left out). */
export function catalogPinsOf(config: Pick<LoadedConfig, 'catalog' | 'document'>): Record<string, CatalogPin> {
  const unpinned = new Set((config.document.catalog_sources ?? []).filter((s) => s.pin === false).map((s) => s.name));
  const out: Record<string, CatalogPin> = {};
  for (const e of Object.values(config.catalog)) {
    const r = e.registry;
    if (!r || unpinned.has(r.source)) continue;
    out[e.slug] = pinOf(r.source, r);
  }
  return out;
}

/**
 * How the synced entries differ from the lock: added, removed, or changed (version or content).
 * No lock file: nothing to compare with, so nothing is reported (`lock --check` says the lock is
 * missing). Sorted by slug.
 */
export function catalogChanges(
  locked: Readonly<Record<string, CatalogPin>> | undefined,
  pins: Readonly<Record<string, CatalogPin>>,
  lockExists: boolean,
): CatalogPinChange[] {
  if (!lockExists) return [];
  const before = locked ?? {};
  const out: CatalogPinChange[] = [];
  for (const slug of [...new Set([...Object.keys(before), ...Object.keys(pins)])].sort()) {
    const was = Object.hasOwn(before, slug) ? before[slug] : undefined;
    const now = Object.hasOwn(pins, slug) ? pins[slug] : undefined;
    if (was && now && was.hash === now.hash && was.version === now.version) continue;
    const side = (p: CatalogPin): { version?: string; hash: string } => ({
      ...(p.version ? { version: p.version } : {}),
      hash: p.hash,
    });
    const any = (now ?? was)!;
    out.push({
      slug,
      change: !was ? 'added' : !now ? 'removed' : 'changed',
      source: any.source,
      name: any.name,
      ...(was ? { before: side(was) } : {}),
      ...(now ? { after: side(now) } : {}),
    });
  }
  return out;
}

/** One line per change, for `lock --check` and the plan's text. */
export function catalogChangeText(c: CatalogPinChange): string {
  const v = (s?: { version?: string; hash: string }): string => (s ? (s.version ?? s.hash.slice(0, 19)) : '');
  if (c.change === 'added') return `${c.slug} (${c.source}: ${c.name} ${v(c.after)}) is not pinned in the lock`;
  if (c.change === 'removed') return `${c.slug} (${c.source}: ${c.name}) is pinned in the lock but no longer synced`;
  const same = c.before?.version === c.after?.version;
  return same
    ? `${c.slug} (${c.source}: ${c.name} ${v(c.after)}) changed content: ${c.before?.hash.slice(0, 19)}… → ${c.after?.hash.slice(0, 19)}…`
    : `${c.slug} (${c.source}: ${c.name}) changed version: ${v(c.before)} → ${v(c.after)}`;
}
