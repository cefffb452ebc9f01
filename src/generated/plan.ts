/* Generated from schema/ by scripts/gen-types.mjs. Do not edit by hand: run `npm run gen`. */

/**
 * This interface was referenced by `PlanDocument`'s JSON-Schema
 * via the `definition` "action".
 */
export type PlanAction = 'create' | 'update' | 'replace' | 'delete' | 'noop';

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
   * Addresses the plan was restricted to by --target, with their dependencies.
   */
  targets?: string[];
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
   * e.g. runtime.search
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
