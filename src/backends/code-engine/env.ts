// What one Code Engine backend's steps work with: its name, config and options, the typed client,
// and the state one backend keeps between calls (the project id, the quota gate, the secret data
// it wrote). backend.ts builds one and assembles the Backend interface from the steps
// (observe-stack.ts, upsert.ts, remove.ts), which take it explicitly and keep no state of their own.

import type { CodeEngineBackend, GithubSettings } from '../../generated/config.js';
import { CodeEngineClient } from './client.js';
import { ProjectRef } from './project-ref.js';
import { QuotaGate } from './quota-gate.js';
import { SecretDataCache } from './secret-data.js';

export interface CodeEngineBackendOptions {
  /** The stack this backend serves (names in validate); observe/apply take it from their calls. */
  stack?: string;
  /** Directory relative repo paths resolve against. */
  configDir?: string;
  /** The config's `github:` settings (base_url for owner/name repos, credentials). */
  github?: GithubSettings;
  /** Values scrubbed from every diagnostic (api key, secret env values). */
  sensitiveValues?: ReadonlySet<string>;
  /** A client to use instead of one built from the config (tests count calls through it). */
  client?: CodeEngineClient;
  /** Poll interval while waiting for apps and build runs (default 1000 ms). */
  pollMs?: number;
  /** Upper bound of the wait for an app to become ready (default 4 min). */
  readyTimeoutMs?: number;
  /** Upper bound of the wait for a deleted app to be gone (default 2 min). */
  deleteTimeoutMs?: number;
  /** Client retry tuning (default: the client's). */
  retryBaseMs?: number;
  maxRetries?: number;
  onRequest?: (method: string, path: string, status: number) => void;
}

export interface CodeEngineEnv {
  /** The backend's name in the config. */
  readonly name: string;
  readonly config: CodeEngineBackend;
  readonly client: CodeEngineClient;
  /** Directory relative repo paths resolve against. */
  readonly configDir: string;
  readonly github?: GithubSettings;
  /** Values scrubbed from every diagnostic besides the api key and a runtime's secret values. */
  readonly sensitiveValues?: ReadonlySet<string>;
  readonly pollMs: number;
  readonly readyTimeoutMs: number;
  readonly deleteTimeoutMs: number;
  readonly projectRef: ProjectRef;
  readonly quota: QuotaGate;
  readonly secretData: SecretDataCache;
}

/** One backend's environment, with the defaults of CodeEngineBackendOptions filled in. */
export function createEnv(name: string, config: CodeEngineBackend, opts: CodeEngineBackendOptions): CodeEngineEnv {
  const client =
    opts.client ??
    new CodeEngineClient({
      apiKey: config.api_key,
      region: config.region,
      serviceUrl: config.service_url,
      iamUrl: config.iam_url,
      retryBaseMs: opts.retryBaseMs,
      maxRetries: opts.maxRetries,
      onRequest: opts.onRequest,
    });
  return {
    name,
    config,
    client,
    configDir: opts.configDir ?? process.cwd(),
    github: opts.github,
    sensitiveValues: opts.sensitiveValues,
    pollMs: opts.pollMs ?? 1000,
    readyTimeoutMs: opts.readyTimeoutMs ?? 240_000,
    deleteTimeoutMs: opts.deleteTimeoutMs ?? 120_000,
    projectRef: new ProjectRef(name, config, client),
    quota: new QuotaGate(),
    secretData: new SecretDataCache(),
  };
}
