// Loads the files a config includes: catalog entries (`include.catalog`, default
// catalog/*.yaml) and guardrail profiles (`include.profiles`, default profiles/*.yaml), one
// entry or profile per file, plus the presets and catalog shipped with contextforge and the
// operator's site catalog (CONTEXTFORGE_CATALOG_PATH: directories of further entries, loaded
// like the shipped ones). Files the user includes override shipped and site ones of the same
// name; a site entry overrides a shipped one; two user files with one name clash.

import { realpathSync, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { error, warning, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import type { CatalogEntry, GuardrailProfile, IncludeSettings } from '../generated/config.js';
import { directoryConfined, type Confinement } from './confine.js';
import { glob, globRoot } from './glob.js';
import { packagePath } from './package-root.js';
import { rangeOf, type EntryRecord, type Located, type ProfileRecord } from './records.js';
import { readSourceFile, type SourceFile } from './source-file.js';
import { joinPointer } from './pointer.js';
import type { ParsedYaml } from './yaml-source.js';

export const DEFAULT_CATALOG_GLOBS = ['catalog/*.yaml'];
export const DEFAULT_PROFILE_GLOBS = ['profiles/*.yaml'];
/**
 * Directories (separated like PATH) whose `*.yaml` files join the built-in catalog: a site's
 * own entries, or a test suite's fixtures. Set by the operator (host, CI job), never by a
 * config or its `.env`, which a pull request edits; `include.builtin_catalog: false` hides them.
 */
export const CATALOG_PATH_ENV = 'CONTEXTFORGE_CATALOG_PATH';

export interface IncludeInput {
  dir: string;
  include?: IncludeSettings;
  env: Record<string, string | undefined>;
  /** Where `include` sits in the config, for warnings about globs that match nothing. */
  config?: Located;
  /** The path policy for the user's files (shipped ones are read under the package's root). */
  confinement: Confinement;
  /** The operator's environment, for CONTEXTFORGE_CATALOG_PATH (default process.env); never the config's variables. */
  operatorEnv?: Record<string, string | undefined>;
}

export interface IncludeResult {
  profiles: ProfileRecord[];
  entries: EntryRecord[];
  files: string[];
  /** Every file read (parsed + interpolation substitutions), for sensitivity and source maps. */
  sources: SourceFile[];
  diags: Diagnostic[];
  /** False when an included file had schema or syntax errors. */
  ok: boolean;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

interface Matched {
  file: string;
  /** The include pattern that matched it, when the config names one. */
  at?: SourceRange;
}

function expand(
  patterns: string[],
  input: { dir: string; confinement: Confinement },
  diags: Diagnostic[],
  where?: { loc: Located; key: 'catalog' | 'profiles' },
): Matched[] {
  const out = new Map<string, Matched>();
  patterns.forEach((pattern, i) => {
    const at = where ? rangeOf(where.loc, ['include', where.key, i]) : undefined;
    // The search must not start outside the tree: `/**/*.yaml` would walk the whole disk.
    if (!directoryConfined(globRoot(pattern, input.dir), input.confinement)) {
      diags.push(
        error('include.outside', `include pattern "${pattern}" leaves the config's directory`, {
          range: at,
          detail:
            'Include patterns are relative to the config file and stay below its directory (no absolute paths elsewhere, no "../"); an operator can allow another directory with --allow-path.',
        }),
      );
      return;
    }
    const { files, truncated } = glob(pattern, input.dir);
    if (truncated) {
      diags.push(
        error('include.too-broad', `include pattern "${pattern}" looks at too many files`, {
          range: at,
          detail: 'Narrow the pattern to the directory that holds the files (e.g. catalog/*.yaml).',
        }),
      );
      return;
    }
    if (files.length === 0 && where) {
      diags.push(
        warning('include.no-match', `no file matches "${pattern}"`, {
          range: at,
          detail: 'The pattern is relative to the config file; fix it or remove it.',
        }),
      );
    }
    for (const f of files) if (!out.has(f)) out.set(f, { file: f, at });
  });
  return [...out.values()];
}

/** Loads every included and shipped profile and catalog file. */
export function loadIncludes(input: IncludeInput): IncludeResult {
  const diags: Diagnostic[] = [];
  const sources: SourceFile[] = [];
  const files: string[] = [];
  let ok = true;
  const inc = input.include ?? {};
  const explicit = (k: 'catalog' | 'profiles'): { loc: Located; key: 'catalog' | 'profiles' } | undefined =>
    input.config && inc[k] !== undefined ? { loc: input.config, key: k } : undefined;

  // A broad glob (`*.yaml`) must not pick up the config itself.
  const self = input.config ? real(input.config.parsed.file) : undefined;
  const notSelf = (m: Matched): boolean => real(m.file) !== self;
  const userCatalog = expand(inc.catalog ?? DEFAULT_CATALOG_GLOBS, input, diags, explicit('catalog')).filter(notSelf);
  const userProfiles = expand(inc.profiles ?? DEFAULT_PROFILE_GLOBS, input, diags, explicit('profiles')).filter(
    notSelf,
  );
  const seen = new Set([...userCatalog, ...userProfiles].map((m) => real(m.file)));
  // Shipped files are ours, not the config's: they are read under the package's own root.
  const pkg: Confinement = { ...input.confinement, root: real(packagePath()), allowed: [] };
  const shipped = (pattern: string, enabled: boolean): Matched[] =>
    enabled
      ? glob(pattern, packagePath())
          .files.filter((f) => !seen.has(real(f)))
          .map((file) => ({ file }))
      : [];
  const builtinProfiles = shipped('profiles/*.yaml', inc.builtin_profiles !== false);
  const builtinCatalog = shipped('catalog/*.yaml', inc.builtin_catalog !== false);
  // The site catalog: each directory's files are read under that directory as their root.
  const siteCatalog: Array<Matched & { confinement: Confinement }> = [];
  if (inc.builtin_catalog !== false) {
    for (const dir of siteCatalogDirs(input.operatorEnv ?? process.env, diags)) {
      const root: Confinement = { ...input.confinement, root: dir, allowed: [] };
      for (const file of glob('*.yaml', dir).files)
        if (!seen.has(real(file))) siteCatalog.push({ file, confinement: root });
    }
  }

  const read = (
    m: Matched & { confinement?: Confinement },
    kind: 'catalog' | 'profile',
    builtin: boolean,
  ): SourceFile | undefined => {
    const path = m.file;
    const confinement = m.confinement ?? (builtin ? pkg : input.confinement);
    const r = readSourceFile(path, { kind, env: input.env, confinement, at: m.at });
    diags.push(...r.diags);
    if (!('parsed' in r)) {
      ok = false;
      return undefined;
    }
    sources.push(r);
    files.push(path);
    if (!r.schemaOk) ok = false;
    return r.schemaOk ? r : undefined;
  };

  const profiles: ProfileRecord[] = [];
  const entries: EntryRecord[] = [];
  for (const [list, builtin] of [
    [builtinProfiles, true],
    [userProfiles, false],
  ] as const) {
    for (const f of list) {
      const r = read(f, 'profile', builtin);
      if (!r) continue;
      const profile = r.value as GuardrailProfile & { name: string };
      profiles.push({ name: profile.name, profile, builtin, parsed: r.parsed, pointer: '' });
    }
  }
  for (const [list, builtin] of [
    [builtinCatalog, true],
    [siteCatalog, true],
    [userCatalog, false],
  ] as const) {
    for (const f of list) {
      const r = read(f, 'catalog', builtin);
      if (!r) continue;
      entries.push({ entry: r.value as CatalogEntry, builtin, parsed: r.parsed, pointer: '' });
    }
  }
  return { profiles, entries, files, sources, diags, ok };
}

/**
 * The directories CONTEXTFORGE_CATALOG_PATH names, as real paths (relative ones from the
 * working directory), in order; one that is not a directory is an error naming it.
 */
export function siteCatalogDirs(env: Record<string, string | undefined>, diags: Diagnostic[]): string[] {
  const dirs: string[] = [];
  for (const given of (env[CATALOG_PATH_ENV] ?? '').split(delimiter)) {
    if (given.trim() === '') continue;
    const path = resolve(given);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // Reported below.
    }
    if (!isDir) {
      diags.push(
        error('catalog.path-not-found', `${CATALOG_PATH_ENV} names "${given}", which is not a directory`, {
          detail: `${CATALOG_PATH_ENV} lists directories of catalog entry files (*.yaml), separated by "${delimiter}"; create the directory or remove it from the variable.`,
        }),
      );
      continue;
    }
    const dir = real(path);
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/**
 * Merges profiles by name: user definitions replace shipped presets; two user definitions of
 * one name are an error at the second.
 */
export function mergeProfiles(records: ProfileRecord[]): { byName: Map<string, ProfileRecord>; diags: Diagnostic[] } {
  const byName = new Map<string, ProfileRecord>();
  const diags: Diagnostic[] = [];
  for (const r of records) {
    const prev = byName.get(r.name);
    if (prev && !prev.builtin && !r.builtin) {
      diags.push(
        error('dup.profile', `duplicate profile "${r.name}"`, {
          range: r.pointer === '' ? rangeOf(r, ['name']) : rangeOf(r, [], 'key'),
          detail: `Profile "${r.name}" is already defined in ${where(prev.parsed, prev.pointer)}; rename or remove one.`,
        }),
      );
      continue;
    }
    if (prev && !prev.builtin && r.builtin) continue;
    byName.set(r.name, r);
  }
  return { byName, diags };
}

/** Merges catalog entries by slug with the same rules as profiles. */
export function mergeEntries(records: EntryRecord[]): { bySlug: Map<string, EntryRecord>; diags: Diagnostic[] } {
  const bySlug = new Map<string, EntryRecord>();
  const diags: Diagnostic[] = [];
  for (const r of records) {
    const slug = r.entry.slug;
    const prev = bySlug.get(slug);
    if (prev && !prev.builtin && !r.builtin) {
      diags.push(
        error('dup.catalog-entry', `duplicate catalog entry "${slug}"`, {
          range: rangeOf(r, ['slug']),
          detail: `Slug "${slug}" is already defined in ${where(prev.parsed, prev.pointer)}; slugs must be unique across all catalog files.`,
        }),
      );
      continue;
    }
    if (prev && !prev.builtin && r.builtin) continue;
    bySlug.set(slug, r);
  }
  return { bySlug, diags };
}

function where(parsed: ParsedYaml, pointer: string): string {
  const span = parsed.spans.get(pointer) ?? parsed.spans.get(joinPointer(pointer, 'name'));
  return span ? `${parsed.file}:${span.value.start.line}` : parsed.file;
}
