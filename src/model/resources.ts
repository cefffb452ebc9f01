// The resource model: desired resources (compiled from config), observed resources (read from a
// backend), and the changes between them. Pure data; renderers and the apply engine consume it.
// Nothing here may hold a secret value except DesiredResource.secretEnv, which renderers,
// state and logs must never read.

import type { BackendType, TransportType } from '../generated/config.js';
import type { Diagnostic, SourceRange } from '../diag/diagnostic.js';
import type { ArtifactPin, SurfaceDiff } from './tool-surface.js';

export type ActionKind = 'create' | 'update' | 'replace' | 'delete' | 'noop';

/** `<action>:<why>`, e.g. `replace:image-changed`, `create:drift-missing`, `delete:not-in-config`. */
export type Reason = `${ActionKind}:${string}`;

/** The guardrails a runtime runs under after profile + backend defaults are merged. */
export interface EffectiveGuardrails {
  profile: string;
  egressAllowed: boolean;
  allowedHosts: string[];
  ingressPorts: number[];
  readOnlyRoot: boolean;
  allowedMounts: string[];
  dropAll: boolean;
  capAdd: string[];
  /** Cores, e.g. 0.5. */
  maxCpu?: number;
  /** Bytes. */
  maxMemory?: number;
  maxPids?: number;
  seccomp?: string;
  /**
   * Digest of the seccomp profile's content when `seccomp` names a file, filled at plan time by
   * the source resolver, so that editing the file moves the spec hash (and the plan replaces).
   */
  seccompDigest?: string;
  apparmor?: string;
  strict: boolean;
}

export type NormalizedSource =
  | { type: 'docker'; image: string; command?: string[]; args?: string[]; pull: 'missing' | 'always' | 'never' }
  | {
      type: 'github';
      repo: string;
      /** Resolved at plan time by the source resolver; undefined until resolved. */
      commit?: string;
      ref: string;
      dockerfile: string;
      context: string;
      buildArgs: Record<string, string>;
      args?: string[];
      pushToRegistry: boolean;
      registry?: string;
      /** `build_timeout` in seconds, when set. */
      buildTimeoutSeconds?: number;
    }
  | {
      type: 'compose';
      composeFile: string;
      inline: boolean;
      mainService: string;
      baseDir: string;
      /** The compose file's text, read at plan time by the source resolver (path sources). */
      content?: string;
      /** Content digest of each service's build context, by service (sources/build-context.ts). */
      buildDigests?: Record<string, string>;
    }
  | { type: 'command'; command: string; args: string[]; cwd?: string }
  | {
      type: 'package';
      registry: 'npm' | 'pypi';
      name: string;
      /** The exact version: what the lock pins and what runs. */
      version: string;
      /** The executable of the package, when it has several. */
      bin?: string;
      args: string[];
      /** Docker only: the image the package is installed on (docker.package_base_images). */
      baseImage?: string;
    }
  | {
      type: 'remote';
      url: string;
      /** Header templates: `{NAME}` stands for the runtime's value of env variable NAME (never the value). */
      headers: Record<string, string>;
    };

/**
 * The address of the gateway run as a Code Engine app (`gateway.deploy` in the config). Every
 * other address of a plan is a runtime's (`runtime.<name>`).
 */
export const GATEWAY_DEPLOY_ADDRESS = 'gateway.deploy';

/**
 * Whether a delete removes the runtime's data volumes: only when the plan says so (`destroy
 * --delete-volumes`) and the delete is not one a watching host runs, which keeps them regardless.
 */
export function deletesVolumes(change: Pick<Change, 'deleteVolumes' | 'keepVolumes'>): boolean {
  return change.deleteVolumes === true && change.keepVolumes !== true;
}

/** A runtime's address, as opposed to the deployed gateway's: only runtimes are served, locked, discovered. */
export function isRuntimeAddress(address: string): boolean {
  return address.startsWith('runtime.');
}

/** One runtime the deployed gateway serves: the gateway reaches it over its project's internal DNS. */
export interface GatewayUpstreamSpec {
  runtime: string;
  transport: 'streamable-http' | 'sse';
  /** The MCP path on the runtime's port, e.g. `/mcp`. */
  path: string;
}

export interface TransportSpec {
  type: TransportType;
  port?: number;
  path?: string;
}

/** Normalized, backend-agnostic spec of one runtime. Contains no secret values. */
export interface RuntimeSpec {
  catalog: string;
  source: NormalizedSource;
  transport: TransportSpec;
  /** Plain environment values. */
  env: Record<string, string>;
  /** Secret environment variable name → digest of its value (never the value). */
  secretDigests: Record<string, string>;
  guardrails: EffectiveGuardrails;
  scale?: { min?: number; max?: number; concurrency?: number; requestTimeoutSeconds?: number };
  visibility?: 'public' | 'private' | 'project';
  hostPort?: number;
  restart: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  labels: Record<string, string>;
  /** Only at GATEWAY_DEPLOY_ADDRESS: the runtimes the deployed gateway serves, by runtime name. */
  gatewayUpstreams?: GatewayUpstreamSpec[];
}

export interface ApprovalRequirement {
  /** Human-readable reasons, e.g. `source_type is github`. */
  reasons: string[];
  /** Approvers any one of which satisfies each rule (one inner list per matched rule). */
  approvers: string[][];
}

