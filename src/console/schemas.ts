// The JSON Schemas of the console API's bodies, in the OpenAPI 3.1 (JSON Schema 2020-12)
// dialect: the API's own shapes written here once, and the config, catalog, profile and plan
// shapes taken from schema/ (rewritten as components, never copied by hand). The OpenAPI
// document, the request-body validation and the response tests all read these.

import { rawSchema } from '../config/index.js';

export type JsonSchema = Record<string, unknown>;

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str: JsonSchema = { type: 'string' };
const int: JsonSchema = { type: 'integer' };
const strings: JsonSchema = { type: 'array', items: str };

const RUNTIME_REQUIRED = ['name', 'address', 'backend', 'configured', 'state', 'inSync', 'warnings'];
const RUNTIME_PROPS: JsonSchema = {
  name: str,
  address: str,
  backend: str,
  backendType: str,
  configured: { type: 'boolean', description: 'False for a runtime that runs but is no longer in the config.' },
  state: {
    type: 'string',
    description: 'running, starting, stopped, exited, failed, missing (in state, not live), not created, unknown.',
  },
  health: str,
  endpoint: str,
  uptimeSeconds: int,
  restarts: int,
  specHash: str,
  inSync: { type: 'boolean' },
  warnings: { ...strings, description: 'Guardrail controls the backend cannot enforce, as plan words them.' },
  appliedAt: str,
  gateway: ref('GatewayUpstream'),
};

