// The config front end's one pipeline: read contextforge.yaml (+ .env), interpolate, validate
// against the schema, load included catalog entries and profiles, run the semantic checks, and
// resolve everything into a LoadedConfig. Reads local files only: never the network.

import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { hasErrors, type Diagnostic, type Result } from '../diag/diagnostic.js';
import type { Backend, ContextforgeConfig } from '../generated/config.js';
import { secrets } from '../diag/redact.js';
import { parseDotEnv } from './dotenv.js';
import { decodeUtf8 } from './encoding.js';
import { loadIncludes, mergeEntries, mergeProfiles } from './include.js';
import type { LoadedConfig, ResolvedCatalogEntry, ResolvedProfile, ResolvedRuntime, SourceMap } from './model.js';
import { joinPointer } from './pointer.js';
import { confinementFor, readConfined } from './confine.js';
import { nullRecord, rangeOf, type EntryRecord, type ProfileRecord } from './records.js';
import { addRegistryEntries } from './catalog-cache.js';
import { checkReferencedFiles } from './referenced-files.js';
import { checkSemantics } from './semantic.js';
import { checkEndpoints } from './endpoints.js';
import { collectSensitive } from './sensitive.js';
import { LazySourceMap } from './source-map.js';
import { readSourceFile, type SourceFile } from './source-file.js';

export interface LoadOptions {
  /** Variables for ${VAR}; default process.env. Values here win over .env. */
  env?: Record<string, string | undefined>;
  /** Treat guardrails the backend cannot enforce as errors for every profile. */
  strict?: boolean;
  /** Read `.env` beside the config (default true). */
  dotenv?: boolean;
  /**
   * Directories besides the config's own that named files may come from (the operator's
   * --allow-path); default from CONTEXTFORGE_ALLOW_PATHS. Never taken from the config.
   */
  allowPaths?: string[];
  /** Bytes one file may have (the operator's --max-file-size); default 5 MB. */
  maxFileBytes?: number;
  /**
   * `plan` only: a backend whose `api_key` variable is unset is loaded without it (a warning)
   * and listed in LoadedConfig.unobserved, instead of failing the load.
   */
  optionalCredentials?: boolean;
  /** `destroy`: unset variables outside name/backends/state are warnings (InterpolateOptions.destroying). */
  destroying?: boolean;
}

/** A load result: the config when there are no errors, and always the sensitive values seen. */
export interface LoadResult extends Result<LoadedConfig> {
  sensitiveValues: Set<string>;
}

export const DEFAULT_PROFILE = 'standard';

function sortDiags(diags: Diagnostic[]): Diagnostic[] {
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return diags
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const fa = a.d.range?.file ?? '';
      const fb = b.d.range?.file ?? '';
      if (fa !== fb) return fa < fb ? -1 : 1;
      const la = a.d.range?.start.offset ?? -1;
      const lb = b.d.range?.start.offset ?? -1;
      if (la !== lb) return la - lb;
      return rank[a.d.severity] - rank[b.d.severity] || a.i - b.i;
    })
    .map((x) => x.d);
}

