// `contextforge apply [PLANFILE]` (and `destroy`): parse the flags, then run the one pass of
// src/reconcile/pass.ts with a confirmation prompt as its gate. Exit 0 applied, 1 error or
// partial failure, 3 changes held for approval.

import type { CAC } from 'cac';
import { existsSync } from 'node:fs';
import { defaultColor } from '../diag/render.js';
import { readSavedPlan } from '../apply/saved-plan.js';
import { hasChanges } from '../plan/diff.js';
import { parseDurationMs } from '../config/index.js';
import { resolveLockTimeout, runPass } from '../reconcile/pass.js';
import { confirm } from './prompt.js';
import type { PlanDocument } from '../generated/plan.js';
import { configPath as defaultConfigPath, printDiagnostics } from './config-file.js';
import { openOrReport, planOptions, report, targetsOf, type CommonFlags } from './session-flags.js';
import { onInterrupt } from './signals.js';
import { appliedRuntimes, writeLockAfterApply } from '../host/lock-refresh.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

export interface ApplyFlags extends CommonFlags {
  autoApprove?: boolean;
  parallelism?: number | string;
  lockTimeout?: string | number;
  approvedBy?: string | string[];
  timeout?: string | number;
  /** destroy only: remove the data volumes too. */
  deleteVolumes?: boolean;
}

export const EXIT_HELD = 3;

function durationFlag(name: string, v: string | number | undefined, fallbackMs: number): number | Error {
  if (v === undefined) return fallbackMs;
  const ms = parseDurationMs(v);
  return ms === undefined ? new Error(`--${name} ${v} is not a duration; use e.g. 30s, 5m or a number of seconds`) : ms;
}

/** A path as one shell word: quoted only when the shell would split or expand it. */
function shellWord(s: string): string {
  return /^[\w./:@%+,=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `contextforge plan [-f CONFIG] -out FILE`, with -f when the config is not ./contextforge.yaml. */
function replanCommand(config: string, file: string): string {
  const f = config === defaultConfigPath(undefined, true) ? '' : ` -f ${shellWord(config)}`;
  return `contextforge plan${f} -out ${shellWord(file)}`;
}

export async function runApply(flags: ApplyFlags, planFile: string | undefined, destroy = false): Promise<number> {
  const parallelism = flags.parallelism === undefined ? 10 : Number(flags.parallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    process.stderr.write(`error[cli.bad-flag]: --parallelism must be a positive integer, not ${flags.parallelism}\n`);
    return 1;
  }
  const actionTimeout = durationFlag('timeout', flags.timeout, 5 * 60_000);
  if (actionTimeout instanceof Error) {
    process.stderr.write(`error[cli.bad-flag]: ${actionTimeout.message}\n`);
    return 1;
  }
  const interactive = Boolean(process.stdin.isTTY);
  if (!planFile && !flags.autoApprove && !interactive) {
    process.stderr.write(
      `error[apply.needs-confirmation]: ${destroy ? 'destroy' : 'apply'} needs confirmation, but stdin is not a terminal\n` +
        `  Pass --auto-approve, or review a saved plan first: contextforge plan -out plan.json && contextforge apply plan.json\n`,
    );
    return 1;
  }
  // A saved plan names the config it was made from: without -f, apply reads that one.
  let saved: PlanDocument | undefined;
  if (planFile) {
    const s = readSavedPlan(planFile);
    if (!s.value) {
      printDiagnostics(s.diags, []);
      return 1;
    }
    saved = s.value;
    // (A plan carried to another checkout, as CI artifacts are, falls back to ./contextforge.yaml.)
    if (flags.file === undefined && saved.configPath && existsSync(saved.configPath))
      flags = { ...flags, file: saved.configPath };
  }
  // A destroy needs only what reaches the backends: a runtime's token or a webhook URL may be unset.
  const session = await openOrReport(flags, true, false, false, destroy);
  if (!session) return 1;
  const { config } = session;
  const lockTimeout = resolveLockTimeout(flags.lockTimeout, config);
  if (typeof lockTimeout !== 'number') {
    report(session, [lockTimeout]);
    await session.close();
    return 1;
  }
  const say = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const interrupts = onInterrupt('no new actions start; waiting for running ones to finish');
  try {
    // CI jobs set CONTEXTFORGE_APPROVED_BY from the pull request's approving reviewers; the flag wins.
    const approvedRaw = flags.approvedBy ?? process.env.CONTEXTFORGE_APPROVED_BY;
    const approvedBy = (Array.isArray(approvedRaw) ? approvedRaw : approvedRaw ? [approvedRaw] : [])
      .flatMap((a) => String(a).split(','))
      .map((a) => a.trim())
      .filter(Boolean);
    const r = await runPass({
      session,
      out: {
        say,
        report: (diags) => report(session, diags),
        color: defaultColor(process.stdout),
        verbose: flags.verbose,
      },
      destroy,
      deleteVolumes: flags.deleteVolumes,
      strict: flags.strict,
      targets: targetsOf(flags),
      saved: saved && { doc: saved, file: planFile!, replan: replanCommand(config.path, planFile!) },
      lockTimeoutMs: lockTimeout,
      parallelism,
      actionTimeoutMs: actionTimeout,
      approvedBy,
      signal: interrupts.signal,
      meta: planFile ? { planFile } : undefined,
      showUnchanged: true,
      surfaces: { discover: flags.discover !== false },
      // contextforge.lock follows what apply made run (issue 13).
      onApplied: async ({ result, desired, store }) => {
        if (destroy || result.exitCode === 1) return;
        // A held, failed or skipped change still runs the old artifact: its lock entry stays.
        const live = appliedRuntimes(desired, result.results);
        for (const line of await writeLockAfterApply({ config, store, desired, live })) say(session.redact(line));
      },
      gate: async (ctx) => {
        ctx.showPlan();
        if (!hasChanges(ctx.plan) || saved || flags.autoApprove) return 'apply';
        const ok = await confirm(
          destroy
            ? `\nDo you really want to destroy every runtime of stack ${config.stack}?\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: `
            : `\nDo you want to perform these actions on stack ${config.stack}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `,
        );
        return ok ? 'apply' : 'cancel';
      },
    });
    if (r.apply?.held.length && r.plan) {
      const held = new Set(r.apply.held);
      const who = [
        ...new Set(
          r.plan.changes.filter((c) => held.has(c.address)).flatMap((c) => c.approval?.approvers.flat() ?? []),
        ),
      ];
      process.stdout.write(
        `  Approvers: ${who.join(', ') || 'anyone'}. Re-run with --approved-by <approver> once approved.\n`,
      );
    }
    return r.exitCode;
  } finally {
    interrupts.dispose();
    await session.close();
  }
}

export function applyOptions(cmd: ReturnType<CAC['command']>): ReturnType<CAC['command']> {
  return planOptions(cmd)
    .option('--auto-approve', 'Skip the interactive confirmation')
    .option('--parallelism <n>', 'Concurrent actions (default 10)')
    .option('--lock-timeout <duration>', 'Wait this long for the state lock (default: state.lock_timeout, else 30s)')
    .option('--timeout <duration>', 'Per-action timeout (default 5m)');
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  applyOptions(verbCommand(cli, 'apply'))
    .option(
      '--approved-by <approvers>',
      'Approvers vouching for changes that need approval (comma-separated; default $CONTEXTFORGE_APPROVED_BY)',
    )
    .example('contextforge apply --auto-approve')
    .example('contextforge apply plan.json')
    .action((planfile: string | undefined, flags: ApplyFlags) => setExit(runApply(flags, planfile)));
};
