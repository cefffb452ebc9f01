// The catalog entries and guardrail profiles a user can choose from, for the `catalog` and
// `profiles` verbs: those of a config (its includes, inline definitions and the shipped ones),
// or only the shipped ones when there is no config. Reads local files only.

import { dirname } from 'node:path';
import type { Diagnostic } from '../diag/diagnostic.js';
import { hasErrors } from '../diag/diagnostic.js';
import { loadIncludes, mergeEntries, mergeProfiles } from './include.js';
import { loadConfigSync, type LoadOptions } from './load.js';
import type { ResolvedCatalogEntry, ResolvedProfile } from './model.js';
import { packagePath } from './package-root.js';
import { confinementFor } from './confine.js';
import { nullRecord, rangeOf } from './records.js';

export interface Library {
  profiles: Record<string, ResolvedProfile>;
  catalog: Record<string, ResolvedCatalogEntry>;
  /** The config the library came from, when one was loaded. */
  configPath?: string;
}

export function loadLibrary(
  configPath: string | undefined,
  options: LoadOptions = {},
): { value?: Library; diags: Diagnostic[]; sensitiveValues: Set<string> } {
  if (configPath) {
    const r = loadConfigSync(configPath, options);
    if (!r.value) return { diags: r.diags, sensitiveValues: r.sensitiveValues };
    return {
      value: { profiles: r.value.profiles, catalog: r.value.catalog, configPath: r.value.path },
      diags: r.diags,
      sensitiveValues: r.sensitiveValues,
    };
  }
  const inc = loadIncludes({
    dir: packagePath(),
    include: { catalog: [], profiles: [] },
    env: options.env ?? process.env,
    confinement: confinementFor({ dir: packagePath() }).value,
  });
  const profiles = mergeProfiles(inc.profiles);
  const entries = mergeEntries(inc.entries);
  const diags = [...inc.diags, ...profiles.diags, ...entries.diags];
  if (hasErrors(diags)) return { diags, sensitiveValues: new Set() };
  const lib: Library = { profiles: nullRecord(), catalog: nullRecord() };
  for (const [name, r] of profiles.byName) {
    lib.profiles[name] = {
      ...r.profile,
      name,
      builtin: r.builtin,
      origin: { file: r.parsed.file, range: rangeOf(r, [], 'key') },
    };
  }
  for (const [slug, r] of entries.bySlug) {
    lib.catalog[slug] = {
      ...r.entry,
      origin: { file: r.parsed.file, range: rangeOf(r, ['slug']) },
      baseDir: dirname(r.parsed.file),
    };
  }
  return { value: lib, diags, sensitiveValues: new Set() };
}
