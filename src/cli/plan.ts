// `contextforge plan`: compile the config, observe every backend, print the plan (text, JSON
// or markdown), optionally save it (-out FILE). Exit 0 no changes, 1 error, 2 changes with
// --detailed-exitcode. The helpers other verbs share live in session-flags.ts.

import type { CAC } from 'cac';
import { defaultColor } from '../diag/render.js';
import { writeSavedPlan } from '../apply/saved-plan.js';
import { hasChanges } from '../plan/diff.js';
import { renderJson } from '../plan/render-json.js';
import { renderMarkdown } from '../plan/render-markdown.js';
import { renderText } from '../plan/render-text.js';
import { openOrReport, planOptions, planWith, type CommonFlags } from './session-flags.js';
import { packageVersion, verbCommand, type VerbRegistrar } from './verb.js';

interface PlanFlags extends CommonFlags {
  json?: boolean;
  format?: string;
  detailedExitcode?: boolean;
  out?: string;
}

export async function runPlan(flags: PlanFlags): Promise<number> {
  const format = flags.json ? 'json' : (flags.format ?? 'text');
  if (!['text', 'json', 'markdown'].includes(format)) {
    process.stderr.write(`error[cli.bad-format]: unknown --format ${format}\n  use one of: text, json, markdown\n`);
    return 1;
  }
  // A plan may go without cloud credentials (a pull-request job): see LoadOptions.optionalCredentials.
  const session = await openOrReport(flags, true, format === 'json', true);
  if (!session) return 1;
  try {
    const r = await planWith(session, flags, format === 'json');
    if (!r.plan) return 1;
    const plan = r.plan;
    const redact = session.redact;
    // Per-resource errors (e.g. strict guardrails) were reported by planStack; print the rest.
    if (format === 'json') process.stdout.write(renderJson(plan, { redact, contextforgeVersion: packageVersion() }));
    else if (format === 'markdown') process.stdout.write(renderMarkdown(plan, { redact }));
    else
      process.stdout.write(renderText(plan, { redact, color: defaultColor(process.stdout), verbose: flags.verbose }));
    if (flags.out) {
      writeSavedPlan(flags.out, plan, {
        configPath: session.config.path,
        redact,
        contextforgeVersion: packageVersion(),
      });
      if (format === 'text') {
        process.stdout.write(
          `\nSaved the plan to ${flags.out}. To perform exactly these actions, run:\n    contextforge apply ${flags.out}\n`,
        );
      }
    }
    // A plan changes nothing, so history keeps it only when saved (-out): that file is what a
    // later `apply FILE` performs, and its row says when it was made.
    if (flags.out) {
      const run = session.store.startRun(session.config.stack, 'plan', { planFile: flags.out });
      session.store.finishRun(run, 'success', { ...plan.summary });
    }
    if (flags.detailedExitcode && hasChanges(plan)) return 2;
    return 0;
  } finally {
    await session.close();
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  planOptions(verbCommand(cli, 'plan'))
    .option('--json', 'Print the plan as JSON (schema/plan.schema.json)')
    .option('--format <format>', 'text | json | markdown', { default: undefined })
    .option('--detailed-exitcode', 'Exit 0 with no changes, 1 on error, 2 when there are changes')
    .option('-o, --out <file>', 'Save the plan for `contextforge apply FILE` (also -out FILE)')
    .example('contextforge plan -out plan.json && contextforge apply plan.json')
    .example('contextforge plan --format markdown > plan.md')
    .action((flags: PlanFlags) => setExit(runPlan(flags)));
};
