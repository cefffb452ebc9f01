// Shared setup of the Code Engine backend tests: a contextforge.yaml in a temp dir pointing
// service_url/iam_url at a local emulator, loaded with the real loadConfig, the backend built
// by the real factory, a SQLite state store, and the engine's planStack/applyPlan around them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { applyPlan, type ApplyResult } from '../../../src/apply/engine.js';
import { planStack, type PlanStackResult } from '../../../src/plan/stack.js';
import { createCodeEngineBackend, type CodeEngineBackendHandle } from '../../../src/backends/code-engine/index.js';
import { loadConfig } from '../../../src/config/index.js';
import type { LoadedConfig } from '../../../src/config/model.js';
import type { CodeEngineBackend } from '../../../src/generated/config.js';
import { openStateStore, type SqliteStateStore } from '../../../src/state/sqlite.js';
import type { CodeEngineEmulator } from '../../../src/emulators/code-engine/index.js';

export const ECHO_IMAGE = 'contextforge-fixture/everything:latest';

export interface RuntimeDef {
  name: string;
  env?: Record<string, string>;
  secrets?: Record<string, string>;
  scale?: { min?: number; max?: number; concurrency?: number };
  resources?: { cpu?: string; memory?: string };
  visibility?: 'public' | 'private' | 'project';
  catalog?: string;
}

export interface StackOptions {
  emu: CodeEngineEmulator;
  stack?: string;
  runtimes: RuntimeDef[];
  /** Extra YAML lines under `catalog:` (each entry starting with `  - `). */
  catalog?: string[];
  /** Extra YAML lines under the backend (indented 4). */
  backend?: string[];
  /** Extra top-level YAML lines. */
  top?: string[];
  profile?: string[];
  /** Leave out the backend's per_deployment_limits (profile ceilings are then fitted). */
  noLimits?: boolean;
  project?: string;
  /** Poll interval of the backend's waits (default 50 ms). */
  pollMs?: number;
}

export function yamlFor(o: StackOptions, stack: string): string {
  const lines = [
    `name: ${stack}`,
    'backends:',
    '  ce:',
    '    type: ibm_code_engine',
    `    region: ${o.emu.region}`,
    `    project_id: ${o.project ?? o.emu.projects[0].id}`,
    '    api_key: test-api-key-0123',
    `    service_url: ${o.emu.url}`,
    `    iam_url: ${o.emu.iamUrl}`,
    ...(o.noLimits ? [] : ['    per_deployment_limits: { cpu: "0.25", memory: 1G }']),
    ...(o.backend ?? []),
    'profiles:',
    '  ce-open:',
    ...(o.profile ?? ['    network: { egress_allowed: true }']),
    'defaults:',
    '  guardrails_profile: ce-open',
    ...(o.top ?? []),
    'catalog:',
    '  - name: Echo',
    '    slug: echo',
    `    source: { type: docker, image: "${ECHO_IMAGE}", args: [streamableHttp] }`,
    '    transport: { type: streamable-http, port: 3001, path: /mcp }',
    '    env:',
    '      API_TOKEN: { secret: true }',
    ...(o.catalog ?? []),
    'runtimes:',
  ];
  for (const r of o.runtimes) {
    lines.push(`  - name: ${r.name}`, `    catalog: ${r.catalog ?? 'echo'}`, '    backend: ce');
    if (r.env) lines.push(`    env: ${JSON.stringify(r.env)}`);
    if (r.secrets) lines.push(`    secrets: ${JSON.stringify(r.secrets)}`);
    if (r.scale) lines.push(`    scale: ${JSON.stringify(r.scale)}`);
    if (r.resources) lines.push(`    resources: ${JSON.stringify(r.resources)}`);
    if (r.visibility) lines.push(`    visibility: ${r.visibility}`);
  }
  return `${lines.join('\n')}\n`;
}

