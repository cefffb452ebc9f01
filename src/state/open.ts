// Chooses and opens the state store a config asks for: the SQLite file (default) or a shared
// PostgreSQL database. Callers hold a StateStore and never branch on the kind again. The
// database URL is a secret-bearing value: it is passed through, never printed (see location).

import { openStateStore } from './sqlite.js';
import { PostgresStateStore } from './postgres.js';
import type { StateStore } from './store.js';

export type StateLocation = { backend: 'sqlite'; path: string } | { backend: 'postgres'; url: string };

export type OpenedStore = StateStore & {
  /** Where it is, printable: the file path, or the URL without its password. */
  readonly location: string;
};

/** A location from one string: a postgres:// or postgresql:// URL, else a SQLite file path. */
export function parseStateLocation(text: string): StateLocation {
  return /^postgres(ql)?:\/\//i.test(text) ? { backend: 'postgres', url: text } : { backend: 'sqlite', path: text };
}

/** The same store key for the same place (so long-lived hosts reopen only when it changed). */
export function locationKey(loc: StateLocation): string {
  return loc.backend === 'sqlite' ? `sqlite:${loc.path}` : `postgres:${loc.url}`;
}

export function openStore(
  loc: StateLocation,
  options: { redact?: (text: string) => string; lockPollMs?: number } = {},
): OpenedStore {
  if (loc.backend === 'postgres') return new PostgresStateStore({ url: loc.url, ...options });
  return openStateStore({ path: loc.path, ...options });
}
