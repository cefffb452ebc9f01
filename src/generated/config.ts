/* Generated from schema/ by scripts/gen-types.mjs. Do not edit by hand: run `npm run gen`. */

/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "backend".
 */
export type Backend = DockerBackend | CodeEngineBackend | ProcessBackend;
/**
 * CPU in cores, e.g. "0.5" or 2 (at most 1024).
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "cpu".
 */
export type CpuQuantity = number | string;
/**
 * Memory with a unit. Lowercase k/m/g (and kb/mb/gb) are binary, as Docker reads them: 512m = 512 MiB. Ki/Mi/Gi are binary. Uppercase K/M/G and KB/MB/GB are decimal, as Code Engine and Kubernetes read them: 512M = 512 MB. Other spellings (mi, kB, Mb) are rejected as ambiguous.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "memory".
 */
export type MemoryQuantity = string;
/**
 * A duration: a number of seconds (at most a year), or a string such as 500ms, 30s, 5m, 2h (at most 4 digits of hours, 6 of minutes, 8 of seconds).
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "duration".
 */
export type Duration = number | string;
/**
 * A name: lowercase letters, digits, '-' and '_', starting with a letter.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "identifier".
 */
export type Identifier = string;
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "backendType".
 */
export type BackendType = 'docker' | 'ibm_code_engine' | 'process';
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "source".
 */
export type Source =
  DockerSource | GithubSource | ComposeSource | CommandSource | PackageSource | RemoteSource;
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "transportType".
 */
export type TransportType = 'streamable-http' | 'sse' | 'stdio';
/**
 * A name: lowercase letters, digits, '-' and '_', starting with a letter.
 */
export type Identifier1 = string;
/**
 * A duration: a number of seconds (at most a year), or a string such as 500ms, 30s, 5m, 2h (at most 4 digits of hours, 6 of minutes, 8 of seconds).
 */
export type Duration1 = number | string;
/**
 * A duration: a number of seconds (at most a year), or a string such as 500ms, 30s, 5m, 2h (at most 4 digits of hours, 6 of minutes, 8 of seconds).
 */
export type Duration2 = number | string;
/**
 * A duration: a number of seconds (at most a year), or a string such as 500ms, 30s, 5m, 2h (at most 4 digits of hours, 6 of minutes, 8 of seconds).
 */
export type Duration3 = number | string;
/**
 * A duration: a number of seconds (at most a year), or a string such as 500ms, 30s, 5m, 2h (at most 4 digits of hours, 6 of minutes, 8 of seconds).
 */
export type Duration4 = number | string;
/**
 * A duration: a number of seconds (at most a year), or a string such as 500ms, 30s, 5m, 2h (at most 4 digits of hours, 6 of minutes, 8 of seconds).
 */
export type Duration5 = number | string;
/**
 * A duration: a number of seconds (at most a year), or a string such as 500ms, 30s, 5m, 2h (at most 4 digits of hours, 6 of minutes, 8 of seconds).
 */
export type Duration6 = number | string;
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "sourceType".
 */
export type SourceType = 'docker' | 'github' | 'compose' | 'command' | 'package' | 'remote';
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "approver".
 */
export type Approver =
  | string
  | {
      group: string;
    }
  | {
      user: string;
    };

/**
 * contextforge.yaml: one stack of MCP servers, the backends they run on, the guardrails they run under, and the gateway that serves them.
 */
export interface ContextforgeConfig {
  /**
   * Editor hint; ignored.
   */
  $schema?: string;
  /**
   * Config format version.
   */
  version?: 1;
  /**
   * Stack name: the identity of this config. Everything contextforge creates is marked with it, so two stacks on one host never touch each other's resources.
   */
  name: string;
  description?: string;
  include?: IncludeSettings;
  /**
   * Where servers run, by backend name.
   */
  backends?: {
    [k: string]: Backend;
  };
  /**
   * Guardrail profiles defined inline, by name (in addition to those included from profiles/*.yaml).
   */
  profiles?: {
    [k: string]: GuardrailProfile;
  };
  /**
   * Catalog entries defined inline (in addition to those included from catalog/*.yaml).
   */
  catalog?: CatalogEntry[];
  /**
   * Remote catalogs (MCP registries) whose entries join the catalog after `contextforge catalog sync`, from the cache under .contextforge/catalog-sources/.
   *
   * @maxItems 32
   */
  catalog_sources?: CatalogSource[];
  /**
   * The desired deployments: catalog entry x backend x profile x env x scale.
   */
  runtimes?: Runtime[];
  gateway?: GatewaySettings;
  approval?: ApprovalSettings;
  state?: StateSettings;
  github?: GithubSettings;
  defaults?: Defaults;
  /**
   * This interface was referenced by `ContextforgeConfig`'s JSON-Schema definition
   * via the `patternProperty` "^x-".
   */
  [k: string]: unknown;
}
/**
 * Files loaded next to this config, by glob relative to it.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "include".
 */