export class CeStack {
  readonly dir = mkdtempSync(join(tmpdir(), 'cf-ce-'));
  readonly file = join(this.dir, 'contextforge.yaml');
  readonly store: SqliteStateStore;
  readonly stack: string;
  backend!: CodeEngineBackendHandle;
  config!: LoadedConfig;
  progress: string[] = [];

  constructor(readonly opts: StackOptions) {
    this.stack = opts.stack ?? `cfce-${randomBytes(3).toString('hex')}`;
    this.store = openStateStore({ path: join(this.dir, 'state.db') });
  }

  /** Writes and loads the config; throws with the diagnostics when it does not load. */
  async load(runtimes = this.opts.runtimes, extra: Partial<StackOptions> = {}): Promise<LoadedConfig> {
    writeFileSync(this.file, yamlFor({ ...this.opts, ...extra, runtimes }, this.stack));
    const r = await loadConfig(this.file);
    const errors = r.diags.filter((d) => d.severity === 'error');
    if (!r.value || errors.length)
      throw new Error(`config did not load: ${errors.map((d) => `${d.code}: ${d.summary}`).join('; ')}`);
    this.config = r.value;
    this.backend ??= createCodeEngineBackend('ce', this.config.backends.ce as CodeEngineBackend, {
      stack: this.stack,
      configDir: this.dir,
      pollMs: this.opts.pollMs ?? 50,
      retryBaseMs: 5,
      sensitiveValues: this.config.sensitiveValues,
    });
    return this.config;
  }

  plan(destroy = false): Promise<PlanStackResult> {
    return planStack({ config: this.config, backends: { ce: this.backend }, store: this.store, destroy });
  }

  async apply(p: PlanStackResult, parallelism?: number): Promise<ApplyResult> {
    if (!p.plan) throw new Error(`no plan: ${p.diags.map((d) => `${d.code}: ${d.summary}`).join('; ')}`);
    return applyPlan({
      plan: p.plan,
      backends: { ce: this.backend },
      store: this.store,
      parallelism,
      retry: { baseDelayMs: 20 },
      onProgress: (l) => this.progress.push(l),
    });
  }

  projectId(): ReturnType<CodeEngineBackendHandle['projectId']> {
    return this.backend.projectId();
  }

  async close(): Promise<void> {
    await this.backend?.close?.();
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** API write calls the emulator counted (POST/PATCH/PUT/DELETE under /v2). */
export function writeCalls(emu: CodeEngineEmulator, what?: RegExp): number {
  return Object.entries(emu.stats.byRoute)
    .filter(([k]) => /^(POST|PATCH|PUT|DELETE) \/v2\//.test(k) && (!what || what.test(k)))
    .reduce((n, [, v]) => n + v, 0);
}

export function apiCalls(emu: CodeEngineEmulator): number {
  return Object.entries(emu.stats.byRoute)
    .filter(([k]) => / \/v2\//.test(k))
    .reduce((n, [, v]) => n + v, 0);
}

/** A raw HTTP call to the emulator's API with a fresh token (someone else's client). */
export async function rawApi(
  emu: CodeEngineEmulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; etag?: string }> {
  const tok = await fetch(`${emu.iamUrl}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=someone-else',
  });
  const { access_token } = (await tok.json()) as { access_token: string };
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${access_token}`,
      accept: 'application/json',
      ...(body ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, etag: res.headers.get('etag') ?? undefined };
}

/**
 * Deletes apps through the raw API and waits until each answers 404: in realistic mode a
 * deleted app stays visible for a while (Code Engine deletes asynchronously).
 */
export async function deleteAppsAndWait(emu: CodeEngineEmulator, pid: string, names: readonly string[]): Promise<void> {
  for (const n of names) await rawApi(emu, 'DELETE', `/projects/${pid}/apps/${n}`);
  const deadline = Date.now() + 60_000;
  for (const n of names) {
    while ((await rawApi(emu, 'GET', `/projects/${pid}/apps/${n}`)).status !== 404) {
      if (Date.now() > deadline) throw new Error(`app ${n} was not gone within 60 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
