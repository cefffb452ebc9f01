// Shared wording for the human renderers: action symbols and verbs, value formatting, and
// approval / warning lines. Pure string helpers; secrets are `(sensitive)` by construction.

import type { Diagnostic } from '../diag/diagnostic.js';
import { formatBytes } from '../config/index.js';
import type { ActionKind, Change, FieldChange, PlanSummary, SurfaceReport } from '../model/resources.js';
import { surfaceDiffEmpty, surfaceDiffLines, type ArtifactPin } from '../model/tool-surface.js';
import { configKey } from './field-keys.js';

export { catalogChangeText } from '../lock/catalog.js';

export const SYMBOL: Record<ActionKind, string> = { create: '+', update: '~', replace: '-/+', delete: '-', noop: ' ' };

export const HEADLINE: Record<ActionKind, string> = {
  create: 'will be created',
  update: 'will be updated in-place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
  noop: 'is up to date',
};

export function formatValue(path: string, value: unknown, sensitive?: boolean): string {
  if (sensitive) return '(sensitive)';
  if (value === undefined) return '(none)';
  if (typeof value === 'number' && /maxMemory$/.test(path)) return formatBytes(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value);
}

/** Every cause of a change: `replace:image-changed, env-changed`. */
export function reasonText(c: Change): string {
  const all = c.reasons?.length ? c.reasons : [c.reason];
  return all.map((r, i) => (i === 0 ? r : r.slice(r.indexOf(':') + 1))).join(', ');
}

/** `key = after`, `key = before → after`, or `key = before → (removed)`, in the config's key names. */
export function fieldLine(f: FieldChange, action: ActionKind, pad = 0): { symbol: string; text: string } {
  const has = (v: unknown): boolean => v !== undefined;
  let symbol = '~';
  if (!has(f.before) && has(f.after)) symbol = '+';
  else if (has(f.before) && !has(f.after)) symbol = '-';
  if (action === 'create') symbol = '+';
  const path = configKey(f.path).padEnd(pad);
  let text: string;
  if (symbol === '+') text = `${path} = ${formatValue(f.path, f.after, f.sensitive)}`;
  else if (symbol === '-') text = `${path} = ${formatValue(f.path, f.before, f.sensitive)} → (removed)`;
  else text = `${path} = ${formatValue(f.path, f.before, f.sensitive)} → ${formatValue(f.path, f.after, f.sensitive)}`;
  if (f.forcesReplace && action === 'replace') text += '  # forces replacement';
  return { symbol, text };
}

export function approvalLine(c: Change): string | undefined {
  if (!c.approval) return undefined;
  const who = c.approval.approvers.map((l) => (l.length ? l.join(' or ') : 'anyone')).join('; ');
  const state = c.needsApproval ? 'needs approval' : 'approved';
  return `${state}: ${c.approval.reasons.join('; ')} (approvers: ${who})`;
}

export function diagLine(d: Diagnostic): string {
  return `${d.severity}[${d.code}]: ${d.summary}`;
}

export function summaryLine(s: PlanSummary, held = 0): string {
  const base = `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to destroy.`;
  return held ? `${base} ${held} need approval before they apply.` : base;
}

export function runtimeLabel(address: string): string {
  const [kind, ...rest] = address.split('.');
  return `${kind} "${rest.join('.')}"`;
}

const pinText = (p: ArtifactPin | undefined): string => (p ? (p.digest ?? p.ref) : '(not locked)');

/**
 * The tool-surface lines of one runtime for the human renderers: a headline naming the artifact
 * pair, then one line per added, removed or changed definition (description as a word diff).
 */
export function surfaceLines(r: SurfaceReport): { headline: string; lines: string[]; warning?: string } {
  const headline = `tool surface of ${r.runtime}: ${pinText(r.lockedArtifact)} → ${pinText(r.artifact)}`;
  if (!r.diff) return { headline, lines: [], warning: `tool-surface discovery skipped: ${r.note ?? 'no surface'}` };
  if (surfaceDiffEmpty(r.diff)) return { headline, lines: ['(unchanged: every definition matches the lock)'] };
  const lines = surfaceDiffLines(r.pinned ? r.diff : { ...r.diff, removed: [], changed: [] });
  return { headline: r.pinned ? headline : `${headline} (not pinned before: everything is new)`, lines };
}
