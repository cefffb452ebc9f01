// Loads a one-file CommonJS bundle that the build made (dist/vendor/*.cjs: the yaml library, the
// precompiled config validators) together with the V8 code cache the build recorded for it
// (dist/vendor/<name>.v8cache), so that a fresh process neither compiles those 800 kB of code
// nor the functions a config load runs (parsing and validating ran cold in every start-up: a
// third of `validate`'s CPU time). Node 20 has no compile cache of its own
// (module.enableCompileCache is Node ≥ 22.1, bin/contextforge.js turns it on there); the
// libraries that add one (v8-compile-cache) hook every require and write their cache at run time
// into a user directory, while this cache is made once by the build and only read. Hand-written
// for that reason: it is vm.Script's `cachedData`, nothing more.
//
// Safety: V8 rejects a cache of another V8 version or other flags (then the bundle compiles as
// usual) but only checks the source's length, so the cache file carries the SHA-256 of the exact
// text it was made from and is used only when the bundle's text matches.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** Length of the header of a cache file: the hex SHA-256 of the bundle's text. */
const HASH_LENGTH = 64;

export interface LoadedBundle {
  exports: unknown;
  /** Whether the recorded cache was used (false: compiled from the text). */
  cached: boolean;
  /** Writes the code cache of everything compiled so far (the build's recording step). */
  record(): void;
}

/** Paths of a bundle and of its cache. */
export function bundleFiles(bundle: string): { cache: string } {
  return { cache: bundle.replace(/\.cjs$/, '.v8cache') };
}

/**
 * Runs the CommonJS bundle at this path (as require() would) with its recorded code cache when
 * that cache belongs to this text. Throws when the bundle is missing (the caller falls back).
 */
export function loadBundle(bundle: string): LoadedBundle {
  let loaded = bundles.get(bundle);
  if (!loaded) {
    loaded = compile(bundle);
    bundles.set(bundle, loaded);
  }
  return loaded;
}

/** One instance of each bundle per process (the build's recording step reuses the one the config loader ran). */
const bundles = new Map<string, LoadedBundle>();

function compile(bundle: string): LoadedBundle {
  const bytes = readFileSync(bundle);
  const { cache } = bundleFiles(bundle);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8');
  let cachedData: Buffer | undefined;
  try {
    const raw = readFileSync(cache);
    if (raw.subarray(0, HASH_LENGTH).toString('latin1') === hash) cachedData = raw.subarray(HASH_LENGTH);
  } catch {
    // No cache (a build without the recording step): compiled from the text.
  }
  const script = new Script(Module.wrap(text), { filename: bundle, cachedData });
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return {
    exports: module.exports,
    cached,
    record: () => writeFileSync(cache, Buffer.concat([Buffer.from(hash, 'latin1'), script.createCachedData()])),
  };
}
