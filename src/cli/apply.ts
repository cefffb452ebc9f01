// `contextforge apply [PLANFILE]` (and the shared flow of `destroy`): lock the stack, plan (or
// check a saved plan against a fresh one), confirm, apply with progress lines, report. Exit 0
// applied, 1 error or partial failure, 3 changes held for approval.

import type { CAC } from 'cac';
import { existsSync } from 'node:fs';
import { error } from '../diag/diagnostic.js';
import { defaultColor } from '../diag/render.js';
import { applyPlan } from '../apply/engine.js';
import { takeLock } from '../apply/lock.js';
import { writeLockAfterApply } from '../host/lock-refresh.js';
import { checkSavedPlan, readSavedPlan } from '../apply/saved-plan.js';
import { hasChanges } from '../plan/diff.js';
import { renderText } from '../plan/render-text.js';
import { parseDurationMs } from '../config/index.js';
import type { Plan } from '../model/resources.js';
import { confirm } from './prompt.js';
import type { PlanDocument } from '../generated/plan.js';
import { configPath as defaultConfigPath, printDiagnostics } from './config-file.js';
import { openOrReport, planOptions, planWith, report, type CommonFlags } from './session-flags.js';
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

function summaryLine(plan: Plan, destroy: boolean, counts: Record<string, number>): string {
  if (destroy) return `Destroy complete! Resources: ${counts.deleted ?? 0} destroyed.`;
  return `Apply complete! Resources: ${counts.created ?? 0} created, ${counts.updated ?? 0} updated, ${plan.summary.replace ? `${plan.summary.replace} replaced, ` : ''}${counts.deleted ?? 0} destroyed.`;
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
  const session = await openOrReport(flags);
  if (!session) return 1;
  const { config, store } = session;
  const lockTimeout = durationFlag('lock-timeout', flags.lockTimeout ?? config.state?.lock_timeout, 30_000);
  if (lockTimeout instanceof Error) {
    process.stderr.write(`error[cli.bad-flag]: ${lockTimeout.message}\n`);
    await session.close();
    return 1;
  }
  const say = (line: string): void => {
    process.stdout.write(`${session.redact(line)}\n`);
  };
  const lock = await takeLock({
    store,
    stack: config.stack,
    operation: destroy ? 'destroy' : 'apply',
    timeoutMs: lockTimeout,
    note: say,
  });
  if (!lock.release) {
    report(session, [lock.diag!]);
    await session.close();
    return 1;
  }
  const interrupt = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts > 1) {
      process.stderr.write(
        'Second interrupt: exiting now; state may miss the actions still running (the next plan finds them).\n',
      );
      process.exit(130);
    }
    process.stderr.write('Interrupt received: no new actions start; waiting for running ones to finish...\n');
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const targets = saved?.targets?.length ? saved.targets : flags.target;
    const r = await planWith(session, { ...flags, target: targets, destroy });
    if (!r.plan) return 1;
    const plan = r.plan;
    if (saved) {
      const refusals = checkSavedPlan(saved, plan, planFile!, replanCommand(config.path, planFile!));
      if (refusals.length) {
        report(session, refusals);
        return 1;
      }
    } else {
      process.stdout.write(
        renderText(plan, { redact: session.redact, color: defaultColor(process.stdout), verbose: flags.verbose }),
      );
    }
    if (hasChanges(plan) && !saved && !flags.autoApprove) {
      const ok = await confirm(
        destroy
          ? `\nDo you really want to destroy every runtime of stack ${config.stack}?\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: `
          : `\nDo you want to perform these actions on stack ${config.stack}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `,
      );
      if (!ok) {
        report(session, [error('apply.cancelled', `${destroy ? 'Destroy' : 'Apply'} cancelled`)]);
        return 1;
      }
    }
    if (hasChanges(plan)) process.stdout.write('\n');
    // CI jobs set CONTEXTFORGE_APPROVED_BY from the pull request's approving reviewers; the flag wins.
    const approvedRaw = flags.approvedBy ?? process.env.CONTEXTFORGE_APPROVED_BY;
    const approvedBy = (Array.isArray(approvedRaw) ? approvedRaw : approvedRaw ? [approvedRaw] : [])
      .flatMap((a) => String(a).split(','))
      .map((a) => a.trim())
      .filter(Boolean);
    const result = await applyPlan({
      plan,
      backends: session.backends,
      store,
      parallelism,
      actionTimeoutMs: actionTimeout,
      approvedBy,
      onProgress: say,
      redact: session.redact,
      kind: destroy ? 'destroy' : 'apply',
      signal: interrupt.signal,
      meta: planFile ? { planFile } : undefined,
    });
    if (!destroy && result.exitCode !== 1) {
      for (const line of await writeLockAfterApply({ config, store, desired: r.desired })) say(line);
    }
    const counts: Record<string, number> = {};
    for (const x of result.results) counts[x.status] = (counts[x.status] ?? 0) + 1;
    if (result.diags.length) report(session, result.diags);
    if (result.exitCode === 1) {
      process.stdout.write(
        `\n${destroy ? 'Destroy' : 'Apply'} failed: ${(counts.failed ?? 0) + (counts.skipped ?? 0)} of ${result.results.length} actions did not complete; ${
          result.diags.some((d) => d.code === 'state.write-failed')
            ? 'the state store could not record every outcome (see above), so do not trust it until the next apply succeeds'
            : 'state records what did'
        }. Fix the cause and run it again.\n`,
      );
    } else if (hasChanges(plan) || !destroy) {
      process.stdout.write(
        `\n${hasChanges(plan) ? summaryLine(plan, destroy, counts) : 'No changes. The live state matches the configuration.'}\n`,
      );
    }
    const keptVolumes = plan.changes.flatMap((c) =>
      c.action === 'delete' &&
      !c.deleteVolumes &&
      result.results.some((x) => x.address === c.address && x.status === 'deleted')
        ? (c.observed?.volumes ?? [])
        : [],
    );
    if (keptVolumes.length)
      process.stdout.write(
        `Kept ${keptVolumes.length} data volume(s): ${keptVolumes.join(', ')}\n  \`contextforge destroy --delete-volumes\` removes them.\n`,
      );
    if (result.held.length) {
      const who = [
        ...new Set(
          plan.changes
            .filter((c) => result.held.includes(c.address))
            .flatMap((c) => c.approval?.approvers.flat() ?? []),
        ),
      ];
      process.stdout.write(
        `\n${result.held.length} change(s) held for approval: ${result.held.join(', ')}\n` +
          `  Approvers: ${who.join(', ') || 'anyone'}. Re-run with --approved-by <approver> once approved.\n`,
      );
    }
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    lock.release();
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
