// One MCP Registry entry (a server.json document) → one contextforge catalog entry. Validates
// the document against our copy of the registry's JSON Schema (schema/mcp-registry/) with ajv,
// reporting each failure with its JSON pointer, then maps the first runnable package (npm/pypi →
// a package source, oci → a docker image) or remote (→ a remote source). Pure apart from
// reading the schema file once; fetching and filtering belong to sync.ts.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { getAt, packagePath } from '../../config/index.js';
import { hashOf } from '../../model/canonical.js';
import type { ImportedEntry, ImportProblem, RegistryEntryInput } from './types.js';

export const SERVER_SCHEMA_FILE = 'schema/mcp-registry/server.schema.json';
const OFFICIAL_META = 'io.modelcontextprotocol.registry/official';
const PUBLISHER_META = 'io.modelcontextprotocol.registry/publisher-provided';

interface Input {
  name?: string;
  description?: string;
  isRequired?: boolean;
  isSecret?: boolean;
  default?: string;
  value?: string;
  type?: string;
  valueHint?: string;
  variables?: Record<string, Input>;
}
interface Transport {
  type: 'stdio' | 'streamable-http' | 'sse';
  url?: string;
  headers?: Input[];
}
interface Package {
  registryType: string;
  identifier: string;
  version: string;
  transport: Transport;
  packageArguments?: Input[];
  runtimeArguments?: Input[];
  environmentVariables?: Input[];
}
export interface ServerJson {
  name: string;
  description: string;
  version: string;
  title?: string;
  websiteUrl?: string;
  repository?: { url: string; source: string; subfolder?: string };
  packages?: Package[];
  remotes?: Transport[];
  status?: string;
  _meta?: Record<string, unknown>;
}

let compiled: ValidateFunction | undefined;

/** The ajv validator of server.json, compiled on first use (formats from ajv-formats). */
export function serverValidator(): ValidateFunction {
  if (compiled) return compiled;
  const require = createRequire(import.meta.url);
  const { Ajv } = require('ajv') as typeof import('ajv');
  const addFormats = (require('ajv-formats') as { default: (a: unknown) => void }).default;
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  compiled = ajv.compile(JSON.parse(readFileSync(packagePath(SERVER_SCHEMA_FILE), 'utf8')) as object);
  return compiled;
}

/**
 * A list item of `GET /v0/servers`: `{ server, _meta }` (registry metadata beside the document)
 * or, from registries of the first API version, the document itself with its `_meta` inside.
 */
export function splitListItem(item: unknown): { server: unknown; wrapperMeta?: Record<string, unknown> } {
  if (
    item &&
    typeof item === 'object' &&
    'server' in item &&
    typeof (item as { server: unknown }).server === 'object'
  ) {
    const w = item as { server: unknown; _meta?: Record<string, unknown> };
    return { server: w.server, wrapperMeta: isObject(w._meta) ? w._meta : undefined };
  }
  return { server: item };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Schema errors of one document, as `<pointer>: <message>` (the pointer of the item in the list first). */
export function validateServer(doc: unknown, at: string): ImportProblem[] {
  const v = serverValidator();
  if (v(doc)) return [];
  const seen = new Set<string>();
  const out: ImportProblem[] = [];
  for (const e of v.errors ?? []) {
    // anyOf/allOf branches repeat one failure; the first message per pointer says enough.
    const pointer = `${at}${e.instancePath}`;
    if (seen.has(pointer)) continue;
    seen.add(pointer);
    const extra = e.keyword === 'required' ? ` (${(e.params as { missingProperty: string }).missingProperty})` : '';
    // ajv words `not` as "must NOT be valid"; the value itself says more.
    const message =
      e.keyword === 'not'
        ? `must not be ${JSON.stringify(getAt(doc, e.instancePath))}`
        : `${e.message ?? 'is invalid'}${extra}`;
    out.push({ pointer, message });
  }
  return out;
}

/** Registry status: the official metadata beside the document, else an older inline `status`. */
export function statusOf(server: ServerJson, wrapperMeta?: Record<string, unknown>): string {
  const official = (wrapperMeta?.[OFFICIAL_META] ?? server._meta?.[OFFICIAL_META]) as { status?: unknown } | undefined;
  const s = official?.status ?? server.status;
  return typeof s === 'string' ? s.toLowerCase() : 'active';
}

const envName = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/** A fixed argument value, or undefined when it needs input from whoever installs the server. */
function fixedArgs(args: Input[] | undefined, skipped: string[]): string[] {
  const out: string[] = [];
  for (const a of args ?? []) {
    const v = a.value ?? a.default;
    if (v === undefined || /\{[^}]*\}/.test(v)) {
      skipped.push(a.name ?? a.valueHint ?? '(unnamed)');
      continue;
    }
    if (a.type === 'named' && a.name) out.push(a.name, v);
    else out.push(v);
  }
  return out;
}