export interface DesiredResource {
  /** `runtime.<name>`. */
  address: string;
  runtime: string;
  /** Backend name (key in `backends`). */
  backend: string;
  backendType: BackendType;
  spec: RuntimeSpec;
  /** Secret env values by name. NEVER render, log or store these. */
  secretEnv: Record<string, string>;
  /** sha256 over the canonical spec (secret digests included, values not). */
  specHash: string;
  /** Addresses this resource depends on. */
  dependsOn: string[];
  range?: SourceRange;
  /** Guardrail and compatibility warnings from compilation. */
  diagnostics: Diagnostic[];
  approval?: ApprovalRequirement;
  /**
   * Keys of spec.guardrails whose value is just what the profile says (nothing in the runtime or
   * backend changed it); a created runtime's plan names the profile instead of listing them.
   */
  fromProfile?: string[];
  /**
   * How long the start may take until the server answers (the catalog entry's `health.timeout`),
   * a cold package install included. Outside the spec hash: a longer wait replaces nothing.
   */
  healthTimeoutMs?: number;
}

export type ObservedStatus = 'running' | 'starting' | 'stopped' | 'exited' | 'failed' | 'missing' | 'unknown';

export interface Endpoint {
  transport: TransportType;
  /** For HTTP transports: a URL the gateway can reach (loopback for Docker). */
  url?: string;
  /** For stdio transports: how to attach. */
  attach?:
    | { kind: 'docker'; containerId: string }
    /** direct: the supervisor can leave the data path (backends/process/supervisor.ts). */
    | { kind: 'process'; socketPath: string; direct?: boolean };
}

export interface ObservedResource {
  address: string;
  runtime: string;
  backend: string;
  /** The spec hash recorded when we created it (label / state), if any. */
  specHash?: string;
  /** The live values of the fields we manage, as read back from the backend (for drift). */
  live: Partial<RuntimeSpec> & Record<string, unknown>;
  status: ObservedStatus;
  endpoint?: Endpoint;
  restarts?: number;
  startedAt?: string;
  /** Backend-specific handle: container ids, app entity tag, … Never contains secrets. */
  native?: Record<string, unknown>;
  /**
   * The data volumes the runtime owns (Docker volumes made from `allowed_mounts`). A delete
   * keeps them unless the plan says otherwise (Change.deleteVolumes), as `docker compose down`.
   */
  volumes?: string[];
  /** Nothing of the runtime is left but its kept data volumes (after a destroy or a removal). */
  volumesOnly?: boolean;
  /**
   * Not observed: what the state recorded of the last apply, standing in for a backend the plan
   * could not contact (no credentials). `live` is then the applied spec, not backend values.
   */
  recorded?: boolean;
}

export interface FieldChange {
  /** Dotted path, e.g. `env.LOG_LEVEL`, `image`, `guardrails.maxMemory`. */
  path: string;
  before?: unknown;
  after?: unknown;
  /** Render as `(sensitive)`. */
  sensitive?: boolean;
  /** This field alone forces a replace. */
  forcesReplace?: boolean;
}

export interface Change {
  address: string;
  action: ActionKind;
  /** The most significant cause; `reasons` lists every cause when there are several. */
  reason: Reason;
  /** Every cause, most significant first (reason is the first), when more than one applies. */
  reasons?: Reason[];
  backend: string;
  backendType: BackendType;
  fields: FieldChange[];
  desired?: DesiredResource;
  observed?: ObservedResource;
  /** Addresses that must be applied before this one (creates) or after (deletes). */
  dependsOn: string[];
  diagnostics: Diagnostic[];
  approval?: ApprovalRequirement;
  /** Extra steps shown in the plan, e.g. `build` for a github source whose commit moved. */
  steps?: string[];
  /**
   * Set by the diff when the approval requirement is not yet met by a recorded approval; the
   * apply engine holds such changes unless `approvedBy` satisfies them.
   */
  needsApproval?: boolean;
  /**
   * A delete that must leave the runtime's data volumes in place (set on every delete a
   * watching host runs: a file that shrank by mistake must never cost data).
   */
  keepVolumes?: boolean;
  /** A delete that removes the runtime's data volumes too (`destroy --delete-volumes`). */
  deleteVolumes?: boolean;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  noop: number;
}

export interface Plan {
  formatVersion: 1;
  stack: string;
  createdAt: string;
  /** sha256 of the effective config. */
  configFingerprint: string;
  /** sha256 of the observed state the plan was computed against. */
  liveFingerprint: string;
  changes: Change[];
  diagnostics: Diagnostic[];
  summary: PlanSummary;
  /**
   * Addresses recorded in state whose resource is gone and no longer configured: apply drops
   * them from state without calling any backend.
   */
  forget?: string[];
  /**
   * Resources the backend runs as configured whose state record is out of date (e.g. a state
   * write failed): apply rewrites the record from what the backend reports, nothing else.
   */
  refresh?: Array<{ address: string; why: string }>;
  /** `--target` addresses the plan was restricted to (with their dependencies), if any. */
  targets?: string[];
  /** Tool-surface discovery for runtimes whose artifact differs from contextforge.lock. */
  surfaces?: SurfaceReport[];
  /** Entries of catalog sources that differ from the pins of contextforge.lock (issue 16). */
  catalog?: CatalogPinChange[];
}

/** A synced catalog entry against its pin in the lock: what a registry changed. */
export interface CatalogPinChange {
  slug: string;
  change: 'added' | 'removed' | 'changed';
  source: string;
  /** The entry's name in its registry. */
  name: string;
  before?: { version?: string; hash: string };
  after?: { version?: string; hash: string };
}

/** What a runtime's new artifact shows the model, against what the lock pins. */
export interface SurfaceReport {
  address: string;
  runtime: string;
  artifact: ArtifactPin;
  lockedArtifact?: ArtifactPin;
  /** The lock held a surface for the runtime: the diff is against it (else all is new). */
  pinned: boolean;
  diff?: SurfaceDiff;
  /** Why no surface was discovered. */
  note?: string;
}
