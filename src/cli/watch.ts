// `contextforge watch`: parse the flags, wire SIGINT/SIGTERM to a clean stop (cli/signals.ts), and hand over to
// src/watch/watch.ts. Exit 0 after a clean stop, 1 for bad flags or a repository that cannot be
// cloned. A second signal exits at once (130).

import type { CAC } from 'cac';
import type { Diagnostic } from '../diag/diagnostic.js';
import { defaultColor } from '../diag/render.js';
import { runWatch } from '../watch/watch.js';
import { printDiagnostics } from './config-file.js';
import { onInterrupt } from './signals.js';
import { duration, guardOptions, guardSettings, type GuardFlags, type GuardSettings } from './host-flags.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

export interface WatchFlags extends GuardFlags {
  file?: string;
  interval?: string | number;
  git?: string;
  branch?: string;
  path?: string;
  gitInterval?: string | number;
  debounce?: string | number;
  strict?: boolean;
}

export async function runWatchVerb(flags: WatchFlags): Promise<number> {
  const interval = duration('interval', flags.interval, 60_000);
  const gitInterval = duration('git-interval', flags.gitInterval, 30_000);
  const debounce = duration('debounce', flags.debounce, 200);
  const guard = guardSettings(flags);
  for (const v of [interval, gitInterval, debounce, guard]) {
    if (v instanceof Error) {
      process.stderr.write(`error[cli.bad-flag]: ${v.message}\n`);
      return 1;
    }
  }
  if (!flags.git && (flags.branch || flags.path || flags.gitInterval !== undefined)) {
    process.stderr.write('error[cli.bad-flag]: --branch, --path and --git-interval need --git <url>\n');
    return 1;
  }
  const interrupts = onInterrupt('finishing the action in flight, then stopping');
  try {
    return await runWatch({
      file: flags.file,
      git: flags.git
        ? { url: flags.git, branch: flags.branch ?? 'main', path: flags.path, intervalMs: gitInterval as number }
        : undefined,
      intervalMs: interval as number,
      debounceMs: debounce as number,
      ...(guard as GuardSettings),
      strict: flags.strict,
      say: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
      report: (diags: readonly Diagnostic[], sensitive: Iterable<string>) => printDiagnostics(diags, sensitive),
      color: defaultColor(process.stdout),
      signal: interrupts.signal,
    });
  } finally {
    interrupts.dispose();
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  const cmd = verbCommand(cli, 'watch')
    .option('-f, --file <file>', 'Config file (default ./contextforge.yaml; with --git, its name inside --path)')
    .option('--interval <duration>', 'Drift reconciliation interval (default 60s)')
    .option('--git <url>', 'Follow a git repository instead of a local file')
    .option('--branch <branch>', 'Branch to follow (default main)')
    .option('--path <dir>', 'Directory of the config inside the repository (default its root)')
    .option('--git-interval <duration>', 'How often to fetch the branch (default 30s)')
    .option('--debounce <duration>', 'Wait this long after the last save before planning (default 200ms)')
    .option('--strict', 'Treat guardrails a backend cannot enforce as errors');
  guardOptions(cmd)
    .example('contextforge watch --interval 30s')
    .example('contextforge watch --git https://git.example.com/ops/mcp.git --branch main --path stacks/prod')
    .action((flags: WatchFlags) => setExit(runWatchVerb(flags)));
};
