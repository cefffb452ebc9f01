// `contextforge plan`: compile the config, observe every backend, print the plan (text, JSON
// or markdown), optionally save it (-out FILE). Exit 0 no changes, 1 error, 2 changes with
// --detailed-exitcode. Also the helpers the apply/destroy/status verbs share.

import type { CAC } from 'cac';
import { hasErrors, type Diagnostic } from '../diag/diagnostic.js';
import { defaultColor } from '../diag/render.js';
import { planStack, type PlanStackResult } from '../apply/engine.js';
import { writeSavedPlan } from '../apply/saved-plan.js';
import { openSession, type Session } from '../apply/session.js';
import { hasChanges } from '../plan/diff.js';
import { renderJson } from '../plan/render-json.js';
import { renderMarkdown } from '../plan/render-markdown.js';
import { renderText } from '../plan/render-text.js';
import { configPath, DEFAULT_CONFIG, printDiagnostics, printJson } from './config-file.js';
import { packageVersion, type VerbRegistrar } from './main.js';

export interface CommonFlags {
  file?: string;
  strict?: boolean;
  target?: string | string[];
}

interface PlanFlags extends CommonFlags {
  json?: boolean;
  format?: string;
  detailedExitcode?: boolean;
  out?: string;
}

export function targetsOf(flags: CommonFlags): string[] | undefined {
  if (flags.target === undefined) return undefined;
  const list = (Array.isArray(flags.target) ? flags.target : [flags.target]).flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter(Boolean);
  return list.map((t) => (t.startsWith('runtime.') ? t : `runtime.${t}`));
}

/** Opens the session or prints why not; the caller returns 1 when undefined. */
export async function openOrReport(flags: CommonFlags, backends = true, json = false): Promise<Session | undefined> {
  const path = configPath(flags.file, true)!;
  const r = await openSession({ path, strict: flags.strict, backends });
  if (!r.session || hasErrors(r.diags)) {
    // With --json the failure is JSON on stdout too, so that CI parses one format.
    if (json) printJson(r.diags, r.sensitive);
    else printDiagnostics(r.diags, r.sensitive);
    await r.session?.close();
    return undefined;
  }
  printDiagnostics(r.diags.filter((d) => d.severity !== 'error'), r.sensitive);
  return r.session;
}

export function report(session: Session, diags: readonly Diagnostic[], json = false): void {
  if (json) printJson(diags, session.config.sensitiveValues);
  else printDiagnostics(diags, session.config.sensitiveValues);
}

/** Plans with the session; prints diagnostics when no plan results. */
export async function planWith(session: Session, flags: CommonFlags & { destroy?: boolean }, json = false): Promise<PlanStackResult> {
  const r = await planStack({ config: session.config, backends: session.backends, store: session.store, targets: targetsOf(flags), strict: flags.strict, destroy: flags.destroy });
  if (!r.plan) report(session, r.diags, json);
  return r;
}

export async function runPlan(flags: PlanFlags): Promise<number> {
  const format = flags.json ? 'json' : (flags.format ?? 'text');
  if (!['text', 'json', 'markdown'].includes(format)) {
    process.stderr.write(`error[cli.bad-format]: unknown --format ${format}\n  use one of: text, json, markdown\n`);
    return 1;
  }
  const session = await openOrReport(flags, true, format === 'json');
  if (!session) return 1;
  try {
    const r = await planWith(session, flags, format === 'json');
    if (!r.plan) return 1;
    const plan = r.plan;
    const redact = session.redact;
    // Per-resource errors (e.g. strict guardrails) were reported by planStack; print the rest.
    if (format === 'json') process.stdout.write(renderJson(plan, { redact, contextforgeVersion: packageVersion() }));
    else if (format === 'markdown') process.stdout.write(renderMarkdown(plan, { redact }));
    else process.stdout.write(renderText(plan, { redact, color: defaultColor(process.stdout) }));
    if (flags.out) {
      writeSavedPlan(flags.out, plan, { configPath: session.config.path, redact, contextforgeVersion: packageVersion() });
      if (format === 'text') {
        process.stdout.write(`\nSaved the plan to ${flags.out}. To perform exactly these actions, run:\n    contextforge apply ${flags.out}\n`);
      }
    }
    session.store.finishRun(session.store.startRun(session.config.stack, 'plan'), 'success', { ...plan.summary });
    if (flags.detailedExitcode && hasChanges(plan)) return 2;
    return 0;
  } finally {
    await session.close();
  }
}

export function planOptions(cmd: ReturnType<CAC['command']>): ReturnType<CAC['command']> {
  return cmd
    .option('-f, --file <file>', `Config file (default: ./${DEFAULT_CONFIG})`)
    .option('--strict', 'Treat guardrails a backend cannot enforce as errors')
    .option('--target <address>', 'Limit to runtime.<name> (repeatable) and what it depends on');
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  planOptions(cli.command('plan', 'Show what apply would change (desired config vs live state)'))
    .option('--json', 'Print the plan as JSON (schema/plan.schema.json)')
    .option('--format <format>', 'text | json | markdown', { default: undefined })
    .option('--detailed-exitcode', 'Exit 0 with no changes, 1 on error, 2 when there are changes')
    .option('-o, --out <file>', 'Save the plan for `contextforge apply FILE` (also -out FILE)')
    .example('contextforge plan -out plan.json && contextforge apply plan.json')
    .example('contextforge plan --format markdown > plan.md')
    .action((flags: PlanFlags) => setExit(runPlan(flags)));
};