export interface IncludeSettings {
  catalog?: string[];
  profiles?: string[];
  /**
   * Load the shipped presets (unrestricted, standard, restricted, airgapped) when no profile of that name is defined here.
   */
  builtin_profiles?: boolean;
  /**
   * Load the built-in catalog: the entries shipped with contextforge (catalog/ of the package) and those of the operator's CONTEXTFORGE_CATALOG_PATH directories, each when no entry of that slug is defined here.
   */
  builtin_catalog?: boolean;
}
/**
 * A Docker engine reached through its API socket.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "dockerBackend".
 */
export interface DockerBackend {
  type: 'docker';
  /**
   * Unix socket path of the engine.
   */
  socket?: string;
  /**
   * tcp://host:port of a remote engine (instead of socket).
   */
  host?: string;
  /**
   * Name of the per-stack network; default: contextforge-<stack>.
   */
  network?: string;
  /**
   * Registries images may come from (e.g. docker.io, ghcr.io, 127.0.0.1:5000). Empty = any registry.
   */
  allowed_registries?: string[];
  /**
   * Allow images that name no registry and exist only on this engine (e.g. built locally).
   */
  allow_local_images?: boolean;
  default_limits?: ResourceLimits;
  /**
   * Host address ports are published on.
   */
  publish_host?: string;
  cleanup_orphans?: boolean;
  package_base_images?: PackageBaseImages;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "limits".
 */
export interface ResourceLimits {
  cpu?: CpuQuantity;
  memory?: MemoryQuantity;
  pids?: number;
}
/**
 * Base images of the images built for package sources (the package is installed at its pinned version on top). node: for npm packages (runs node from its PATH); python: for pypi packages (runs pip and the console script from its PATH).
 */
export interface PackageBaseImages {
  node?: string;
  python?: string;
}
/**
 * An IBM Cloud Code Engine project.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "codeEngineBackend".
 */
export interface CodeEngineBackend {
  type: 'ibm_code_engine';
  region:
    | 'au-syd'
    | 'br-sao'
    | 'ca-tor'
    | 'eu-de'
    | 'eu-es'
    | 'eu-gb'
    | 'in-che'
    | 'jp-osa'
    | 'jp-tok'
    | 'us-east'
    | 'us-south';
  /**
   * Project id (UUID) or project name.
   */
  project_id: string;
  /**
   * IBM Cloud API key; use ${IBM_CLOUD_API_KEY}. Always sensitive.
   */
  api_key: string;
  /**
   * Override of https://api.<region>.codeengine.cloud.ibm.com/v2.
   */
  service_url?: string;
  /**
   * Override of https://iam.cloud.ibm.com.
   */
  iam_url?: string;
  per_deployment_limits?: CodeEngineLimits;
  default_min_scale?: number;
  default_max_scale?: number;
  default_visibility?: 'public' | 'private' | 'project';
  /**
   * Registry secret for private images.
   */
  image_secret?: string;
  build?: CodeEngineBuildSettings;
  observability?: CodeEngineObservability;
}
/**
 * cpu/memory set on every app (Code Engine has no account-level defaults), used exactly as written and taking precedence over the profile's max_cpu/max_memory: must be a valid Code Engine combination. Without it, each app gets the largest valid pair under its profile's max_cpu/max_memory.
 */
export interface CodeEngineLimits {
  cpu?: CpuQuantity;
  memory?: MemoryQuantity;
  ephemeral_storage?: MemoryQuantity;
}
/**
 * Where Code Engine builds push the images they build.
 */
export interface CodeEngineBuildSettings {
  /**
   * e.g. us.icr.io/mcp-images
   */
  output_registry?: string;
  /**
   * Registry secret with push rights.
   */
  output_secret?: string;
  strategy_size?: 'small' | 'medium' | 'large' | 'xlarge' | 'xxlarge';
  timeout?: Duration;
  /**
   * Build runs kept per build; older ones are deleted after each build (a project allows 100).
   */
  keep_runs?: number;
}
export interface CodeEngineObservability {
  cloud_logs_instance_id?: string;
  cloud_monitoring_instance_id?: string;
}
/**
 * Local child processes, for machines without Docker. Enforces almost no guardrails.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "processBackend".
 */
export interface ProcessBackend {
  type: 'process';
  /**
   * Base directory for relative commands; default: the config's directory.
   */
  working_dir?: string;
  restart?: ProcessRestartPolicy;
}
export interface ProcessRestartPolicy {
  max_restarts?: number;
  backoff_initial?: Duration;
  backoff_max?: Duration;
}
/**
 * Security guardrails a runtime runs under. Controls a backend cannot enforce are warnings (errors when strict).
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "guardrailProfile".
 */
export interface GuardrailProfile {
  name?: Identifier;
  description?: string;
  recommended_backends?: BackendType[];
  /**
   * Unenforceable controls are errors, not warnings.
   */
  strict?: boolean;
  network?: NetworkGuardrails;
  filesystem?: FilesystemGuardrails;
  capabilities?: CapabilityGuardrails;
  resources?: ResourceGuardrails;
  /**
   * runtime/default, unconfined, or a path to a JSON seccomp profile.
   */
  seccomp?: string;
  /**
   * AppArmor profile name loaded on the host.
   */
  apparmor?: string;
}
export interface NetworkGuardrails {
  egress_allowed?: boolean;
  ingress_ports?: number[];
  /**
   * Egress allow-list of host names (wildcards like *.example.com; "*" = any).
   */
  allowed_hosts?: string[];
}
export interface FilesystemGuardrails {
  read_only_root?: boolean;
  allowed_mounts?: string[];
}
export interface CapabilityGuardrails {
  drop_all?: boolean;
  add?: string[];
}
/**
 * Ceilings. Docker applies them as limits (the process backend cannot: validate warns); on Code Engine, which runs only the pairs of its table, a runtime without resources or per_deployment_limits gets the largest valid pair under max_cpu/max_memory (a warning says which).
 */
export interface ResourceGuardrails {
  max_cpu?: CpuQuantity;
  max_memory?: MemoryQuantity;
  max_pids?: number;
}
/**
 * An MCP server and how to get it.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "catalogEntry".
 */
export interface CatalogEntry {
  name: string;
  slug: Identifier;
  description?: string;
  icon?: string;
  category?: string;
  tags?: string[];
  supported_backends?: BackendType[];
  source: Source;
  transport?: Transport;
  guardrails_profile?: Identifier;
  requires_approval?: boolean;
  documentation_url?: string;
  version?: string;
  featured?: boolean;
  deprecated?: boolean;
  /**
   * Environment variables the server takes, by name.
   */
  env?: {
    [k: string]: EnvVarSpec;
  };
  health?: HealthCheck;
  registry?: RegistryProvenance;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "dockerSource".
 */
export interface DockerSource {
  type: 'docker';
  /**
   * Image reference, e.g. docker.io/mcp/filesystem:1.2.0.
   */
  image: string;
  command?: string[];
  args?: string[];
  pull?: 'missing' | 'always' | 'never';
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "githubSource".
 */
export interface GithubSource {
  type: 'github';
  /**
   * owner/name on the GitHub host, a full git URL, or a local path.
   */
  repo: string;
  branch?: string;
  tag?: string;
  commit?: string;
  dockerfile?: string;
  /**
   * Build context directory inside the repository.
   */
  context?: string;
  build_args?: {
    [k: string]: string;
  };
  args?: string[];
  push_to_registry?: boolean;
  /**
   * Registry/namespace to push to, e.g. 127.0.0.1:5000/mcp.
   */
  registry?: string;
  build_timeout?: Duration;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "composeSource".
 */
export interface ComposeSource {
  type: 'compose';
  /**
   * Inline compose YAML, or a path relative to the file that declares it.
   */
  compose_file: string;
  /**
   * The service that is the MCP endpoint.
   */
  main_service: string;
}
/**
 * A local command that speaks MCP over stdio (process backend).
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "commandSource".
 */
export interface CommandSource {
  type: 'command';
  command: string;
  args?: string[];
  cwd?: string;
}
/**
 * A server published as a package, pinned to one exact version: run with `npx -y name@version` / `uvx name==version` on the process backend (installed once before the first start), or in an image built from docker.package_base_images on Docker.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "packageSource".
 */
export interface PackageSource {
  type: 'package';
  /**
   * Where the package is published: npm (registry.npmjs.org) or pypi.
   */
  registry: 'npm' | 'pypi';
  /**
   * Package name, e.g. @modelcontextprotocol/server-memory or mcp-server-fetch.
   */
  name: string;
  /**
   * The exact version, no ranges or tags such as latest (npm: semver such as 2025.11.25; pypi: PEP 440 such as 2025.4.7): it is what the lock pins and what runs.
   */
  version: string;
  /**
   * The executable of the package to run when it has several (default: its only one, or the one named like the package).
   */
  bin?: string;
  /**
   * Arguments after the executable.
   */
  args?: string[];
}
/**
 * An MCP server already hosted elsewhere: nothing is started; the gateway connects to the URL (transport streamable-http or sse of the entry) and federates it like the rest.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "remoteSource".
 */
export interface RemoteSource {
  type: 'remote';
  /**
   * The MCP endpoint, e.g. https://mcp.example.com/mcp.
   */
  url: string;
  /**
   * HTTP headers sent with every request. {NAME} in a value is replaced by the runtime's value of the entry's env variable NAME (declare it under env, secret: true for tokens); a header holding a secret value is sensitive.
   */
  headers?: {
    [k: string]: string;
  };
}
/**
 * How the server speaks MCP.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "transport".
 */
export interface Transport {
  type: TransportType;
  /**
   * Container port for HTTP transports.
   */
  port?: number;
  /**
   * HTTP path of the MCP endpoint (default /mcp; /sse for sse).
   */
  path?: string;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "envVarSpec".
 */
export interface EnvVarSpec {
  description?: string;
  required?: boolean;
  /**
   * The value is sensitive: never printed, stored or passed in clear where the backend has secrets.
   */
  secret?: boolean;
  default?: string;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "health".
 */
export interface HealthCheck {
  type?: 'mcp' | 'http' | 'tcp' | 'docker' | 'none';
  path?: string;
  timeout?: Duration;
}
/**
 * Where an imported entry came from; set by `catalog sync`, not written by hand.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "registryProvenance".
 */
export interface RegistryProvenance {
  source: Identifier1;
  format?: 'mcp-registry' | 'toolhive';
  /**
   * The entry's name in the registry, e.g. io.github.modelcontextprotocol/server-memory.
   */
  name: string;
  version?: string;
  status?: string;
  /**
   * sha256 of the entry's canonical JSON as the registry served it.
   */
  hash: string;
  /**
   * The registry's _meta of the entry, kept as served.
   */
  meta?: {};
}
/**
 * One remote catalog: the official MCP Registry API (format mcp-registry, GET <url>/v0/servers, paginated) or a ToolHive registry JSON (format toolhive), read from url or from a file below the config's directory (exactly one of the two).
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "catalogSource".
 */
export interface CatalogSource {
  name: Identifier;
  /**
   * Base URL of the registry (http or https only). mcp-registry: the API root, /v0/servers is appended; toolhive: the registry JSON itself.
   */
  url?: string;
  /**
   * A registry document below the config's directory (mcp-registry: a /v0/servers answer; toolhive: its registry JSON).
   */
  file?: string;
  format: 'mcp-registry' | 'toolhive';
  filter?: CatalogSourceFilter;
  sync_interval?: Duration1;
  /**
   * Pin every imported entry (version and content hash) in contextforge.lock, so that a registry change shows in plan until the lock is refreshed.
   */
  pin?: boolean;
  /**
   * mcp-registry: entries asked for per page (limit).
   */
  page_size?: number;
  timeout?: Duration2;
  /**
   * Entries read at most; a registry with more is cut off with a warning.
   */
  max_entries?: number;
}
/**
 * Which entries of a remote catalog to import; every given list must match (an entry matches a list when it matches one item).
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "catalogSourceFilter".
 */
export interface CatalogSourceFilter {
  /**
   * Globs on the registry name (* within a segment, ** across '/'), e.g. io.github.modelcontextprotocol/*.
   */
  names?: string[];
  categories?: string[];
  tags?: string[];
  /**
   * Registry status of the entry (active, deprecated, deleted); default: active only.
   */
  status?: string[];
}
/**
 * One desired deployment of a catalog entry on a backend.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "runtime".
 */
export interface Runtime {
  name: Identifier;
  /**
   * Slug of the catalog entry.
   */
  catalog: string;
  /**
   * Name of a backend in `backends`.
   */
  backend: string;
  /**
   * Profile name; default: the catalog entry's, then defaults.guardrails_profile.
   */
  guardrails_profile?: string;
  enabled?: boolean;
  /**
   * Environment values; the catalog entry's env spec says which are secret.
   */
  env?: {
    [k: string]: string | number | boolean;
  };
  /**
   * Sensitive environment values: never printed, stored or passed in clear.
   */
  secrets?: {
    [k: string]: string;
  };
  scale?: ScaleSettings;
  resources?: ResourceLimits;
  /**
   * Docker: fixed host port to publish the MCP port on (default: one Docker picks).
   */
  host_port?: number;
  /**
   * Code Engine endpoint visibility.
   */
  visibility?: 'public' | 'private' | 'project';
  depends_on?: string[];
  call_timeout?: Duration;
  /**
   * Gateway: concurrent calls to this runtime; more wait in a queue.
   */
  max_concurrency?: number;
  restart?: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  labels?: {
    [k: string]: string;
  };
}
export interface ScaleSettings {
  min?: number;
  max?: number;
  concurrency?: number;
  request_timeout?: Duration;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "gateway".
 */
export interface GatewaySettings {
  enabled?: boolean;
  /**
   * Serve the operator console (HTTP API under /api/v1, web UI under /ui) on the gateway's listener, behind the same auth. Default true.
   */
  console?: boolean;
  host?: string;
  port?: number;
  /**
   * "none" (explicit, prints a warning) or token settings. Default: bearer token from CONTEXTFORGE_GATEWAY_TOKEN, else one generated into .contextforge/gateway.token.
   */
  auth?: 'none' | GatewayAuth;
  separator?: string;
  call_timeout?: Duration;
  max_concurrency?: number;
  /**
   * What the gateway does with a tool, prompt or resource whose definition differs from contextforge.lock (or is not in it), for runtimes the lock pins. enforce (the default when a lock exists): not listed and not callable. warn: listed and flagged (event, metric, status line). off: the lock is not consulted.
   */
  tool_lock?: 'enforce' | 'warn' | 'off';
  /**
   * Browser origins (scheme://host[:port]) that may use the gateway. A request with any other Origin header gets 403 on every endpoint; requests without Origin (non-browser clients) pass. The gateway's own origin on a loopback name and its port is always allowed.
   */
  allowed_origins?: string[];
  /**
   * Host names (without port) accepted in the Host header besides loopback names, the listen host and, on a 0.0.0.0 or :: listener, IP addresses. Other Host names get 403 (DNS-rebinding guard); add the names clients use to reach a non-loopback gateway.
   */
  allowed_hosts?: string[];
  /**
   * Who may read /metrics: auth (the gateway's bearer token or JWT) or public. /healthz is always open; /readyz without auth says only whether the gateway is ready.
   */
  metrics?: 'auth' | 'public';
  /**
   * Downstream MCP sessions open at once; more are refused with 503 until one closes.
   */
  max_sessions?: number;
  /**
   * Downstream MCP sessions open at once per credential (static token, or JWT subject); more are refused with 429 until one closes.
   */
  max_sessions_per_principal?: number;
  session_idle_timeout?: Duration3;
  headers_timeout?: Duration4;
  request_timeout?: Duration5;
  body_timeout?: Duration6;
  /**
   * Virtual servers: sets of tools/prompts/resources across runtimes, by glob over federated names.
   */
  servers?: VirtualServer[];
  deploy?: GatewayDeploy;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "gatewayAuth".
 */
export interface GatewayAuth {
  /**
   * Accepted bearer tokens (use ${VAR}).
   */
  tokens?: string[];
  /**
   * File with one accepted token per line.
   */
  tokens_file?: string;
  /**
   * HS256 secret for JWT bearer tokens (use ${VAR}).
   */
  jwt_secret?: string;
  jwt_secret_file?: string;
  /**
   * Accept JWTs without an exp claim (they never expire). Default false: such a JWT is refused.
   */
  allow_no_exp?: boolean;
  /**
   * Named principals for the operator console (/api/v1, /ui). Each has a token file or JWT claims that identify it, and roles: viewer reads, approver also decides approval requests whose rules name it (or one of its JWT groups), admin may do everything. Tokens of gateway.auth.tokens and the default token act as admin (host trust); a JWT that matches no user is a viewer.
   *
   * @maxItems 1000
   */
  users?: GatewayUser[];
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "gatewayUser".
 */
export interface GatewayUser {
  /**
   * The principal's name, as approval rules and the audit log show it.
   */
  name: string;
  /**
   * File holding this user's bearer token (one per line; # comments). The token is never printed. A user needs token_file, jwt, or both.
   */
  token_file?: string;
  /**
   * JWT claims that identify this user: a token whose sub equals sub, or whose groups claim holds one of groups.
   */
  jwt?: {
    sub?: string;
    /**
     * @minItems 1
     * @maxItems 100
     */
    groups?: [string, ...string[]];
  };
  /**
   * @minItems 1
   */
  roles: ['viewer' | 'approver' | 'admin', ...('viewer' | 'approver' | 'admin')[]];
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "virtualServer".
 */
export interface VirtualServer {
  name: Identifier;
  description?: string;
  /**
   * Include everything of these runtimes.
   */
  runtimes?: string[];
  tools?: string[];
  prompts?: string[];
  resources?: string[];
}
/**
 * Also run the gateway as an app of a Code Engine project: the protection of that project's MCP servers, which run at visibility project (reached over Code Engine's internal DNS) while only the gateway app, which requires the token, is public. Planned and applied as the resource gateway.deploy.
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "gatewayDeploy".
 */
export interface GatewayDeploy {
  /**
   * An ibm_code_engine backend of this config: the gateway app runs in its project.
   */
  backend: string;
  /**
   * The gateway image, built from this package by scripts/code-engine-gateway-image.mjs and pushed where Code Engine can pull it (pin it by digest).
   */
  image: string;
  /**
   * The bearer token clients must send to the gateway app (use ${VAR}); held in a Code Engine secret, never in the app's env. Default: the first of gateway.auth.tokens.
   */
  token?: string;
  /**
   * The runtimes the gateway app serves: runtimes of the same backend with an HTTP transport. Default: every such runtime.
   *
   * @maxItems 1000
   */
  runtimes?: string[];
  /**
   * cpu/memory of the gateway app (a valid Code Engine pair). Default 0.25 / 1G.
   */
  resources?: {
    cpu?: CpuQuantity;
    memory?: MemoryQuantity;
  };
  /**
   * Instances kept running (default 1: no cold start on the first call).
   */
  min_scale?: number;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "approval".
 */
export interface ApprovalSettings {
  enabled?: boolean;
  required_for?: ApprovalRule[];
  approvers?: Approver[];
  timeout_hours?: number;
  notification?: ApprovalNotification;
}
/**
 * A change matching every key of a rule needs approval by the rule's approvers (default: approval.approvers).
 *
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "approvalRule".
 */
export interface ApprovalRule {
  source_type?: SourceType;
  registry_not_in?: string[];
  guardrails_profile?: string;
  backend_type?: BackendType;
  /**
   * true: a change that alters the tool surface pinned in contextforge.lock (a tool, prompt or resource added, removed or redefined) needs approval.
   */
  tool_surface_changed?: true;
  approvers?: Approver[];
}
export interface ApprovalNotification {
  webhook_url?: string;
  email_enabled?: boolean;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "state".
 */
export interface StateSettings {
  /**
   * sqlite: a file beside the config (one host). postgres: a shared PostgreSQL database, so that CI jobs and watch hosts share history, approvals and the lock.
   */
  backend?: 'sqlite' | 'postgres';
  /**
   * SQLite file, relative to the config.
   */
  path?: string;
  /**
   * PostgreSQL connection URL for backend: postgres, e.g. ${DATABASE_URL}. Sensitive (it may carry a password).
   */
  url?: string;
  lock_timeout?: Duration;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "githubSettings".
 */
export interface GithubSettings {
  /**
   * Git host for owner/name repos (default https://github.com); may be a local path or file:// URL.
   */
  base_url?: string;
  /**
   * HTTPS token (use ${GITHUB_TOKEN}). Sensitive.
   */
  token?: string;
  ssh_key_file?: string;
}
/**
 * This interface was referenced by `ContextforgeConfig`'s JSON-Schema
 * via the `definition` "defaults".
 */
export interface Defaults {
  guardrails_profile?: string;
  backend?: string;
}
