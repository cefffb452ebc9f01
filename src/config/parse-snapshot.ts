// Parse results of the YAML files shipped with the package (catalog/, profiles/ and the compose
// files inlined in catalog entries), made at build time by scripts/build.mjs into
// dist/shipped-yaml.json and looked up by the SHA-256 of a file's text; each with the file's
// raw-text secret scan (secret-scan.ts's scanSecretLines, a pure function of the text and the
// next most costly step). Parsing those files with the `yaml` library was most of a `validate`
// start-up (the parser runs cold in a fresh process), while their content only changes with the
// package. Hand-written because it caches our own parse output (value and span offsets), which
// no library knows; a file whose text differs by one byte misses and is parsed and scanned as
// usual, so the snapshot never changes a result, only its cost. Run from src/ (tsx) there is no
// snapshot and every file is parsed.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** [valueStart, valueEnd, keyStart (-1: none), keyEnd, plain (0/1)]: a node's offsets (yaml-source.ts). */
export type RawSpan = [number, number, number, number, number];

/** What secret-scan.ts's scanSecretLines finds in a text (a pure function of the text). */
export interface RecordedScan {
  lines: number[];
  values: string[];
  variables: string[];
}

export interface Snapshot {
  value: unknown;
  spans: Array<[string, RawSpan]>;
  /** The raw-text secret scan of the file, recorded with its parse (the scan is most of the rest). */
  scan: RecordedScan;
}

export const SNAPSHOT_URL = new URL('../shipped-yaml.json', import.meta.url);
export const SNAPSHOT_VERSION = 2;

let table: Map<string, string> | undefined;

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The parse result recorded for this exact text, or undefined. */
export function snapshotFor(text: string): Snapshot | undefined {
  table ??= load();
  if (table.size === 0) return undefined;
  const raw = table.get(textHash(text));
  if (raw === undefined) return undefined;
  // Decoded per hit: the value is the caller's to keep (interpolation writes into it).
  const snap = JSON.parse(raw) as Snapshot;
  snap.value = nullPrototype(snap.value);
  return snap;
}

function load(): Map<string, string> {
  try {
    // files: text hash -> the JSON text of a Snapshot (decoded only when that file is read).
    const doc = JSON.parse(readFileSync(SNAPSHOT_URL, 'utf8')) as {
      version?: number;
      files?: Record<string, string>;
    };
    if (doc.version !== SNAPSHOT_VERSION || !doc.files) return new Map();
    return new Map(Object.entries(doc.files).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map();
  }
}

/**
 * Mappings of a parsed file are null-prototype objects (yaml-source.ts); so are these. (A walk
 * after JSON.parse, not a reviver: the reviver's call per value was most of a hit's cost.)
 */
function nullPrototype(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = nullPrototype(v[i]);
    return v;
  }
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(v)) out[k] = nullPrototype((v as Record<string, unknown>)[k]);
  return out;
}
