// Views over the library (catalog entries and guardrail profiles) that the `catalog` and
// `profiles` verbs and the operator console share: which backends an entry supports, the
// filtered entry list, a definition without resolution fields, and what a profile becomes on a
// backend type (the `profiles check` matrix). Pure: no I/O.

import { CAPABILITIES_BY_KIND } from '../model/capabilities.js';
import type { BackendType } from '../generated/config.js';
import { controlLabel, controlStatuses } from './compat.js';
import type { ResolvedCatalogEntry, ResolvedProfile } from './model.js';
import { fitCodeEngineLimits } from './code-engine-rules.js';

export const BACKEND_TYPES: BackendType[] = ['docker', 'ibm_code_engine', 'process'];

const DEFAULT_BACKENDS: Record<string, BackendType[]> = {
  command: ['process'],
  compose: ['docker'],
  docker: ['docker', 'ibm_code_engine'],
  github: ['docker', 'ibm_code_engine'],
};

export function backendsOf(e: ResolvedCatalogEntry): string[] {
  return e.supported_backends ?? DEFAULT_BACKENDS[e.source.type] ?? [];
}

export interface CatalogFilter {
  category?: string;
  tag?: string;
  backend?: string;
  /** Case-insensitive substring of slug, name or description. */
  q?: string;
  /** Include deprecated entries. */
  all?: boolean;
}

/** Entries after filters: featured first, then by slug; deprecated ones only with `all`. */
export function filterEntries(entries: ResolvedCatalogEntry[], f: CatalogFilter): ResolvedCatalogEntry[] {
  const q = f.q?.trim().toLowerCase();
  return entries
    .filter((e) => f.all || !e.deprecated)
    .filter((e) => !f.category || e.category === f.category)
    .filter((e) => !f.tag || (e.tags ?? []).includes(f.tag))
    .filter((e) => !f.backend || backendsOf(e).includes(f.backend))
    .filter(
      (e) =>
        !q || [e.slug, e.name, e.description ?? '', e.registry?.name ?? ''].some((t) => t.toLowerCase().includes(q)),
    )
    .sort((a, b) => Number(!!b.featured) - Number(!!a.featured) || a.slug.localeCompare(b.slug));
}

/** Strips the resolution fields (origin, baseDir, builtin) before showing a definition. */
export function definitionOf<T extends object>(v: T): Record<string, unknown> {
  const { origin: _o, baseDir: _b, builtin: _x, ...rest } = v as Record<string, unknown>;
  return rest;
}

export interface ProfileCheck {
  profile: string;
  backend: BackendType;
  controls: {
    control: string;
    label: string;
    set: boolean;
    value: string;
    enforced: boolean;
    dropped: boolean;
    lossy: boolean;
    note: string;
  }[];
  notEnforceable: string[];
  /** Controls validate warns about (errors when the profile is strict). */
  lossy: string[];
  cpuMemoryPair: string | null;
}

/** What profile `p` becomes on backend type `type`: each control enforced or dropped, and why. */
export function profileCheck(p: ResolvedProfile, type: BackendType): ProfileCheck {
  const statuses = controlStatuses(p, CAPABILITIES_BY_KIND[type]);
  const dropped = statuses.filter((s) => s.requested && !s.enforced);
  let pairNote: string | null = null;
  if (type === 'ibm_code_engine' && (p.resources?.max_cpu !== undefined || p.resources?.max_memory !== undefined)) {
    // The same rule validate and plan apply to a runtime with no per_deployment_limits.
    const fit = fitCodeEngineLimits({ profile: p.resources });
    if (fit.ok && fit.fitted)
      pairNote = `${fit.requestedText} is not a Code Engine pair: runtimes without per_deployment_limits get the largest valid pair under it, ${fit.cpu} vCPU / ${fit.memoryGb}G.`;
    else if (!fit.ok) pairNote = `${fit.reason}. ${fit.fix}`;
  }
  return {
    profile: p.name,
    backend: type,
    controls: statuses.map((s) => ({
      control: s.control,
      label: controlLabel(s.control),
      set: s.requested,
      value: s.value,
      enforced: s.enforced,
      dropped: s.requested && !s.enforced,
      lossy: s.lossy,
      note: s.note,
    })),
    notEnforceable: dropped.map((s) => controlLabel(s.control)),
    lossy: dropped.filter((s) => s.lossy).map((s) => controlLabel(s.control)),
    cpuMemoryPair: pairNote,
  };
}
