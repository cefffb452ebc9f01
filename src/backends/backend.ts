// The backend seam: everything that touches a runtime platform (Docker, Code Engine, local
// processes) sits behind this one small interface. Backends must not read config files or the
// state store; they receive compiled desired resources and report observed ones.

import type { BackendType } from '../generated/config.js';
import type { Diagnostic, Result } from '../diag/diagnostic.js';
import type { Change, DesiredResource, ObservedResource } from '../plan/types.js';

/** What a backend can enforce or do (the seed's BackendCapabilities, snake_case kept). */
export interface BackendCapabilities {
  supports_compose: boolean;
  supports_readonly_fs: boolean;
  supports_custom_capabilities: boolean;
  supports_capability_add: boolean;
  supports_build_cache: boolean;
  supports_egress_control: boolean;
  supports_egress_host_filtering: boolean;
  supports_pid_limits: boolean;
  supports_mounts: boolean;
  supports_seccomp: boolean;
  supports_apparmor: boolean;
  supports_resource_limits: boolean;
  supports_github_build: boolean;
  supports_stdio_attach: boolean;
  supports_logs: boolean;
  network_isolation_level: 'container' | 'project' | 'none';
  observability_type: 'native' | 'ibm_cloud';
  /** 0 = unlimited. */
  max_cpu: number;
  max_memory_gb: number;
  max_timeout_seconds: number;
}

export interface BackendDescription {
  name: string;
  kind: BackendType;
  capabilities: BackendCapabilities;
}

export type ApplyStatus = 'created' | 'updated' | 'deleted' | 'unchanged' | 'failed';

export interface ApplyOutcome {
  status: ApplyStatus;
  /** The resource as it is now (absent after a delete). */
  observed?: ObservedResource;
  /** True when a failure is transient and the engine may retry the change. */
  retryable?: boolean;
  diags: Diagnostic[];
}

export interface ApplyContext {
  stack: string;
  signal: AbortSignal;
  /** Progress lines for the terminal ("pulling image …", "waiting for health …"). */
  progress(message: string): void;
  /**
   * Tells the engine the action now only waits for readiness (nothing more to ask of the
   * backend's API), so it stops counting against --parallelism and the next action may start.
   * Optional both ways: engines may omit it, backends may never call it.
   */
  releaseSlot?(): void;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  /** Build logs instead of runtime logs, where the backend keeps them. */
  build?: boolean;
  signal?: AbortSignal;
}

export interface Backend {
  describe(): BackendDescription;
  /** Backend-specific checks that need no I/O: name rules, limit combos, registry allow-list. */
  validate(desired: readonly DesiredResource[]): Diagnostic[];
  /** Every live resource of the stack this backend owns, in O(1) list calls. */
  observe(stack: string): Promise<Result<ObservedResource[]>>;
  /** Pure, synchronous diff for one address; exactly one of desired/observed may be undefined. */
  plan(desired: DesiredResource | undefined, observed: ObservedResource | undefined): Change;
  /** Performs one change idempotently. */
  apply(change: Change, ctx: ApplyContext): Promise<ApplyOutcome>;
  /**
   * Details that cost one call per resource (instances, restarts, start time), for the status
   * verb only; plan never calls it, so observe stays O(1) in list calls. Optional.
   */
  inspect?(observed: readonly ObservedResource[]): Promise<ObservedResource[]>;
  /** Log lines of a runtime (capability supports_logs). */
  logs?(observed: ObservedResource, options: LogOptions): AsyncIterable<string>;
  /** Releases connections (sockets, agents). */
  close?(): Promise<void>;
}

/** Capabilities with everything off; backends spread their own on top. */
export const NO_CAPABILITIES: BackendCapabilities = {
  supports_compose: false,
  supports_readonly_fs: false,
  supports_custom_capabilities: false,
  supports_capability_add: false,
  supports_build_cache: false,
  supports_egress_control: false,
  supports_egress_host_filtering: false,
  supports_pid_limits: false,
  supports_mounts: false,
  supports_seccomp: false,
  supports_apparmor: false,
  supports_resource_limits: false,
  supports_github_build: false,
  supports_stdio_attach: false,
  supports_logs: false,
  network_isolation_level: 'none',
  observability_type: 'native',
  max_cpu: 0,
  max_memory_gb: 0,
  max_timeout_seconds: 0,
};
