// A ToolHive registry document (`{ servers: { name: {image, transport, env_vars, …} },
// remote_servers: { name: {url, headers, …} } }`) → catalog entries. ToolHive publishes no JSON
// Schema of the file, so the shape checked here is our reading of its format; each entry is
// checked with ajv and reported with its JSON pointer. Names have no namespace in ToolHive: the
// catalog source's name becomes it (`<source>/<name>`).

import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { escapeSegment } from '../../config/index.js';
import { hashOf } from '../../model/canonical.js';
import type { ImportedEntry, ImportProblem } from './types.js';

interface EnvVar {
  name: string;
  description?: string;
  required?: boolean;
  secret?: boolean;
  default?: string;
}
interface ToolhiveServer {
  description?: string;
  image?: string;
  url?: string;
  transport?: 'stdio' | 'sse' | 'streamable-http';
  target_port?: number;
  args?: string[];
  env_vars?: EnvVar[];
  headers?: EnvVar[];
  tags?: string[];
  tools?: string[];
  status?: string;
  tier?: string;
  repository_url?: string;
  permissions?: unknown;
}

const envVar = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' },
    description: { type: 'string' },
    required: { type: 'boolean' },
    secret: { type: 'boolean' },
    default: { type: 'string' },
  },
};
const common = {
  description: { type: 'string' },
  transport: { enum: ['stdio', 'sse', 'streamable-http'] },
  tags: { type: 'array', items: { type: 'string' } },
  tools: { type: 'array', items: { type: 'string' } },
  status: { type: 'string' },
  tier: { type: 'string' },
  repository_url: { type: 'string' },
  env_vars: { type: 'array', items: envVar },
};
const SERVER_SHAPE = {
  type: 'object',
  required: ['image', 'description', 'transport'],
  properties: {
    ...common,
    image: { type: 'string', minLength: 1, pattern: '^[^\\s]+$' },
    target_port: { type: 'integer', minimum: 1, maximum: 65535 },
    args: { type: 'array', items: { type: 'string' } },
  },
};
const REMOTE_SHAPE = {
  type: 'object',
  required: ['url', 'description', 'transport'],
  properties: {
    ...common,
    url: { type: 'string', pattern: '^https?://' },
    transport: { enum: ['sse', 'streamable-http'] },
    headers: { type: 'array', items: envVar },
  },
};

let validators: { server: ValidateFunction; remote: ValidateFunction } | undefined;
function shapes(): { server: ValidateFunction; remote: ValidateFunction } {
  if (validators) return validators;
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  validators = { server: ajv.compile(SERVER_SHAPE), remote: ajv.compile(REMOTE_SHAPE) };
  return validators;
}

export interface ToolhiveItem {
  /** The namespaced registry name, `<source>/<name>`. */
  name: string;
  pointer: string;
  doc: unknown;
  remote: boolean;
}

/** The entries of a document with their pointers; a document without `servers` is one problem. */
export function toolhiveItems(source: string, doc: unknown): { items: ToolhiveItem[]; problems: ImportProblem[] } {
  const d = doc as { servers?: unknown; remote_servers?: unknown } | null;
  if (!d || typeof d !== 'object' || (d.servers !== undefined && typeof d.servers !== 'object'))
    return {
      items: [],
      problems: [{ pointer: '', message: 'the document is not a ToolHive registry (no servers map)' }],
    };
  const items: ToolhiveItem[] = [];
  for (const [key, remote] of [
    ['servers', false],
    ['remote_servers', true],
  ] as const) {
    const map = d[key];
    if (!map || typeof map !== 'object') continue;
    for (const [name, entry] of Object.entries(map as Record<string, unknown>))
      items.push({ name: `${source}/${name}`, pointer: `/${key}/${escapeSegment(name)}`, doc: entry, remote });
  }
  return { items, problems: [] };
}

export function validateToolhive(item: ToolhiveItem): ImportProblem[] {
  const v = item.remote ? shapes().remote : shapes().server;
  if (v(item.doc)) return [];
  return (v.errors ?? []).map((e) => ({
    pointer: `${item.pointer}${e.instancePath}`,
    message: `${e.message ?? 'is invalid'}${e.keyword === 'required' ? ` (${(e.params as { missingProperty: string }).missingProperty})` : ''}`,
  }));
}

export function toolhiveStatus(item: ToolhiveItem): string {
  const s = (item.doc as ToolhiveServer).status;
  return typeof s === 'string' ? s.toLowerCase() : 'active';
}

function envOf(vars: EnvVar[] | undefined): ImportedEntry['env'] {
  if (!vars?.length) return undefined;
  const env: NonNullable<ImportedEntry['env']> = {};
  for (const v of vars)
    env[v.name] = {
      ...(v.description ? { description: v.description } : {}),
      ...(v.required ? { required: true } : {}),
      ...(v.secret ? { secret: true } : {}),
      ...(v.default !== undefined && !v.secret ? { default: v.default } : {}),
    };
  return env;
}

/** Maps a valid item (validateToolhive returned nothing). */
export function mapToolhive(
  item: ToolhiveItem,
  input: { source: string; slug: string; status: string },
): ImportedEntry {
  const s = item.doc as ToolhiveServer;
  const transport = s.transport ?? 'stdio';
  const base = {
    name: item.name.slice(item.name.indexOf('/') + 1),
    slug: input.slug,
    description: s.description,
    ...(s.tags?.length ? { tags: s.tags } : {}),
    ...(s.repository_url ? { documentation_url: s.repository_url } : {}),
    ...(input.status === 'deprecated' ? { deprecated: true } : {}),
    registry: {
      source: input.source,
      format: 'toolhive' as const,
      name: item.name,
      status: input.status,
      hash: hashOf(s),
      // What ToolHive says beyond the runnable part (tools, permissions, tier) is kept as served.
      meta: Object.fromEntries(
        Object.entries(s).filter(([k]) => ['tools', 'permissions', 'tier', 'metadata', 'provenance'].includes(k)),
      ),
    },
  };
  if (item.remote) {
    const env = envOf(s.env_vars) ?? {};
    const headers: Record<string, string> = {};
    for (const h of s.headers ?? []) {
      const name = h.name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
      env[name] = {
        ...(h.description ? { description: h.description } : {}),
        ...(h.required ? { required: true } : {}),
        ...(h.secret ? { secret: true } : {}),
      };
      headers[h.name] = `{${name}}`;
    }
    return {
      ...base,
      source: { type: 'remote', url: s.url ?? '', ...(Object.keys(headers).length ? { headers } : {}) },
      transport: { type: transport },
      ...(Object.keys(env).length ? { env } : {}),
    };
  }
  const env = envOf(s.env_vars);
  return {
    ...base,
    supported_backends: ['docker', 'ibm_code_engine'],
    source: { type: 'docker', image: s.image ?? '', ...(s.args?.length ? { args: s.args } : {}) },
    transport: { type: transport, ...(transport !== 'stdio' && s.target_port ? { port: s.target_port } : {}) },
    ...(env ? { env } : {}),
  };
}
