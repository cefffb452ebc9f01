// The backend seam: everything that touches a runtime platform (Docker, Code Engine, local
// processes) sits behind this one small interface. Backends must not read config files or the
// state store; they receive compiled desired resources and report observed ones. No method
// depends on another having been called first: each takes everything it needs as arguments.

import type { BackendType } from '../generated/config.js';
import type { Diagnostic, Result } from '../diag/diagnostic.js';
import type { BackendCapabilities } from '../model/capabilities.js';
import type { Change, DesiredResource, ObservedResource } from '../model/resources.js';

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

/** A runtime's resource usage now; a field is absent where the backend does not know it. */
export interface RuntimeUsage {
  cpuPercent?: number;
  cpuLimit?: number;
  memoryBytes?: number;
  memoryLimitBytes?: number;
  pids?: number;
  pidsLimit?: number;
  networkRxBytes?: number;
  networkTxBytes?: number;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  /** Only lines written at or after this time (Unix seconds), where the backend timestamps lines (Docker). */
  since?: number;
  /** Build logs instead of runtime logs, where the backend keeps them. */
  build?: boolean;
  signal?: AbortSignal;
}

export interface Backend {
  describe(): BackendDescription;
  /** Backend-specific checks that need no I/O: name rules, limit combos, registry allow-list. */
  validate(desired: readonly DesiredResource[]): Diagnostic[];
  /**
   * Every live resource of the stack this backend owns, in O(1) list calls. `desired` is what
   * the caller is about to plan on this backend (empty or absent for status, logs and destroy):
   * observe may use it for pre-flight checks (quotas, host facts), never remember it.
   */
  observe(stack: string, desired?: readonly DesiredResource[]): Promise<Result<ObservedResource[]>>;
  /**
   * Pure, synchronous diff for one address; exactly one of desired/observed may be undefined.
   * It depends on its arguments only: it may be called before, after or without validate and
   * observe, in any order (the contract suite shuffles them).
   */
  plan(desired: DesiredResource | undefined, observed: ObservedResource | undefined): Change;
  /** Performs one change idempotently. */
  apply(change: Change, ctx: ApplyContext): Promise<ApplyOutcome>;
  /**
   * Details that cost one call per resource (instances, restarts, start time), for the status
   * verb only; plan never calls it, so observe stays O(1) in list calls. Optional.
   */
  inspect?(observed: readonly ObservedResource[]): Promise<ObservedResource[]>;
  /** Current resource usage of one runtime (Docker stats), for the console and metrics. Optional. */
  usage?(observed: ObservedResource): Promise<RuntimeUsage | undefined>;
  /** Log lines of a runtime (capability supports_logs). */
  logs?(observed: ObservedResource, options: LogOptions): AsyncIterable<string>;
  /** Releases connections (sockets, agents). */
  close?(): Promise<void>;
}
