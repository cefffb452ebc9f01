// Runs the CLI's own entry (src/cli/main.ts) inside the test process, capturing every byte it
// writes to stdout and stderr, with extra environment variables set for the run only and an
// empty redaction set at its start. Used by the hostile corpus and the mutation fuzz, which
// need thousands of runs and per-run bounds.

import { main } from '../../src/cli/main.js';
import { secrets } from '../../src/diag/redact.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** CPU time of the run (user + system), in milliseconds: steadier than wall time under load. */
  cpuMs: number;
  /** Peak RSS of the process seen at the end of the run minus the RSS at its start, in bytes. */
  peakRssGrowth: number;
}

type Write = typeof process.stdout.write;

export async function runCliInProcess(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(env)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  const chunks = { stdout: [] as string[], stderr: [] as string[] };
  const capture = (into: string[]): Write =>
    ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as Write;
  const out = process.stdout.write;
  const err = process.stderr.write;
  const rssBefore = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  // Each run starts with an empty redaction set, as a fresh process does: values left by earlier
  // runs would hide a leak that the real CLI shows (fuzz mutant s21, issue 12).
  secrets.clear();
  process.stdout.write = capture(chunks.stdout);
  process.stderr.write = capture(chunks.stderr);
  let code: number;
  try {
    code = await main(args);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const used = process.cpuUsage(cpu);
  return {
    code,
    stdout: chunks.stdout.join(''),
    stderr: chunks.stderr.join(''),
    cpuMs: (used.user + used.system) / 1000,
    peakRssGrowth: process.resourceUsage().maxRSS * 1024 - rssBefore,
  };
}

/** Bounds every run must keep (issue 12): CPU time and memory growth per run. */
export const RUN_CPU_MS = 2000;
export const RUN_RSS_BYTES = 200 * 1024 * 1024;

/** What must hold for any run's output, whatever the input: problems found, as sentences. */
export function outputProblems(run: CliRun, opts: { json: boolean; secrets: readonly string[] }): string[] {
  const problems: string[] = [];
  const all = run.stdout + run.stderr;
  if (run.code !== 0 && run.code !== 1) problems.push(`exit code ${run.code}`);
  if (/unexpected failure/.test(all)) problems.push('"unexpected failure" in output');
  if (/^\s+at .+:\d+:\d+\)?$/m.test(all)) problems.push('stack trace in output');
  if (opts.json) {
    try {
      JSON.parse(run.stdout);
    } catch {
      problems.push(`--json output is not JSON: ${JSON.stringify(run.stdout.slice(0, 200))}`);
    }
  }
  for (const s of opts.secrets) if (all.includes(s)) problems.push(`secret value ${JSON.stringify(s)} in output`);
  if (run.cpuMs > RUN_CPU_MS) problems.push(`run took ${run.cpuMs.toFixed(0)} ms of CPU (bound ${RUN_CPU_MS} ms)`);
  if (run.peakRssGrowth > RUN_RSS_BYTES)
    problems.push(`run grew the peak RSS by ${(run.peakRssGrowth / 1048576).toFixed(0)} MB (bound 200 MB)`);
  return problems;
}
