// `contextforge logs <runtime>`: the runtime's log lines from its backend (--follow, --tail N,
// --build for build logs where the backend keeps them). Every line passes the redactor. Unlike
// the other verbs, -f means --follow here (as in `docker logs -f`); the config is --file.

import type { CAC } from 'cac';
import { error } from '../diag/diagnostic.js';
import { openOrReport, report, type CommonFlags } from './session-flags.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface LogsFlags extends CommonFlags {
  follow?: boolean;
  tail?: number | string;
  build?: boolean;
}

export async function runLogs(name: string, flags: LogsFlags): Promise<number> {
  const session = await openOrReport(flags);
  if (!session) return 1;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    const { config, backends, store } = session;
    const runtime = name.replace(/^runtime\./, '');
    const address = `runtime.${runtime}`;
    const backendName =
      config.runtimes.find((r) => r.name === runtime)?.backend ?? store.getRuntime(config.stack, address)?.backend;
    const backend = backendName ? backends[backendName] : undefined;
    if (!backend) {
      const known = config.runtimes.map((r) => r.name).join(', ') || '(none)';
      report(session, [
        error('logs.unknown-runtime', `stack ${config.stack} has no runtime ${runtime}`, {
          detail: `Known runtimes: ${known}.`,
        }),
      ]);
      return 1;
    }
    if (!backend.logs || !backend.describe().capabilities.supports_logs) {
      report(session, [
        error('logs.unsupported', `backend ${backendName} does not keep logs contextforge can read`, {
          detail: "Read them with the platform's own tools.",
        }),
      ]);
      return 1;
    }
    const seen = await backend.observe(config.stack);
    if (!seen.value) {
      report(session, seen.diags);
      return 1;
    }
    // Build logs outlive a failed build that never produced a container, so --build needs none.
    const observed =
      seen.value.find((o) => o.address === address) ??
      (flags.build ? { address, runtime, backend: backendName!, live: {}, status: 'missing' as const } : undefined);
    if (!observed || (observed.status === 'missing' && !flags.build)) {
      report(session, [
        error('logs.not-running', `runtime ${runtime} has no live resource on backend ${backendName}`, {
          detail: 'Run `contextforge apply` to create it.',
        }),
      ]);
      return 1;
    }
    const tail = flags.tail === undefined ? undefined : Number(flags.tail);
    for await (const line of backend.logs(observed, {
      follow: flags.follow,
      tail,
      build: flags.build,
      signal: controller.signal,
    })) {
      process.stdout.write(`${session.redact(line.replace(/\n$/, ''))}\n`);
    }
    return 0;
  } catch (err) {
    if (controller.signal.aborted) return 0;
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    await session.close();
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'logs')
    // As in `docker logs -f` and `kubectl logs -f`, -f follows here; the config is --file only.
    .option('-f, --follow', 'Keep printing new lines until interrupted')
    .option('--file <file>', 'Config file (default: ./contextforge.yaml; no -f here: -f is --follow)')
    .option('--tail <n>', 'Only the last N lines')
    .option('--build', 'Build logs instead of runtime logs, where the backend keeps them')
    .example('contextforge logs everything -f --tail 20')
    .action((runtime: string, flags: LogsFlags) => setExit(runLogs(runtime, flags)));
};
