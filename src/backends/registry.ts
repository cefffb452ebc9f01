// Backend factory: turns one `backends:` entry of the config into a Backend instance. A map of
// backend type → lazy loader, so that a process-only stack never loads dockerode. Each backend
// module (src/backends/<dir>/index.ts) exports `createBackend: BackendFactory`.

import type { Diagnostic, Result } from '../diag/diagnostic.js';
import type { Backend as BackendConfig, BackendType, GithubSettings } from '../generated/config.js';
import type { Backend } from './backend.js';
import { withRemoteSources } from './remote.js';

export interface BackendFactoryContext {
  stack: string;
  /** Absolute directory of the config (relative paths resolve here). */
  configDir: string;
  /** Values a backend must never print, log or store (secrets, api keys). */
  sensitiveValues: ReadonlySet<string>;
  /** The config's `github:` settings (base_url for owner/name repos), for backends that build. */
  github?: GithubSettings;
}

export type BackendFactory = (
  name: string,
  config: BackendConfig,
  ctx: BackendFactoryContext,
) => Backend | Promise<Backend>;

/** Where each backend kind lives, relative to this module; loaded on first use only. */
const MODULES: Record<BackendType, string> = {
  docker: './docker/index.js',
  ibm_code_engine: './code-engine/index.js',
  process: './process/index.js',
};

const overrides = new Map<BackendType, BackendFactory>();

/**
 * Replaces the factory of a backend type in this process. For engine unit tests that use a
 * clearly named fake backend, and for embedding; production code never calls it.
 */
export function registerBackend(type: BackendType, factory: BackendFactory): () => void {
  const previous = overrides.get(type);
  overrides.set(type, factory);
  return () => {
    if (previous) overrides.set(type, previous);
    else overrides.delete(type);
  };
}

async function loadFactory(type: BackendType): Promise<BackendFactory | undefined> {
  const override = overrides.get(type);
  if (override) return override;
  const path = MODULES[type];
  if (!path) return undefined;
  try {
    const mod = (await import(new URL(path, import.meta.url).href)) as {
      createBackend?: BackendFactory;
      default?: BackendFactory;
    };
    return mod.createBackend ?? mod.default;
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String((err as Error).message).includes(path.slice(2, -3))
    )
      return undefined;
    throw err;
  }
}

/** One Backend per configured backend name, or diagnostics naming what could not be built. */
export async function createBackends(
  configs: Readonly<Record<string, BackendConfig>>,
  ctx: BackendFactoryContext,
  only?: ReadonlySet<string>,
): Promise<Result<Record<string, Backend>>> {
  const diags: Diagnostic[] = [];
  const out: Record<string, Backend> = {};
  for (const [name, cfg] of Object.entries(configs)) {
    if (only && !only.has(name)) continue;
    const factory = await loadFactory(cfg.type);
    if (!factory) {
      diags.push({
        severity: 'error',
        code: 'backend.unavailable',
        summary: `backend ${name} has type ${cfg.type}, which this build of contextforge does not include`,
        detail: 'Upgrade contextforge, or move the runtimes of this backend to a supported one.',
      });
      continue;
    }
    // Remote sources start nothing: every backend records them the same way (remote.ts).
    out[name] = withRemoteSources(await factory(name, cfg, ctx), { name, configDir: ctx.configDir });
  }
  return { value: out, diags };
}

/** Closes every backend that holds connections. */
export async function closeBackends(backends: Readonly<Record<string, Backend>>): Promise<void> {
  await Promise.all(Object.values(backends).map((b) => b.close?.().catch(() => undefined)));
}
