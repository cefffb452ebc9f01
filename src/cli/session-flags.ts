// Helpers the stack verbs (plan, apply, destroy, status, logs, state, approvals) share: the
// common flags (-f, --strict, --target), opening a session or printing why not, and planning
// with it. Owns no verb; a verb module imports this one, never another verb's module.

import { GATEWAY_DEPLOY_ADDRESS } from '../model/resources.js';
import type { Command } from 'cac';
import { hasErrors, type Diagnostic } from '../diag/diagnostic.js';
import { planStack, type PlanStackResult } from '../plan/stack.js';
import { openSession, type Session } from '../apply/session.js';
import { configPath, DEFAULT_CONFIG, printDiagnostics, printJson } from './config-file.js';
import { addSurfaces } from '../plan/stack-surfaces.js';

export interface CommonFlags {
  file?: string;
  strict?: boolean;
  target?: string | string[];
  verbose?: boolean;
  /** cac's `--no-discover`: false skips tool-surface discovery in sandboxes. */
  discover?: boolean;
}

export function targetsOf(flags: CommonFlags): string[] | undefined {
  if (flags.target === undefined) return undefined;
  const list = (Array.isArray(flags.target) ? flags.target : [flags.target])
    .flatMap((t) => String(t).split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  return list.map((t) => (t.startsWith('runtime.') || t === GATEWAY_DEPLOY_ADDRESS ? t : `runtime.${t}`));
}

/** Opens the session or prints why not; the caller returns 1 when undefined. */
export async function openOrReport(
  flags: CommonFlags,
  backends = true,
  json = false,
  optionalCredentials = false,
  destroying = false,
): Promise<Session | undefined> {
  const path = configPath(flags.file, true)!;
  const r = await openSession({ path, strict: flags.strict, backends, optionalCredentials, destroying });
  if (!r.session || hasErrors(r.diags)) {
    // With --json the failure is JSON on stdout too, so that CI parses one format.
    if (json) printJson(r.diags, r.sensitive);
    else printDiagnostics(r.diags, r.sensitive);
    await r.session?.close();
    return undefined;
  }
  printDiagnostics(
    r.diags.filter((d) => d.severity !== 'error'),
    r.sensitive,
  );
  return r.session;
}

export function report(session: Session, diags: readonly Diagnostic[], json = false): void {
  if (json) printJson(diags, session.config.sensitiveValues);
  else printDiagnostics(diags, session.config.sensitiveValues);
}

/** Plans with the session; prints diagnostics when no plan results. */
export async function planWith(
  session: Session,
  flags: CommonFlags & { destroy?: boolean; deleteVolumes?: boolean },
  json = false,
): Promise<PlanStackResult> {
  const r = await planStack({
    config: session.config,
    backends: session.backends,
    store: session.store,
    targets: targetsOf(flags),
    strict: flags.strict,
    destroy: flags.destroy,
    deleteVolumes: flags.deleteVolumes,
  });
  if (!r.plan) report(session, r.diags, json);
  else if (!flags.destroy) {
    const diags = await addSurfaces({
      config: session.config,
      plan: r.plan,
      desired: r.desired,
      discover: flags.discover !== false,
    });
    if (diags.length) report(session, diags, json);
  }
  return r;
}

export function planOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <file>', `Config file (default: ./${DEFAULT_CONFIG})`)
    .option('--strict', 'Treat guardrails a backend cannot enforce as errors')
    .option('--target <address>', 'Limit to runtime.<name> (repeatable) and what it depends on')
    .option('--verbose', "List every field of a created runtime, its profile's values and defaults too")
    .option('--no-discover', 'Do not start changed artifacts in a sandbox to show their tool-surface diff');
}
