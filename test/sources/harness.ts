// Test harness for github and compose sources on the real Docker backend: a config written to a
// temp dir and loaded by the real loader, the Docker backend on a request-counting client, a
// SQLite state store, plan/apply through the engine, and a gateway fed by the host glue.
import { mkdtempSync, rmSync, writeFileSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { simpleGit, type SimpleGit } from 'simple-git';
import { applyPlan, type ApplyResult } from '../../src/apply/engine.js';
import { planStack, type PlanStackResult } from '../../src/plan/stack.js';
import { createDockerBackend, type DockerBackendHandle } from '../../src/backends/docker/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { LoadedConfig } from '../../src/config/model.js';
import type { DockerBackend } from '../../src/generated/config.js';
import { openStateStore, type SqliteStateStore } from '../../src/state/sqlite.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { upstreamsFromRecords } from '../../src/host/upstreams.js';
import { countingDocker, type CountingDocker, cleanupStack } from '../backends/docker/fixtures.js';
import { connectStreamableHttp } from '../support/mcp.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export class DockerStack {
  readonly dir = mkdtempSync(join(tmpdir(), 'cf-src-'));
  readonly file = join(this.dir, 'contextforge.yaml');
  readonly stack = `cfsrc-${randomBytes(3).toString('hex')}`;
  readonly store: SqliteStateStore;
  readonly counting: CountingDocker = countingDocker();
  backend?: DockerBackendHandle;
  config!: LoadedConfig;
  progress: string[] = [];
  /** Date.now() of each progress line (benchmarks time the build phase with it). */
  progressAt: number[] = [];
  private gateway?: Gateway;
  private gatewayUrl?: string;

  constructor() {
    this.store = openStateStore({ path: join(this.dir, 'state.db') });
  }

  /** Writes `body` (YAML without `name:`) and loads it; throws with the diagnostics on failure. */
  async load(body: string): Promise<LoadedConfig> {
    writeFileSync(this.file, `name: ${this.stack}\n${body}`);
    const r = await loadConfig(this.file);
    const errors = r.diags.filter((d) => d.severity === 'error');
    if (!r.value || errors.length)
      throw new Error(
        `config did not load: ${errors.map((d) => `${d.code}: ${d.summary} @${d.range?.start.line}`).join('; ')}`,
      );
    this.config = r.value;
    this.backend ??= createDockerBackend('local', this.config.backends.local as DockerBackend, {
      docker: this.counting.docker,
      configDir: this.dir,
      github: this.config.github,
      sensitiveValues: this.config.sensitiveValues,
    });
    return this.config;
  }

  plan(destroy = false, deleteVolumes = false): Promise<PlanStackResult> {
    return planStack({
      config: this.config,
      backends: { local: this.backend! },
      store: this.store,
      destroy,
      deleteVolumes,
    });
  }

  async apply(p: PlanStackResult): Promise<ApplyResult> {
    if (!p.plan) throw new Error(`no plan: ${p.diags.map((d) => `${d.code}: ${d.summary}`).join('; ')}`);
    return applyPlan({
      plan: p.plan,
      backends: { local: this.backend! },
      store: this.store,
      retry: { attempts: 1 },
      actionTimeoutMs: 300_000,
      onProgress: (l) => {
        this.progress.push(l);
        this.progressAt.push(Date.now());
      },
    });
  }

  /** Number of POST /build requests since the client was created. */
  builds(): number {
    return this.counting.requests.filter((r) => r === 'POST /build').length;
  }

  /** An MCP client on a gateway that serves what the state says is running now. */
  async client(): Promise<Client> {
    if (!this.gateway) {
      this.gateway = createGateway({
        port: 0,
        auth: { mode: 'none' },
        logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      this.gatewayUrl = (await this.gateway.start()).url;
    }
    const set = upstreamsFromRecords(this.store.listRuntimes(this.stack), { config: this.config });
    await this.gateway.setUpstreams(set.upstreams);
    await this.gateway.settled(30_000);
    return connectStreamableHttp(`${this.gatewayUrl}/mcp`);
  }

  async close(): Promise<void> {
    await this.gateway?.stop();
    await cleanupStack(this.stack).catch(() => undefined);
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function text(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}

/** A local git repository seeded with the fixture server and Dockerfile, on branch main. */
export class LocalRepo {
  readonly git: SimpleGit;
  constructor(readonly dir: string) {
    cpSync(FIXTURES, dir, { recursive: true });
    this.git = simpleGit({ baseDir: dir });
  }

  async init(): Promise<string> {
    await this.git.init(['--initial-branch=main']);
    await this.git.addConfig('user.email', 'test@example.invalid');
    await this.git.addConfig('user.name', 'test');
    return this.commit({}, 'initial');
  }

  /** Writes the files given and commits; returns the new HEAD. */
  async commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [name, body] of Object.entries(files)) writeFileSync(join(this.dir, name), body);
    await this.git.add('.');
    await this.git.commit(message, ['--allow-empty']);
    return (await this.git.revparse(['HEAD'])).trim();
  }
}

/** Names of cf-clone-* temporary directories (build checkouts) that exist now. */
export function clones(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('cf-clone-'));
}
