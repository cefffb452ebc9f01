// Approval policy: which desired resources need a reviewer (the seed's `approval.required_for`
// rules plus catalog `requires_approval`), and whether a set of approvers satisfies them. Pure
// and exported: the apply engine and the approval workflow both build on it; no I/O here.

import type { ApprovalSettings, Approver, BackendType, SourceType } from '../generated/config.js';
import type { ApprovalRequirement } from '../model/resources.js';

export interface ApprovalSubject {
  runtime: string;
  catalog: string;
  sourceType: SourceType;
  /** Image reference for docker sources, or the push registry of github sources. */
  image?: string;
  profile: string;
  backendType: BackendType;
  /** The catalog entry's `requires_approval`. */
  entryRequiresApproval?: boolean;
}

/** An approver as the string people type in `--approved-by`: `security-team`, `admin@x`. */
export function approverName(approver: Approver): string {
  if (typeof approver === 'string') return approver;
  return 'group' in approver ? approver.group : approver.user;
}

/**
 * The fully qualified repository of an image reference, as Docker normalizes it:
 * `node:20` → `docker.io/library/node`, `mcp/fs:1` → `docker.io/mcp/fs`,
 * `ghcr.io/a/b@sha256:…` → `ghcr.io/a/b`.
 */
export function imageRepository(image: string): string {
  let ref = image.split('@')[0];
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  const first = ref.split('/')[0];
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** True when repository lies under prefix, by whole path segments. */
function underPrefix(repository: string, prefix: string): boolean {
  const p = prefix.replace(/\/+$/, '');
  const normalized = p.includes('/') || p.includes('.') ? p : `docker.io/${p}`;
  return repository === normalized || repository.startsWith(`${normalized}/`);
}

/** The approval a subject needs under the settings, or undefined when none is needed. */
export function evaluateApproval(
  settings: ApprovalSettings | undefined,
  subject: ApprovalSubject,
): ApprovalRequirement | undefined {
  if (settings?.enabled === false) return undefined;
  const defaults = (settings?.approvers ?? []).map(approverName);
  const reasons: string[] = [];
  const approvers: string[][] = [];
  if (subject.entryRequiresApproval) {
    reasons.push(`catalog entry ${subject.catalog} requires approval`);
    approvers.push(defaults);
  }
  // Rules apply only when the approval workflow is switched on; requires_approval above is a
  // property of the entry and holds whenever approval is not explicitly disabled.
  if (settings) {
    for (const rule of settings.required_for ?? []) {
      const why: string[] = [];
      if (rule.source_type !== undefined) {
        if (rule.source_type !== subject.sourceType) continue;
        why.push(`source_type is ${rule.source_type}`);
      }
      if (rule.registry_not_in !== undefined) {
        if (!subject.image) continue;
        const repo = imageRepository(subject.image);
        if (rule.registry_not_in.some((p) => underPrefix(repo, p))) continue;
        why.push(`image ${repo} is not from ${rule.registry_not_in.join(', ')}`);
      }
      if (rule.guardrails_profile !== undefined) {
        if (rule.guardrails_profile !== subject.profile) continue;
        why.push(`guardrails_profile is ${rule.guardrails_profile}`);
      }
      if (rule.backend_type !== undefined) {
        if (rule.backend_type !== subject.backendType) continue;
        why.push(`backend_type is ${rule.backend_type}`);
      }
      if (why.length === 0) continue;
      reasons.push(why.join(' and '));
      approvers.push(rule.approvers ? rule.approvers.map(approverName) : defaults);
    }
  }
  return reasons.length ? { reasons, approvers } : undefined;
}

/**
 * True when approvedBy satisfies every matched rule: each inner list must contain one of the
 * approvers given; a rule that names no approvers is satisfied by anyone named.
 */
export function approvalSatisfied(requirement: ApprovalRequirement, approvedBy: readonly string[]): boolean {
  const given = new Set(approvedBy.map((a) => a.trim()).filter(Boolean));
  if (given.size === 0) return false;
  return requirement.approvers.every((list) => list.length === 0 || list.some((a) => given.has(a)));
}

/**
 * The approval a change to a pinned tool surface needs: every rule with `tool_surface_changed:
 * true` whose other keys also match the subject. Undefined when no such rule matches.
 */
export function surfaceChangeApproval(
  settings: ApprovalSettings | undefined,
  subject: ApprovalSubject,
): ApprovalRequirement | undefined {
  if (!settings || settings.enabled === false) return undefined;
  const reasons: string[] = [];
  const approvers: string[][] = [];
  for (const rule of settings.required_for ?? []) {
    if (rule.tool_surface_changed !== true) continue;
    const { tool_surface_changed: _t, approvers: who, ...rest } = rule;
    if (Object.keys(rest).length) {
      const other = evaluateApproval(
        { ...settings, required_for: [{ ...rest, approvers: who }] },
        {
          ...subject,
          entryRequiresApproval: false,
        },
      );
      if (!other) continue;
      reasons.push(`the pinned tool surface changes and ${other.reasons.join(' and ')}`);
    } else reasons.push('the pinned tool surface changes');
    approvers.push(who ? who.map(approverName) : (settings.approvers ?? []).map(approverName));
  }
  return reasons.length ? { reasons, approvers } : undefined;
}
