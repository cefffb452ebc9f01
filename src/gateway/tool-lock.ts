// The gateway half of contextforge.lock: compares an upstream's live lists with the definition
// hashes the lock pins for its runtime. The verdict is computed once per list the upstream
// sends (on connect and on every list_changed), never per call; catalog.ts hides (enforce) or
// flags (warn) what does not match, and the federation reports each new mismatch once.
import { definitionHash, surfaceKey, type ListedSurface, type SurfaceKind } from '../model/tool-surface.js';
import type { UnpinnedDefinition, UpstreamLock } from './types.js';

export type Unpinned = UnpinnedDefinition;

/** `_meta` key that marks a definition listed under `warn` although it does not match the lock. */
export const UNPINNED_META = 'dev.contextforge/unpinned';

const LISTS: [SurfaceKind, keyof ListedSurface][] = [
  ['tools', 'tools'],
  ['prompts', 'prompts'],
  ['resources', 'resources'],
  ['resource_templates', 'templates'],
];

const verdicts = new WeakMap<ListedSurface, WeakMap<UpstreamLock, Map<string, Unpinned>>>();

/** `<kind>\0<key>` → mismatch, for one catalog object under one lock (cached: lists are immutable). */
export function unpinnedOf(catalog: ListedSurface, lock: UpstreamLock): Map<string, Unpinned> {
  let byLock = verdicts.get(catalog);
  if (!byLock) verdicts.set(catalog, (byLock = new WeakMap()));
  let found = byLock.get(lock);
  if (found) return found;
  found = new Map();
  for (const [kind, field] of LISTS) {
    const pinned = lock.hashes[kind] ?? {};
    for (const def of catalog[field]) {
      const key = surfaceKey(kind, def);
      const actual = definitionHash(kind, def);
      const expected = pinned[key];
      if (expected !== actual) found.set(lockKey(kind, key), { kind, key, actual, ...(expected ? { expected } : {}) });
    }
  }
  byLock.set(lock, found);
  return found;
}

export function lockKey(kind: SurfaceKind, key: string): string {
  return `${kind}\0${key}`;
}

/**
 * An upstream's lock as a comparable string ('' for none): the gateway applies a new one in place
 * (federation), and the host's follower tells the gateway when it changed.
 */
export function upstreamLockKey(lock: UpstreamLock | undefined): string {
  return lock ? JSON.stringify(lock) : '';
}

/** The error text of a call to a definition the lock blocks; names the lock and the hash pair. */
export function blockedText(runtime: string, u: Unpinned): string {
  const what = u.kind === 'tools' ? 'Tool' : u.kind === 'prompts' ? 'Prompt' : 'Resource';
  const why = u.expected
    ? `its definition (${u.actual}) differs from the one pinned in contextforge.lock (${u.expected})`
    : 'it is not in contextforge.lock';
  return `${what} '${u.key}' of runtime '${runtime}' is blocked by the lock: ${why}. Review the change, then run \`contextforge lock\` (or apply) to pin it.`;
}