function envOf(vars: Input[] | undefined): ImportedEntry['env'] {
  if (!vars?.length) return undefined;
  const env: NonNullable<ImportedEntry['env']> = {};
  for (const v of vars) {
    if (!v.name) continue;
    env[v.name] = {
      ...(v.description ? { description: v.description } : {}),
      ...(v.isRequired ? { required: true } : {}),
      ...(v.isSecret ? { secret: true } : {}),
      ...(v.default !== undefined && !v.isSecret ? { default: v.default } : {}),
    };
  }
  return env;
}

/** Remote headers: a fixed value stays; an input becomes an env variable of the entry, referenced as {NAME}. */
function headersOf(headers: Input[] | undefined, env: NonNullable<ImportedEntry['env']>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of headers ?? []) {
    if (!h.name) continue;
    const template = h.value ?? `{${h.name}}`;
    out[h.name] = template.replace(/\{([^}]+)\}/g, (_m, raw: string) => {
      const spec = h.variables?.[raw] ?? h;
      const name = envName(raw);
      env[name] = {
        ...(spec.description ? { description: spec.description } : {}),
        ...(spec.isRequired || h.isRequired ? { required: true } : {}),
        ...(spec.isSecret || h.isSecret ? { secret: true } : {}),
      };
      return `{${name}}`;
    });
  }
  return out;
}

const RUNNABLE = ['npm', 'pypi', 'oci'];

/**
 * Maps a valid document. `value` is undefined when nothing in it can run here (only nuget or
 * mcpb packages, no remote); `notes` says what was left out (arguments that need input).
 */
export function mapServer(input: RegistryEntryInput & { server: ServerJson }): {
  value?: ImportedEntry;
  problem?: string;
  notes: string[];
} {
  const { server } = input;
  const notes: string[] = [];
  const pkg = [...(server.packages ?? [])]
    .filter((p) => RUNNABLE.includes(p.registryType))
    .sort((a, b) => RUNNABLE.indexOf(a.registryType) - RUNNABLE.indexOf(b.registryType))[0];
  const remote = (server.remotes ?? [])[0];
  const publisher = server._meta?.[PUBLISHER_META] as { category?: unknown; tags?: unknown } | undefined;
  const base: Omit<ImportedEntry, 'source'> = {
    name: server.title ?? server.name,
    slug: input.slug,
    description: server.description,
    version: server.version,
    ...(typeof publisher?.category === 'string' ? { category: publisher.category } : {}),
    ...(Array.isArray(publisher?.tags)
      ? { tags: publisher.tags.filter((t): t is string => typeof t === 'string') }
      : {}),
    ...((server.websiteUrl ?? server.repository?.url)
      ? { documentation_url: server.websiteUrl ?? server.repository?.url }
      : {}),
    ...(input.status === 'deprecated' ? { deprecated: true } : {}),
    registry: {
      source: input.source,
      format: 'mcp-registry',
      name: server.name,
      version: server.version,
      status: input.status,
      hash: hashOf(server),
      ...(server._meta || input.wrapperMeta ? { meta: { ...input.wrapperMeta, ...server._meta } } : {}),
    },
  };
  if (pkg) {
    const skipped: string[] = [];
    const args = fixedArgs(pkg.packageArguments, skipped);
    if (skipped.length) notes.push(`arguments left out (they need a value): ${skipped.join(', ')}`);
    if (pkg.runtimeArguments?.length) notes.push('runtimeArguments are not used');
    const env = envOf(pkg.environmentVariables);
    const transport = { type: pkg.transport.type };
    if (pkg.registryType === 'oci') {
      return {
        value: {
          ...base,
          supported_backends: ['docker', 'ibm_code_engine'],
          source: { type: 'docker', image: imageRef(pkg), ...(args.length ? { args } : {}) },
          transport,
          ...(env ? { env } : {}),
        },
        notes,
      };
    }
    return {
      value: {
        ...base,
        supported_backends: ['process', 'docker'],
        source: {
          type: 'package',
          registry: pkg.registryType,
          name: pkg.identifier,
          version: pkg.version,
          ...(args.length ? { args } : {}),
        },
        transport,
        ...(env ? { env } : {}),
      },
      notes,
    };
  }
  if (remote) {
    const env: NonNullable<ImportedEntry['env']> = {};
    const headers = headersOf(remote.headers, env);
    return {
      value: {
        ...base,
        source: { type: 'remote', url: remote.url ?? '', ...(Object.keys(headers).length ? { headers } : {}) },
        transport: { type: remote.type },
        ...(Object.keys(env).length ? { env } : {}),
      },
      notes,
    };
  }
  const kinds = [...new Set((server.packages ?? []).map((p) => p.registryType))];
  return {
    problem: kinds.length
      ? `it has only ${kinds.join(', ')} packages, which contextforge cannot run`
      : 'it has neither packages nor remotes',
    notes,
  };
}

/** An OCI identifier with its version as the tag, unless the identifier already names one. */
function imageRef(pkg: Package): string {
  const id = pkg.identifier;
  const last = id.split('/').pop() ?? id;
  return last.includes(':') || id.includes('@') ? id : `${id}:${pkg.version}`;
}
