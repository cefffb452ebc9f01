// The config front end's one pipeline: read contextforge.yaml (+ .env), interpolate, validate
// against the schema, load included catalog entries and profiles, run the semantic checks, and
// resolve everything into a LoadedConfig. Reads local files only: never the network.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { error, hasErrors, type Diagnostic, type Result } from '../diag/diagnostic.js';
import type { Backend, ContextforgeConfig } from '../generated/config.js';
import { parseDotEnv } from './dotenv.js';
import { loadIncludes, mergeEntries, mergeProfiles } from './include.js';
import type { LoadedConfig, ResolvedCatalogEntry, ResolvedProfile, ResolvedRuntime, SourceMap } from './model.js';
import { joinPointer } from './pointer.js';
import { rangeOf, type EntryRecord, type ProfileRecord } from './records.js';
import { checkSemantics } from './semantic.js';
import { checkEndpoints } from './endpoints.js';
import { collectSensitive } from './sensitive.js';
import { LazySourceMap } from './source-map.js';
import { readSourceFile, type SourceFile } from './source-file.js';
import { checkComposeEntry } from './compose/check.js';

export interface LoadOptions {
  /** Variables for ${VAR}; default process.env. Values here win over .env. */
  env?: Record<string, string | undefined>;
  /** Treat guardrails the backend cannot enforce as errors for every profile. */
  strict?: boolean;
  /** Read `.env` beside the config (default true). */
  dotenv?: boolean;
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

  let env: Record<string, string | undefined> = options.env ?? process.env;
  const dotenvPath = resolve(dir, '.env');
  if (options.dotenv !== false && existsSync(dotenvPath)) {
    const parsed = parseDotEnv(readFileSync(dotenvPath, 'utf8'), dotenvPath);
    diags.push(...parsed.diags);
    env = { ...parsed.values, ...env };
    files.push(dotenvPath);
  }

  const main = readSourceFile(file, 'config', env);
  diags.push(...main.diags);
  if (!('parsed' in main) || main.value === undefined) return { diags: sortDiags(diags), sensitiveValues: new Set() };
  const doc = main.value as ContextforgeConfig;
  const cfgLoc = { parsed: main.parsed, pointer: '' };

  // Includes are loaded even when the config has schema errors, so that all files report.
  const inc = loadIncludes({ dir, include: main.schemaOk ? doc.include : undefined, env, config: cfgLoc });
  diags.push(...inc.diags);
  files.push(...inc.files);

  const profileRecords: ProfileRecord[] = [...inc.profiles];
  const entryRecords: EntryRecord[] = [...inc.entries];
  if (main.schemaOk) {
    for (const [name, profile] of Object.entries(doc.profiles ?? {})) {
      profileRecords.push({ name, profile, builtin: false, parsed: main.parsed, pointer: joinPointer('/profiles', name) });
    }
    (doc.catalog ?? []).forEach((entry, i) => entryRecords.push({ entry, builtin: false, parsed: main.parsed, pointer: `/catalog/${i}` }));
  }
  const profiles = mergeProfiles(profileRecords);
  const entries = mergeEntries(entryRecords);
  diags.push(...profiles.diags, ...entries.diags);

  const sources: SourceFile[] = [main, ...inc.sources];
  const sensitiveValues = collectSensitive({ doc, main, entries: [...entries.bySlug.values()], includeSources: inc.sources });

  if (!main.schemaOk || !inc.ok) return { diags: sortDiags(diags), sensitiveValues };

  const defaultProfile = doc.defaults?.guardrails_profile ?? DEFAULT_PROFILE;
  diags.push(...checkSemantics({ doc, cfg: main.parsed, profiles: profiles.byName, catalog: entries.bySlug, strict: options.strict === true, defaultProfile }));
  diags.push(...checkEndpoints({ doc, cfg: main.parsed }));

  // Compose files named by path must exist (they are read by the Docker backend later), and
  // every compose file (inline or not) must stay within the supported subset.
  for (const r of entries.bySlug.values()) {
    const s = r.entry.source;
    if (s.type !== 'compose') continue;
    const inline = s.compose_file.includes('\n');
    const p = inline ? undefined : resolve(dirname(r.parsed.file), s.compose_file);
    if (!r.builtin && (inline || (p && existsSync(p)))) {
      diags.push(...checkComposeEntry({ composeFile: s.compose_file, mainService: s.main_service, declaringFile: r.parsed.file, declaringText: r.parsed.text, valueOffset: rangeOf(r, ['source', 'compose_file']).start.offset, path: p }));
    }
    if (!p) continue;
    if (existsSync(p)) files.push(p);
    else if (!r.builtin) {
      diags.push(error('compose.file-not-found', `compose file not found: ${s.compose_file}`, {
        range: rangeOf(r, ['source', 'compose_file']),
        detail: 'The path is relative to the file that declares the entry; fix it or inline the compose YAML with `|`.',
      }));
    }
  }

  if (hasErrors(diags)) return { diags: sortDiags(diags), sensitiveValues };

  const resolvedProfiles: Record<string, ResolvedProfile> = {};
  for (const [name, r] of profiles.byName) {
    resolvedProfiles[name] = { ...r.profile, name, builtin: r.builtin, origin: { file: r.parsed.file, range: rangeOf(r, [], 'key') } };
  }
  const catalog: Record<string, ResolvedCatalogEntry> = {};
  for (const [slug, r] of entries.bySlug) {
    catalog[slug] = { ...r.entry, origin: { file: r.parsed.file, range: rangeOf(r, ['slug']) }, baseDir: dirname(r.parsed.file) };
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
    backends: (doc.backends ?? {}) as Record<string, Backend>,
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
