/* Generated from schema/ by scripts/gen-types.mjs. Do not edit by hand: run `npm run gen`. */

/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "action".
 */
export type PlanAction = 'create' | 'update' | 'replace' | 'delete' | 'noop';
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "surfaceKind".
 */
export type SurfaceKind = 'tools' | 'prompts' | 'resources' | 'resource_templates';

/**
 * A contextforge plan as printed by `contextforge plan --json` and saved by `plan -out FILE`. formatVersion changes only when a field is removed or changes meaning; new optional fields may appear within a version. Secret values never appear: sensitive fields carry the marker "(sensitive)" or nothing.
 */
export interface PlanDocument {
  /**
   * Version of this format.
   */
  formatVersion: 1;
  /**
   * Version of contextforge that wrote the plan.
   */
  contextforgeVersion?: string;
  /**
   * Stack name (the config's `name:`).
   */
  stack: string;
  /**
   * When the plan was computed (ISO 8601).
   */
  createdAt: string;
  /**
   * Absolute path of the config the plan was computed from (saved plans).
   */
  configPath?: string;
  /**
   * sha256 of the effective config (secrets only as digests). `apply FILE` refuses the plan when the config's fingerprint differs.
   */
  configFingerprint: string;
  /**
   * sha256 of the observed live state (address, backend, spec hash, status of every resource). `apply FILE` refuses the plan when the live state moved.
   */
  liveFingerprint: string;
  summary: PlanSummaryDoc;
  /**
   * One entry per address, sorted by address; `noop` entries included.
   */
  changes: PlanChange[];
  /**
   * Addresses dropped from state without touching any backend (recorded, gone, and no longer configured).
   */
  forget?: string[];
  /**
   * Resources the backend runs as configured whose state record is out of date (a failed state write, a hand edit); apply rewrites the record from the backend and touches nothing else.
   */
  refresh?: {
    address: string;
    why: string;
  }[];
  /**
   * Addresses the plan was restricted to by --target, with their dependencies.
   */
  targets?: string[];
  /**
   * Tool-surface discovery: for each runtime whose artifact differs from contextforge.lock, what the new artifact lists compared with the pinned surface.
   */
  surfaces?: PlanSurfaceReport[];
  /**
   * Entries of catalog sources that differ from the pins of contextforge.lock: added, removed, or changed by the registry (version or content hash).
   */
  catalog?: PlanCatalogChange[];
  /**
   * Plan-level warnings and errors.
   */
  diagnostics: PlanDiagnostic[];
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "summary".
 */
export interface PlanSummaryDoc {
  create: number;
  update: number;
  replace: number;
  delete: number;
  noop: number;
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "change".
 */
export interface PlanChange {
  /**
   * runtime.<name> (e.g. runtime.search), or gateway.deploy (the gateway run as a Code Engine app)
   */
  address: string;
  action: PlanAction;
  /**
   * <action>:<why>, e.g. replace:image-changed, create:drift-missing, delete:not-in-config.
   */
  reason: string;
  /**
   * Every cause, most significant first (the first is reason); present when there are several.
   */
  reasons?: string[];
  /**
   * Backend name.
   */
  backend: string;
  backendType: 'docker' | 'ibm_code_engine' | 'process';
  /**
   * Hash of the desired spec (absent for deletes).
   */
  specHash?: string;
  /**
   * Hash recorded on the live resource, if any.
   */
  liveSpecHash?: string;
  liveStatus?: string;
  fields: PlanFieldChange[];
  dependsOn: string[];
  approval?: PlanApproval;
  steps?: string[];
  diagnostics: PlanDiagnostic[];
}
/**
 * One field: before (live) → after (desired). Absent before = added; absent after = removed.
 *
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "fieldChange".
 */
export interface PlanFieldChange {
  /**
   * Dotted path in the runtime spec, e.g. env.LOG_LEVEL, source.image, guardrails.maxMemory.
   */
  path: string;
  /**
   * Live value ("(sensitive)" for secrets).
   */
  before?: unknown;
  /**
   * Desired value ("(sensitive)" for secrets).
   */
  after?: unknown;
  sensitive?: boolean;
  /**
   * This field alone forces a replace.
   */
  forcesReplace?: boolean;
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "approval".
 */
export interface PlanApproval {
  reasons: string[];
  /**
   * One list per matched rule; any one approver of each list satisfies that rule.
   */
  approvers: string[][];
  /**
   * True when no recorded approval covers this exact spec yet.
   */
  needed: boolean;
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "diagnostic".
 */
export interface PlanDiagnostic {
  severity: 'error' | 'warning' | 'info';
  code: string;
  summary: string;
  detail?: string;
  suggestion?: string;
  address?: string;
  pointer?: string;
  range?: {
    file: string;
    start: PlanSourcePos;
    end: PlanSourcePos;
  };
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "position".
 */
export interface PlanSourcePos {
  line: number;
  col: number;
  offset: number;
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "surfaceReport".
 */
export interface PlanSurfaceReport {
  address: string;
  runtime: string;
  artifact: PlanArtifactPin;
  lockedArtifact?: PlanArtifactPin;
  /**
   * True when the lock held a surface for this runtime (the diff is against it); false: everything listed is new.
   */
  pinned: boolean;
  /**
   * Why the surface was not discovered (the sandbox failed, --no-discover, a backend without a sandbox).
   */
  note?: string;
  diff?: PlanSurfaceDiff;
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "artifactPin".
 */
export interface PlanArtifactPin {
  type: 'docker' | 'github' | 'compose' | 'command' | 'code_engine';
  ref: string;
  digest?: string;
  members?: {
    [k: string]: string;
  };
  note?: string;
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "surfaceDiff".
 */
export interface PlanSurfaceDiff {
  added: PlanSurfaceItem[];
  removed: PlanSurfaceItem[];
  changed: PlanSurfaceItemChange[];
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "surfaceItem".
 */
export interface PlanSurfaceItem {
  kind: SurfaceKind;
  key: string;
  definition: {};
}
export interface PlanSurfaceItemChange {
  kind: SurfaceKind;
  key: string;
  beforeHash: string;
  afterHash: string;
  /**
   * Word diff of the description: runs of same, removed and added text.
   */
  description?: {
    op: 'same' | 'removed' | 'added';
    text: string;
  }[];
  /**
   * Leaf paths changed inside inputSchema, outputSchema or arguments.
   */
  schemaPaths?: string[];
  annotations?: {
    key: string;
    before?: unknown;
    after?: unknown;
  }[];
  fields?: string[];
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "catalogChange".
 */
export interface PlanCatalogChange {
  slug: string;
  change: 'added' | 'removed' | 'changed';
  /**
   * The catalog source (catalog_sources name).
   */
  source: string;
  /**
   * The entry's name in its registry.
   */
  name: string;
  before?: PlanCatalogPin;
  after?: PlanCatalogPin;
}
/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "catalogPin".
 */
export interface PlanCatalogPin {
  version?: string;
  hash: string;
}
