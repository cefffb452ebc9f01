// Internal records of the config front end: every loaded thing (profile, catalog entry) with
// the parsed file it came from and its JSON pointer there, so that any later check can point
// at the exact line. Shared by include.ts, semantic.ts and load.ts; not part of the public API.

import type { SourceRange } from '../diag/diagnostic.js';
import type { Backend, CatalogEntry, GuardrailProfile } from '../generated/config.js';
import { joinPointer } from './pointer.js';
import { spanAt, type ParsedYaml } from './yaml-source.js';

export interface Located {
  parsed: ParsedYaml;
  /** Pointer of the record's root inside parsed (e.g. `/catalog/3`, or '' for a whole file). */
  pointer: string;
}

export interface ProfileRecord extends Located {
  name: string;
  profile: GuardrailProfile;
  builtin: boolean;
}

export interface EntryRecord extends Located {
  entry: CatalogEntry;
  builtin: boolean;
}

/** A runtime with its resolved references (undefined where the reference dangles). */
export interface RuntimeLink {
  index: number;
  loc: Located;
  entry?: EntryRecord;
  backendName: string;
  backend?: Backend;
  profileName: string;
  profile?: ProfileRecord;
  /** Where the profile name came from, for diagnostics about it. */
  profileFrom: 'runtime' | 'entry' | 'defaults';
}

/** The source range of `rel` below a located record (key range when `prefer` is 'key'). */
export function rangeOf(loc: Located, rel: (string | number)[] = [], prefer: 'key' | 'value' = 'value'): SourceRange {
  const span = spanAt(loc.parsed.spans, joinPointer(loc.pointer, ...rel));
  if (!span) return loc.parsed.range(0, 0);
  return prefer === 'key' && span.key ? span.key : span.value;
}

export function pointerOf(loc: Located, rel: (string | number)[] = []): string {
  return joinPointer(loc.pointer, ...rel);
}

/**
 * A name lookup in a user-keyed record that sees own properties only: `constructor` or
 * `hasOwnProperty` as a backend or profile name is unknown, never an inherited member.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** An empty record without a prototype, for records keyed by user-chosen names. */
export function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
