// Markdown rendering of a plan for a pull-request comment: a summary table, one collapsible
// <details> block per changed runtime with a diff of its fields, warnings, and the approvals
// still needed. Every line passes through the redactor; secrets are `(sensitive)`.

import {
  approvalLine,
  catalogChangeText,
  diagLine,
  fieldLine,
  HEADLINE,
  reasonText,
  surfaceLines,
  SYMBOL,
} from './render-common.js';
import { shownFields } from './field-keys.js';
import { summarizeUnenforced } from '../config/index.js';
import { identityRedactor, type Redactor } from './redact.js';
import type { Plan } from '../model/resources.js';

export interface MarkdownRenderOptions {
  redact?: Redactor;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

export function renderMarkdown(plan: Plan, options: MarkdownRenderOptions = {}): string {
  const redact = options.redact ?? identityRedactor;
  const s = plan.summary;
  const changes = plan.changes.filter((c) => c.action !== 'noop');
  const out: string[] = [];
  out.push(`### contextforge plan for stack \`${plan.stack}\``, '');
  if (changes.length === 0 && !plan.forget?.length && !plan.refresh?.length) {
    out.push('**No changes.** The live state matches the configuration.', '');
  } else {
    out.push('| Action | Count |', '| --- | ---: |');
    out.push(
      `| ➕ create | ${s.create} |`,
      `| 🔁 update in place | ${s.update} |`,
      `| ♻️ replace | ${s.replace} |`,
      `| ➖ destroy | ${s.delete} |`,
    );
    if (plan.forget?.length) out.push(`| 🗑 drop from state | ${plan.forget.length} |`);
    if (plan.refresh?.length) out.push(`| ↻ refresh state record | ${plan.refresh.length} |`);
    out.push('');
    for (const c of changes) {
      out.push('<details>');
      out.push(
        `<summary><code>${SYMBOL[c.action]} ${c.address}</code> ${HEADLINE[c.action]} (<code>${reasonText(c)}</code>)${c.needsApproval ? ' ✋ needs approval' : ''}</summary>`,
        '',
      );
      out.push(`Backend: \`${c.backend}\` (${c.backendType})`, '');
      const { fields, hidden } = shownFields(c);
      if (fields.length) {
        out.push('```diff');
        for (const f of fields) {
          const { symbol, text } = fieldLine(f, c.action);
          // diff syntax highlights only + and -; an in-place change shows as `!`.
          out.push(`${symbol === '~' ? '!' : symbol} ${text}`);
        }
        out.push('```', '');
      }
      if (hidden)
        out.push(`${hidden} more settings from the profile and defaults (\`plan --verbose\` lists them).`, '');
      for (const d of summarizeUnenforced(c.diagnostics)) out.push(`> ⚠️ ${escapeCell(diagLine(d))}`, '');
      out.push('</details>', '');
    }
  }
  if (plan.catalog?.length) {
    out.push('#### Catalog entries changed since contextforge.lock', '');
    for (const c of plan.catalog) out.push(`- ${escapeCell(catalogChangeText(c))}`);
    out.push('');
  }
  // Outside the collapsed blocks: the reviewer approves what the model will read.
  if (plan.surfaces?.length) {
    out.push('#### What the model will read (tool surface)', '');
    for (const r of plan.surfaces) {
      const s = surfaceLines(r);
      out.push(`**\`${r.address}\`**: ${escapeCell(s.headline)}`, '');
      if (s.lines.length)
        out.push('```diff', ...s.lines.map((l) => (l.startsWith('~') ? `!${l.slice(1)}` : l)), '```', '');
      if (s.warning) out.push(`> ⚠️ ${escapeCell(s.warning)}`, '');
    }
  }
  const warnings = [
    ...plan.diagnostics,
    ...plan.changes.flatMap((c) =>
      summarizeUnenforced(c.diagnostics).map((d) => ({ ...d, address: d.address ?? c.address })),
    ),
  ];
  if (warnings.length) {
    out.push('#### Warnings', '');
    for (const d of warnings) out.push(`- ${d.address ? `\`${d.address}\`: ` : ''}${escapeCell(diagLine(d))}`);
    out.push('');
  }
  const needing = changes.filter((c) => c.approval);
  if (needing.length) {
    out.push('#### Approvals', '');
    for (const c of needing)
      out.push(`- ${c.needsApproval ? '✋' : '✅'} \`${c.address}\`: ${escapeCell(approvalLine(c) ?? '')}`);
    out.push('');
  }
  return `${out.map(redact).join('\n')}`.replace(/\n+$/, '\n');
}
