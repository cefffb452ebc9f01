// `contextforge approvals list|show|approve|reject`: read and decide the approval requests a
// watching host created. Reads and writes the state store only (no backend, no lock); the
// watching host applies approved changes on its next pass. Exit 0 done, 1 error.

import type { CAC } from 'cac';
import { hostname, userInfo } from 'node:os';
import { decide } from '../approvals/decide.js';
import { decisionCommands } from '../approvals/request.js';
import { expireApprovals } from '../approvals/workflow.js';
import type { ApprovalRecord } from '../state/store.js';
import { formatBytes } from '../config/index.js';
import { configKey } from '../plan/field-keys.js';
import { openOrReport, report, type CommonFlags } from './session-flags.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface ApprovalsFlags extends CommonFlags {
  json?: boolean;
  all?: boolean;
  by?: string | string[];
  reason?: string;
}

const ACTIONS = ['list', 'show', 'approve', 'reject'] as const;
type Action = (typeof ACTIONS)[number];

function defaultBy(): string {
  if (process.env.CONTEXTFORGE_APPROVER) return process.env.CONTEXTFORGE_APPROVER;
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `uid${process.getuid?.() ?? '?'}@${hostname()}`;
  }
}

function byList(flags: ApprovalsFlags): string[] {
  const raw = flags.by === undefined ? [defaultBy()] : Array.isArray(flags.by) ? flags.by : [flags.by];
  return raw
    .flatMap((b) => String(b).split(','))
    .map((b) => b.trim())
    .filter(Boolean);
}

function line(a: ApprovalRecord): string {
  const who = [...new Set(a.approvers.flat())].join(',') || 'anyone';
  const when =
    a.status === 'pending'
      ? `expires ${a.expiresAt}`
      : `${a.status} by ${a.decidedBy ?? '?'}${a.decidedAt ? ` at ${a.decidedAt}` : ''}`;
  return `${a.id}  ${a.status.padEnd(8)} ${a.address.padEnd(24)} approvers: ${who.padEnd(20)} ${when}`;
}

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function valueText(key: string, v: unknown): string {
  if (Array.isArray(v))
    return v.length ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ') : 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number' && /bytes$/i.test(key)) return formatBytes(v);
  if (v && typeof v === 'object') return `{ ${readable(v)} }`;
  return String(v);
}

/** `key: value, key: value` in the config's key names: what a reviewer reads instead of JSON. */
function readable(v: unknown, name: (key: string) => string = (k) => snake(k.replace(/Bytes$/, ''))): string {
  if (!v || typeof v !== 'object') return v === undefined ? '(none)' : String(v);
  const parts = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${name(k)}: ${valueText(k, x)}`);
  return parts.length ? parts.join(', ') : '(none)';
}

function details(a: ApprovalRecord, configArg?: string): string {
  const r = a.request as Record<string, unknown>;
  const out = [
    `Approval request ${a.id} (${a.status})`,
    `  Runtime:    ${a.address} on ${String(r.backend ?? '?')} (${String(r.backendType ?? '?')}), ${String(r.action ?? '?')} (${String(r.reason ?? '?')})`,
    `  Catalog:    ${readable(r.catalog)}`,
    `  Source:     ${readable(r.source)}`,
    `  Guardrails: ${readable(r.guardrails, (k) => configKey(`guardrails.${k}`))}`,
    `  Resources:  ${readable(r.resources)}`,
    `  Why:        ${a.reasons.join('; ')}`,
    `  Approvers:  ${a.approvers.map((l) => (l.length ? l.join(' or ') : 'anyone')).join(', and ')}`,
    `  Spec hash:  ${a.specHash}`,
    `  Requested:  ${a.requestedAt}; expires ${a.expiresAt}`,
  ];
  if (a.decidedAt)
    out.push(`  Decision:   ${a.status} by ${a.decidedBy ?? '?'} at ${a.decidedAt}${a.note ? `: ${a.note}` : ''}`);
  if (a.status === 'pending') {
    const c = decisionCommands(a.id, configArg);
    out.push(`  Approve:    ${c.approve}`, `  Reject:     ${c.reject}`);
  }
  return `${out.join('\n')}\n`;
}

export async function runApprovals(action: string, id: string | undefined, flags: ApprovalsFlags): Promise<number> {
  if (!ACTIONS.includes(action as Action)) {
    process.stderr.write(
      `error[cli.bad-argument]: unknown approvals action "${action}"\n  use one of: ${ACTIONS.join(', ')}\n`,
    );
    return 1;
  }
  if (action !== 'list' && !id) {
    process.stderr.write(
      `error[cli.bad-argument]: approvals ${action} needs a request id\n  list them with: contextforge approvals list\n`,
    );
    return 1;
  }
  const session = await openOrReport(flags, false);
  if (!session) return 1;
  try {
    const { config, store } = session;
    const out = (text: string): void => void process.stdout.write(session.redact(text));
    if (action === 'list') {
      expireApprovals(store, config.stack);
      const all = store.listApprovals(config.stack);
      const shown = flags.all ? all : all.filter((a) => a.status === 'pending');
      if (flags.json) out(`${JSON.stringify(shown, null, 2)}\n`);
      else if (shown.length === 0)
        out(`No ${flags.all ? '' : 'pending '}approval requests for stack ${config.stack}.\n`);
      else out(`${shown.map(line).join('\n')}\n`);
      return 0;
    }
    if (action === 'show') {
      expireApprovals(store, config.stack);
      const a = store.getApproval(id!);
      if (!a || a.stack !== config.stack) {
        process.stderr.write(
          `error[approval.not-found]: no approval request ${id} in stack ${config.stack}\n  list them with: contextforge approvals list --all\n`,
        );
        return 1;
      }
      out(flags.json ? `${JSON.stringify(a, null, 2)}\n` : details(a, flags.file));
      return 0;
    }
    const r = decide({
      store,
      stack: config.stack,
      id: id!,
      decision: action === 'approve' ? 'approved' : 'rejected',
      by: byList(flags),
      reason: flags.reason,
    });
    if (!r.value) {
      report(session, r.diags);
      return 1;
    }
    out(
      action === 'approve'
        ? `Approved ${r.value.id} (${r.value.address}) as ${r.value.decidedBy}. A watching host applies it on its next pass; in CI, apply with --approved-by.\n`
        : `Rejected ${r.value.id} (${r.value.address}) as ${r.value.decidedBy}: ${r.value.note}. The change stays held and is not requested again for this spec.\n`,
    );
    return 0;
  } finally {
    await session.close();
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'approvals')
    .option('-f, --file <file>', 'Config file (default: ./contextforge.yaml)')
    .option(
      '--by <approver>',
      'Who decides (a group or user the rule names; default $CONTEXTFORGE_APPROVER, else user@host)',
    )
    .option('--reason <text>', 'Why (required for reject)')
    .option('--all', 'list: include decided and expired requests')
    .option('--json', 'list/show: print JSON')
    .example('contextforge approvals list')
    .example('contextforge approvals approve apr-1a2b3c4d --by security-team')
    .example('contextforge approvals reject apr-1a2b3c4d --by security-team --reason "unpinned image"')
    .action((action: string, id: string | undefined, flags: ApprovalsFlags) =>
      setExit(runApprovals(action, id, flags)),
    );
};