export function loadConfigSync(path: string, options: LoadOptions = {}): LoadResult {
  const file = resolve(path);
  const dir = dirname(file);
  const diags: Diagnostic[] = [];
  const files = [file];

  const conf = confinementFor({ dir, allowPaths: options.allowPaths, maxFileBytes: options.maxFileBytes });
  diags.push(...conf.diags);
  const confinement = conf.value;

  let env: Record<string, string | undefined> = options.env ?? process.env;
  const dotenvPath = resolve(dir, '.env');
  if (options.dotenv !== false) {
    // Every line of .env may hold a secret: diagnostics never show its values.
    secrets.maskFile(dotenvPath);
    const read = readConfined(dotenvPath, confinement, { what: '.env file' });
    const decoded = read.ok ? decodeUtf8(read.bytes, dotenvPath) : undefined;
    if (decoded?.diag)
      diags.push({ ...decoded.diag, severity: 'warning', detail: `${decoded.diag.detail} The file was ignored.` });
    else if (decoded) {
      const parsed = parseDotEnv(decoded.text, dotenvPath);
      diags.push(...parsed.diags);
      env = { ...parsed.values, ...env };
      files.push(dotenvPath);
    } else if (!read.ok && read.reason !== 'missing') diags.push(read.diag);
  }

  const main = readSourceFile(file, {
    kind: 'config',
    env,
    confinement,
    optionalCredentials: options.optionalCredentials === true,
    destroying: options.destroying === true,
  });
  diags.push(...main.diags);
  if (!('parsed' in main) || main.value === undefined) return { diags: sortDiags(diags), sensitiveValues: new Set() };
  const doc = main.value as ContextforgeConfig;
  const cfgLoc = { parsed: main.parsed, pointer: '' };

  // Includes are loaded even when the config has schema errors, so that all files report.
  const inc = loadIncludes({ dir, include: main.schemaOk ? doc.include : undefined, env, config: cfgLoc, confinement });
  diags.push(...inc.diags);
  files.push(...inc.files);

  const profileRecords: ProfileRecord[] = [...inc.profiles];
  const entryRecords: EntryRecord[] = [...inc.entries];
  if (main.schemaOk) {
    for (const [name, profile] of Object.entries(doc.profiles ?? {})) {
      profileRecords.push({
        name,
        profile,
        builtin: false,
        parsed: main.parsed,
        pointer: joinPointer('/profiles', name),
      });
    }
    (doc.catalog ?? []).forEach((entry, i) =>
      entryRecords.push({ entry, builtin: false, parsed: main.parsed, pointer: `/catalog/${i}` }),
    );
  }
  const profiles = mergeProfiles(profileRecords);
  const entries = mergeEntries(entryRecords);
  diags.push(...profiles.diags, ...entries.diags);
  // Entries of remote catalogs, from their last synced copy (`catalog sync`); never the network.
  const registryFiles = addRegistryEntries({
    bySlug: entries.bySlug,
    sources: main.schemaOk ? (doc.catalog_sources ?? []) : [],
    dir,
    confinement,
    config: cfgLoc,
    diags,
  });
  files.push(...registryFiles);

  const sources: SourceFile[] = [main, ...inc.sources];
  const sensitiveValues = collectSensitive({
    doc,
    main,
    entries: [...entries.bySlug.values()],
    includeSources: inc.sources,
  });

  if (!main.schemaOk || !inc.ok) return { diags: sortDiags(diags), sensitiveValues };

  const defaultProfile = doc.defaults?.guardrails_profile ?? DEFAULT_PROFILE;
  diags.push(
    ...checkSemantics({
      doc,
      cfg: main.parsed,
      profiles: profiles.byName,
      catalog: entries.bySlug,
      strict: options.strict === true,
      defaultProfile,
    }),
  );
  diags.push(...checkEndpoints({ doc, cfg: main.parsed }));

  // Compose and seccomp files named by path: confined, present, and well-formed.
  const referenced = checkReferencedFiles({
    entries: entries.bySlug.values(),
    profiles: profiles.byName.values(),
    dir,
    confinement,
  });
  diags.push(...referenced.diags);
  files.push(...referenced.files);

  if (hasErrors(diags)) return { diags: sortDiags(diags), sensitiveValues };

  // Records keyed by user-chosen names have no prototype: a lookup never finds a member of it.
  const resolvedProfiles = nullRecord<ResolvedProfile>();
  for (const [name, r] of profiles.byName) {
    resolvedProfiles[name] = {
      ...r.profile,
      name,
      builtin: r.builtin,
      origin: { file: r.parsed.file, range: rangeOf(r, [], 'key') },
    };
  }
  const catalog = nullRecord<ResolvedCatalogEntry>();
  for (const [slug, r] of entries.bySlug) {
    catalog[slug] = {
      ...r.entry,
      origin: { file: r.parsed.file, range: rangeOf(r, ['slug']) },
      baseDir: dirname(r.parsed.file),
    };
  }
  const runtimes: ResolvedRuntime[] = (doc.runtimes ?? []).map((rt, i) => ({
    ...rt,
    origin: { file, range: rangeOf(cfgLoc, ['runtimes', i, 'name']) },
  }));
  const sourceMap: SourceMap = new LazySourceMap(sources.map((s) => s.parsed));

  const value: LoadedConfig = {
    path: file,
    dir,
    stack: doc.name,
    document: doc,
    backends: (doc.backends ?? nullRecord()) as Record<string, Backend>,
    profiles: resolvedProfiles,
    catalog,
    runtimes,
    gateway: doc.gateway ?? {},
    approval: doc.approval,
    state: { backend: 'sqlite', path: '.contextforge/state.db', ...doc.state },
    github: doc.github,
    defaultProfile,
    files: [...new Set(files)],
    sourceMap,
    sensitiveValues,
    fingerprint: fingerprint({ doc, profiles: resolvedProfiles, catalog }, sensitiveValues),
    ...('missingCredentials' in main && main.missingCredentials
      ? { unobserved: Object.fromEntries(main.missingCredentials.map((m) => [m.backend, m.variable])) }
      : {}),
  };
  return { value, diags: sortDiags(diags), sensitiveValues };
}

/** Loads, validates and resolves a contextforge.yaml. The one entry point of the front end. */
export async function loadConfig(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  return loadConfigSync(path, options);
}

function fingerprint(value: unknown, sensitive: Set<string>): string {
  const digest = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
  const json = JSON.stringify(value, (key, v: unknown) => {
    if (key === 'origin' || key === 'baseDir') return undefined;
    return typeof v === 'string' && sensitive.has(v) ? digest(v) : v;
  });
  return createHash('sha256').update(json).digest('hex');
}