/** The shapes of this API (names are component names). */
const API: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: { code: str, message: str, detail: str },
      },
    },
  },
  Identity: {
    type: 'object',
    required: ['principal', 'name', 'roles'],
    additionalProperties: false,
    properties: {
      principal: {
        type: 'string',
        description: 'How the credential was recognized: user:<name>, jwt:<sub>, token:<n>, anonymous.',
      },
      name: str,
      roles: { type: 'array', items: ref('Role') },
      identities: {
        ...strings,
        description: 'Names approval rules are matched against: the user, the JWT subject and groups.',
      },
    },
  },
  Role: { enum: ['viewer', 'approver', 'admin'] },
  GatewayUpstream: {
    type: 'object',
    required: ['state', 'tools', 'prompts', 'resources'],
    additionalProperties: false,
    properties: {
      state: { enum: ['connecting', 'connected', 'failed'] },
      lastError: str,
      since: str,
      tools: int,
      prompts: int,
      resources: int,
      lock: {
        type: 'object',
        description:
          'How the gateway enforces contextforge.lock on this runtime, and what it lists that the lock does not pin.',
        required: ['mode', 'unpinned'],
        properties: {
          mode: { enum: ['enforce', 'warn'] },
          unpinned: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kind', 'key', 'actual'],
              properties: { kind: str, key: str, expected: str, actual: str },
            },
          },
        },
      },
    },
  },
  RuntimeSummary: {
    type: 'object',
    required: RUNTIME_REQUIRED,
    additionalProperties: false,
    properties: RUNTIME_PROPS,
  },
  RuntimeList: {
    type: 'object',
    required: ['stack', 'runtimes'],
    additionalProperties: false,
    properties: { stack: str, runtimes: { type: 'array', items: ref('RuntimeSummary') }, problems: strings },
  },
  Usage: {
    type: 'object',
    additionalProperties: false,
    description: 'Resource usage where the backend exposes it (Docker stats).',
    properties: {
      cpuPercent: { type: 'number' },
      cpuLimit: { type: 'number', description: 'CPUs the runtime may use, when limited.' },
      memoryBytes: int,
      memoryLimitBytes: int,
      pids: int,
      pidsLimit: int,
      networkRxBytes: int,
      networkTxBytes: int,
    },
  },
  RuntimeDetail: {
    type: 'object',
    required: RUNTIME_REQUIRED,
    additionalProperties: false,
    properties: {
      ...RUNTIME_PROPS,
      catalog: str,
      transport: str,
      profile: str,
      guardrails: {
        type: 'object',
        description: 'What the profile asks for and what the backend enforces of it.',
        required: ['applied', 'controls'],
        properties: {
          applied: { type: 'object', description: 'The effective guardrails in the applied spec.' },
          controls: { type: 'array', items: ref('ProfileControl') },
        },
      },
      usage: ref('Usage'),
      lastApply: { type: 'object', properties: { at: str, outcome: str, kind: str } },
      lock: {
        type: 'object',
        description: 'The runtime entry of contextforge.lock (artifact pin and tool surface), when the lock exists.',
      },
      events: { type: 'array', items: ref('Event') },
    },
  },
  LogLines: {
    type: 'object',
    required: ['runtime', 'lines'],
    additionalProperties: false,
    properties: { runtime: str, lines: strings },
  },
  CatalogCard: {
    type: 'object',
    required: ['slug', 'name', 'source', 'backends'],
    additionalProperties: false,
    properties: {
      slug: str,
      name: str,
      description: str,
      category: str,
      tags: strings,
      source: { type: 'string', description: 'docker, github, compose or command.' },
      backends: { ...strings, description: 'Backend types the entry supports.' },
      featured: { type: 'boolean' },
      deprecated: { type: 'boolean' },
    },
  },
  CatalogList: {
    type: 'object',
    required: ['entries', 'categories', 'tags', 'configBackends'],
    additionalProperties: false,
    properties: {
      entries: { type: 'array', items: ref('CatalogCard') },
      categories: strings,
      tags: strings,
      configBackends: {
        type: 'array',
        description: 'The backends of the served config a runtime may name.',
        items: { type: 'object', required: ['name', 'type'], properties: { name: str, type: str } },
      },
    },
  },
  CatalogDetail: {
    type: 'object',
    required: ['slug', 'backends', 'definition'],
    additionalProperties: false,
    properties: { slug: str, backends: strings, definition: ref('config.catalogEntry') },
  },
  DeploySnippetRequest: {
    type: 'object',
    required: ['name', 'backend'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'The new runtime name.' },
      backend: { type: 'string', maxLength: 128, description: 'A backend name of the served config.' },
      profile: { type: 'string', maxLength: 128 },
      env: { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', maxLength: 4096 } },
      commit: {
        type: 'boolean',
        description:
          'Admin only: commit the config with the runtime added on a new branch, when it lives in a git work tree.',
      },
    },
  },
  DeploySnippet: {
    type: 'object',
    required: ['yaml', 'valid', 'diagnostics'],
    additionalProperties: false,
    properties: {
      yaml: { type: 'string', description: 'The runtime entry to add under runtimes:.' },
      valid: { type: 'boolean' },
      diagnostics: { type: 'array', items: ref('plan.diagnostic') },
      branch: { type: 'string', description: 'The new branch holding the proposal (with commit: true).' },
      commit: str,
    },
  },
  ProfileSummary: {
    type: 'object',
    required: ['name', 'builtin', 'definition', 'compatibility'],
    additionalProperties: false,
    properties: {
      name: str,
      builtin: { type: 'boolean' },
      definition: ref('config.guardrailProfile'),
      compatibility: {
        type: 'object',
        description: 'Per backend type: the controls it cannot enforce.',
        additionalProperties: strings,
      },
    },
  },
  ProfileList: {
    type: 'object',
    required: ['profiles', 'backendTypes'],
    additionalProperties: false,
    properties: { profiles: { type: 'array', items: ref('ProfileSummary') }, backendTypes: strings },
  },
  ProfileControl: {
    type: 'object',
    required: ['control', 'label', 'set', 'value', 'enforced', 'dropped', 'lossy', 'note'],
    additionalProperties: false,
    properties: {
      control: str,
      label: str,
      set: { type: 'boolean' },
      value: str,
      enforced: { type: 'boolean' },
      dropped: { type: 'boolean' },
      lossy: { type: 'boolean' },
      note: str,
    },
  },
  ProfileCheck: {
    type: 'object',
    required: ['profile', 'backend', 'controls', 'notEnforceable', 'lossy', 'cpuMemoryPair'],
    additionalProperties: false,
    properties: {
      profile: str,
      backend: str,
      controls: { type: 'array', items: ref('ProfileControl') },
      notEnforceable: strings,
      lossy: strings,
      cpuMemoryPair: { type: ['string', 'null'] },
    },
  },
  CompatibilityList: {
    type: 'object',
    required: ['checks'],
    additionalProperties: false,
    properties: { checks: { type: 'array', items: ref('ProfileCheck') } },
  },
  PlanView: {
    type: 'object',
    required: ['diagnostics'],
    additionalProperties: false,
    properties: {
      plan: ref('plan.PlanDocument'),
      diagnostics: { type: 'array', items: ref('plan.diagnostic') },
    },
  },
  Event: {
    type: 'object',
    required: ['id', 'at', 'type'],
    additionalProperties: false,
    properties: {
      id: int,
      at: str,
      type: { type: 'string', description: 'apply.created, drift.repaired, approval.approved, runtime.status, …' },
      address: str,
      actor: str,
      data: { type: 'object' },
    },
  },
  EventList: {
    type: 'object',
    required: ['events'],
    additionalProperties: false,
    properties: { events: { type: 'array', items: ref('Event') } },
  },
  Approval: {
    type: 'object',
    required: ['id', 'address', 'specHash', 'status', 'reasons', 'approvers', 'requestedAt', 'expiresAt'],
    additionalProperties: false,
    properties: {
      id: str,
      address: str,
      specHash: str,
      status: { enum: ['pending', 'approved', 'rejected', 'expired'] },
      reasons: strings,
      approvers: { type: 'array', items: strings, description: 'One list per rule; any one name satisfies it.' },
      request: { type: 'object' },
      requestedAt: str,
      expiresAt: str,
      decidedBy: str,
      decidedAt: str,
      note: str,
      canDecide: { type: 'boolean', description: 'Whether the caller may decide it.' },
    },
  },
  ApprovalList: {
    type: 'object',
    required: ['approvals'],
    additionalProperties: false,
    properties: { approvals: { type: 'array', items: ref('Approval') } },
  },
  OpenApiDocument: { type: 'object', required: ['openapi', 'paths'], description: 'An OpenAPI 3.1 document.' },
  DecisionRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { reason: { type: 'string', maxLength: 2000 } },
  },
};

