// The validated, fully resolved configuration handed to the compiler (plan/desired.ts).
// Types of user-facing shapes come from src/generated/config.ts (generated from the JSON Schema);
// this module only adds what resolution produces: origins, merged includes, sensitive values.

import type {
  ApprovalSettings,
  Backend,
  CatalogEntry,
  ContextforgeConfig,
  GatewaySettings,
  GithubSettings,
  GuardrailProfile,
  Runtime,
  StateSettings,
} from '../generated/config.js';
import type { SourceRange } from '../diag/diagnostic.js';

/** Where a named thing was declared, for diagnostics. */
export interface Origin {
  file: string;
  range?: SourceRange;
}

export interface ResolvedProfile extends GuardrailProfile {
  name: string;
  origin: Origin;
  /** True for the presets shipped in profiles/ of the contextforge package. */
  builtin: boolean;
}

export interface ResolvedCatalogEntry extends CatalogEntry {
  origin: Origin;
  /** Directory of the file that declared the entry (relative paths in sources resolve here). */
  baseDir: string;
}

export interface ResolvedRuntime extends Runtime {
  origin: Origin;
}

/** Maps a JSON pointer (e.g. `/runtimes/2/env/TOKEN`) to the source range it came from. */
export type SourceMap = Map<string, SourceRange>;

export interface LoadedConfig {
  /** Absolute path of contextforge.yaml. */
  path: string;
  /** Absolute directory of the config; relative paths resolve against it. */
  dir: string;
  /** The stack name (`name:`). */
  stack: string;
  /** The interpolated document as validated (without included files merged in). */
  document: ContextforgeConfig;
  backends: Record<string, Backend>;
  profiles: Record<string, ResolvedProfile>;
  catalog: Record<string, ResolvedCatalogEntry>;
  runtimes: ResolvedRuntime[];
  gateway: GatewaySettings;
  approval?: ApprovalSettings;
  state: StateSettings;
  github?: GithubSettings;
  /** Default guardrails profile name for runtimes and entries that name none. */
  defaultProfile: string;
  /** Every file that contributed (config, includes, .env, compose files): what `watch` watches. */
  files: string[];
  /** Source positions of every node of every loaded file, keyed by `<file>#<pointer>`. */
  sourceMap: SourceMap;
  /**
   * Every value that is sensitive (secrets, api keys, tokens, interpolated values flowing into
   * them). Renderers and loggers redact these; they are never written to state.
   */
  sensitiveValues: Set<string>;
  /** sha256 of the effective configuration, secrets included only as digests. */
  fingerprint: string;
  /**
   * Backends `plan` must not observe because their credentials are not set (a pull-request job
   * without cloud credentials): backend name -> the unset variable. Only with optionalCredentials.
   */
  unobserved?: Record<string, string>;
}
