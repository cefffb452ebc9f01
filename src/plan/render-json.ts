// The plan as its documented JSON format (schema/plan.schema.json, formatVersion 1): the
// `--json` output and the body of saved plans. Carries no secret values: sensitive fields are
// `(sensitive)` and every string passes through the redactor.

import type { Diagnostic } from '../diag/diagnostic.js';
import type { PlanChange, PlanDiagnostic, PlanDocument } from '../generated/plan.js';
import { redactDeep, identityRedactor, type Redactor } from './redact.js';
import type { Change, Plan } from '../model/resources.js';

export interface JsonRenderOptions {
  redact?: Redactor;
  contextforgeVersion?: string;
  configPath?: string;
}

/** A diagnostic in the plan JSON shape (also the console API's). */
export function diagDoc(d: Diagnostic): PlanDiagnostic {
  const out: PlanDiagnostic = { severity: d.severity, code: d.code, summary: d.summary };
  if (d.detail) out.detail = d.detail;
  if (d.suggestion) out.suggestion = d.suggestion;
  if (d.address) out.address = d.address;
  if (d.pointer) out.pointer = d.pointer;
  if (d.range) out.range = { file: d.range.file, start: { ...d.range.start }, end: { ...d.range.end } };
  return out;
}

function changeDoc(c: Change): PlanChange {
  const out: PlanChange = {
    address: c.address,
    action: c.action,
    reason: c.reason,
    ...(c.reasons && c.reasons.length > 1 ? { reasons: [...c.reasons] } : {}),
    backend: c.backend,
    backendType: c.backendType,
    fields: c.fields.map((f) => {
      const x: PlanChange['fields'][number] = { path: f.path };
      if (f.before !== undefined) x.before = f.sensitive ? '(sensitive)' : f.before;
      if (f.after !== undefined) x.after = f.sensitive ? '(sensitive)' : f.after;
      if (f.sensitive) x.sensitive = true;
      if (f.forcesReplace) x.forcesReplace = true;
      return x;
    }),
    dependsOn: [...c.dependsOn],
    diagnostics: c.diagnostics.map(diagDoc),
  };
  if (c.desired && c.action !== 'delete') out.specHash = c.desired.specHash;
  if (c.observed?.specHash) out.liveSpecHash = c.observed.specHash;
  if (c.observed) out.liveStatus = c.observed.status;
  if (c.approval)
    out.approval = {
      reasons: [...c.approval.reasons],
      approvers: c.approval.approvers.map((l) => [...l]),
      needed: Boolean(c.needsApproval),
    };
  if (c.steps?.length) out.steps = [...c.steps];
  return out;
}

export function toPlanDocument(plan: Plan, options: JsonRenderOptions = {}): PlanDocument {
  const doc: PlanDocument = {
    formatVersion: 1,
    stack: plan.stack,
    createdAt: plan.createdAt,
    configFingerprint: plan.configFingerprint,
    liveFingerprint: plan.liveFingerprint,
    summary: { ...plan.summary },
    changes: plan.changes.map(changeDoc),
    diagnostics: plan.diagnostics.map(diagDoc),
  };
  if (options.contextforgeVersion) doc.contextforgeVersion = options.contextforgeVersion;
  if (options.configPath) doc.configPath = options.configPath;
  if (plan.forget?.length) doc.forget = [...plan.forget];
  if (plan.refresh?.length) doc.refresh = plan.refresh.map((r) => ({ ...r }));
  if (plan.targets?.length) doc.targets = [...plan.targets];
  if (plan.surfaces?.length) doc.surfaces = JSON.parse(JSON.stringify(plan.surfaces)) as PlanDocument['surfaces'];
  if (plan.catalog?.length) doc.catalog = JSON.parse(JSON.stringify(plan.catalog)) as PlanDocument['catalog'];
  return redactDeep(doc, options.redact ?? identityRedactor);
}

export function renderJson(plan: Plan, options: JsonRenderOptions = {}): string {
  return `${JSON.stringify(toPlanDocument(plan, options), null, 2)}\n`;
}