/** draft-07 `definitions` of a schema/ file as components named `<prefix>.<name>`. */
function fromSchemaFile(kind: 'config' | 'plan', prefix: string): Record<string, JsonSchema> {
  const raw = rawSchema(kind) as JsonSchema;
  const out: Record<string, JsonSchema> = {};
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== 'object') return v;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === '$schema' || k === '$id' || k === 'definitions') continue;
      if (k === '$ref' && typeof x === 'string') {
        const m = /^(?:contextforge\.schema\.json)?#\/definitions\/(.+)$/.exec(x);
        const target = x.startsWith('contextforge.schema.json') ? 'config' : prefix;
        o.$ref = m ? `#/components/schemas/${target}.${m[1]}` : x;
      } else o[k] = rewrite(x);
    }
    return o;
  };
  for (const [name, def] of Object.entries((raw.definitions ?? {}) as Record<string, unknown>))
    out[`${prefix}.${name}`] = rewrite(def) as JsonSchema;
  const { title } = raw as { title?: string };
  if (title) out[`${prefix}.${title}`] = rewrite(raw) as JsonSchema;
  return out;
}

let cached: Record<string, JsonSchema> | undefined;

/** Every component schema of the API, by name. */
export function componentSchemas(): Record<string, JsonSchema> {
  cached ??= { ...API, ...fromSchemaFile('config', 'config'), ...fromSchemaFile('plan', 'plan') };
  return cached;
}

export { ref as schemaRef };
