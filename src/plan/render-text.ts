// Terraform-like human rendering of a plan: one block per change with `+ ~ - -/+` symbols,
// field-level before → after lines, reasons, warnings and approval marks; colour only when the
// caller says the output is a TTY. Every line passes through the redactor.

import {
  approvalLine,
  catalogChangeText,
  diagLine,
  fieldLine,
  HEADLINE,
  reasonText,
  runtimeLabel,
  summaryLine,
  surfaceLines,
  SYMBOL,
} from './render-common.js';
import { configKey, shownFields } from './field-keys.js';
import { summarizeUnenforced } from '../config/index.js';
import { identityRedactor, type Redactor } from './redact.js';
import type { ActionKind, Plan } from '../model/resources.js';

export interface TextRenderOptions {
  color?: boolean;
  redact?: Redactor;
  /** Every field of a created runtime, defaults and profile values included. */
  verbose?: boolean;
  /** False leaves out the changes' warnings (a host retrying a plan it printed with them). */
  warnings?: boolean;
}

const CODES = { green: 32, yellow: 33, red: 31, cyan: 36, bold: 1, dim: 2, magenta: 35 } as const;
type Colour = keyof typeof CODES;

const ACTION_COLOUR: Record<ActionKind, Colour> = {
  create: 'green',
  update: 'yellow',
  replace: 'magenta',
  delete: 'red',
  noop: 'dim',
};
const SYMBOL_COLOUR: Record<string, Colour> = { '+': 'green', '~': 'yellow', '-': 'red' };

export function renderText(plan: Plan, options: TextRenderOptions = {}): string {
  const paint = (c: Colour, s: string): string => (options.color ? `\x1b[${CODES[c]}m${s}\x1b[0m` : s);
  const redact = options.redact ?? identityRedactor;
  const lines: string[] = [];
  const changes = plan.changes.filter((c) => c.action !== 'noop');

  for (const d of plan.diagnostics)
    lines.push(paint(d.severity === 'error' ? 'red' : 'yellow', diagLine(d)), ...(d.detail ? [`  ${d.detail}`] : []));
  if (plan.diagnostics.length) lines.push('');
  // A registry's change to a synced entry is reviewed like any other: it shows until the lock pins it.
  if (plan.catalog?.length) {
    lines.push(paint('bold', 'Catalog entries changed since contextforge.lock:'));
    for (const c of plan.catalog) {
      const sym = c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~';
      lines.push(`  ${paint(SYMBOL_COLOUR[sym], sym)} ${catalogChangeText(c)}`);
    }
    lines.push('  Review the change, then run `contextforge lock` (or apply) and commit the lock.', '');
  }

  if (changes.length === 0 && !plan.forget?.length && !plan.refresh?.length) {
    lines.push(paint('green', 'No changes.') + ' The live state matches the configuration.');
    const warned = plan.changes.filter((c) => c.diagnostics.length);
    for (const c of warned)
      for (const d of summarizeUnenforced(c.diagnostics))
        lines.push(`  ${paint('yellow', '!')} ${c.address}: ${diagLine(d)}`);
    return `${lines.map(redact).join('\n')}\n`;
  }

  lines.push('contextforge will perform the following actions:', '');
  for (const c of changes) {
    const sym = SYMBOL[c.action];
    lines.push(paint('bold', `  # ${c.address} ${HEADLINE[c.action]}`) + paint('dim', ` (${reasonText(c)})`));
    lines.push(`${paint(ACTION_COLOUR[c.action], sym.padStart(3))} ${runtimeLabel(c.address)} {`);
    const { fields, hidden } = shownFields(c, options.verbose);
    const pad = Math.max('backend'.length, ...fields.map((f) => configKey(f.path).length));
    lines.push(`        ${'backend'.padEnd(pad)} = "${c.backend}" (${c.backendType})`);
    for (const f of fields) {
      const { symbol, text } = fieldLine(f, c.action, pad);
      lines.push(`      ${paint(SYMBOL_COLOUR[symbol] ?? 'yellow', symbol)} ${text}`);
    }
    if (hidden)
      lines.push(paint('dim', `        # ${hidden} more from the profile and defaults (--verbose shows them)`));
    for (const step of c.steps ?? []) lines.push(`      ${paint('cyan', '»')} ${step}`);
    lines.push('    }');
    const surface = plan.surfaces?.find((r) => r.address === c.address);
    if (surface) {
      const s = surfaceLines(surface);
      lines.push(`    ${paint('bold', s.headline)}`);
      for (const l of s.lines) lines.push(`      ${paint(SYMBOL_COLOUR[l[0]] ?? 'dim', l)}`);
      if (s.warning) lines.push(`    ${paint('yellow', '!')} ${s.warning}`);
    }
    const appr = approvalLine(c);
    if (appr) lines.push(`    ${paint(c.needsApproval ? 'red' : 'green', c.needsApproval ? '✋' : '✓')} ${appr}`);
    const diags = options.warnings === false ? c.diagnostics.filter((d) => d.severity === 'error') : c.diagnostics;
    for (const d of summarizeUnenforced(diags))
      lines.push(`    ${paint(d.severity === 'error' ? 'red' : 'yellow', '!')} ${diagLine(d)}`);
    lines.push('');
  }
  for (const a of plan.forget ?? [])
    lines.push(`  # ${a} is gone and no longer configured: it will be dropped from state`);
  if (plan.forget?.length) lines.push('');
  for (const r of plan.refresh ?? [])
    lines.push(`  # ${r.address}: the state record is out of date (${r.why}); apply records what the backend runs`);
  if (plan.refresh?.length) lines.push('');
  const held = changes.filter((c) => c.needsApproval).length;
  lines.push(paint('bold', summaryLine(plan.summary, held)));
  return `${lines.map(redact).join('\n')}\n`;
}
