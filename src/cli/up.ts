// `contextforge up`: validate → apply (auto-approved) → serve → watch the config file and repair
// drift on an interval (as `watch`), retrying a failed apply with backoff, in one foreground
// process. A bad edit prints diagnostics and changes nothing; Ctrl-C lets the action
// in flight finish, releases the lock and stops the gateway; servers keep running unless
// --down-on-exit. Exit 1 when the first apply cannot even start (invalid config, lock held).

import type { CAC } from 'cac';
import type { LoadedConfig } from '../config/index.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import { defaultColor } from '../diag/render.js';
import { stateLocation } from '../apply/session.js';
import { watchConfig, type ConfigWatcher } from '../host/config-watch.js';
import { startHost, upstreamLines, type Host } from '../host/host.js';
import { reconcileOnce, type ReconcileResult } from '../reconcile/once.js';
import { createWarningGate } from '../host/warning-gate.js';
import { openStore } from '../state/open.js';
import { createNotifier } from '../approvals/notify.js';
import { chainHooks, deleteGuard, missingNote, mtimeQuietMs } from '../watch/guard.js';
import { createReconcileLoop } from '../watch/loop.js';
import { approvalHook, auditHook, pollApprovals, type ApprovalPoller } from '../watch/passes.js';
import { startCatalogRefresh, type CatalogRefresh } from '../watch/catalog-refresh.js';
import { duration, guardOptions, guardSettings, type GuardFlags } from './host-flags.js';
import { configPath, printDiagnostics } from './config-file.js';
import { verbCommand, type VerbRegistrar } from './verb.js';
import { portFlag, servingLines } from './serving.js';
import { onInterrupt } from './signals.js';

export interface UpFlags extends GuardFlags {
  file?: string;
  host?: string;
  port?: string | number;
  strict?: boolean;
  downOnExit?: boolean;
  watch?: boolean;
  autoApprove?: boolean;
  debounce?: string | number;
  interval?: string | number;
}

/** Longest `up` waits for upstreams to connect before it reports them. */
const SETTLE_MS = 20_000;

const say = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};
const report = (diags: readonly Diagnostic[], sensitive: Iterable<string>): void => printDiagnostics(diags, sensitive);

export async function runUp(flags: UpFlags): Promise<number> {
  const port = portFlag(flags.port);
  if (port instanceof Error) {
    process.stderr.write(`error[cli.bad-flag]: ${port.message}\n`);
    return 1;
  }
  const guard = guardSettings(flags);
  const debounce = duration('debounce', flags.debounce, 200);
  const interval = duration('interval', flags.interval, 60_000);
  for (const v of [guard, debounce, interval])
    if (v instanceof Error) {
      process.stderr.write(`error[cli.bad-flag]: ${v.message}\n`);
      return 1;
    }
  if (guard instanceof Error) return 1;
  const path = configPath(flags.file, true)!;
  const color = defaultColor(process.stdout);
  const interrupts = onInterrupt('finishing the action in flight, then stopping the gateway');
  const stopped = interrupts.stopped;

  let host: Host | undefined;
  let watcher: ConfigWatcher | undefined;
  let catalogs: CatalogRefresh | undefined;
  let store: ReturnType<typeof openStore> | undefined;
  let config: LoadedConfig | undefined;
  let settle: NodeJS.Timeout | undefined;
  const cancelSettle = (): void => {
    if (settle) clearTimeout(settle);
    settle = undefined;
  };
  const notifier = createNotifier({ log: (l) => say(l) });
  // The same gate and approval workflow as `watch`: deletes wait for a quiet file, keep data
  // volumes and can be turned off; held changes become approval requests (and webhooks).
  const hooks = chainHooks(
    deleteGuard({
      path,
      strict: flags.strict,
      ...guard,
      quietForMs: () => (watcher ? watcher.quietForMs() : mtimeQuietMs(config?.files ?? [path])),
      say,
      retryIn: (ms) => {
        cancelSettle();
        settle = setTimeout(() => loop.trigger('settle'), ms);
      },
    }),
    approvalHook({ notifier, say, configArg: flags.file }),
  );
  const warnings = createWarningGate();
  /** The file on disk did not load at the last pass; drift checks wait for the next save. */
  let invalid = false;
  let driftTimer: NodeJS.Timeout | undefined;
  const reconcile = (quiet = false): Promise<ReconcileResult> =>
    reconcileOnce({
      warnings,
      path,
      strict: flags.strict,
      quiet,
      signal: interrupts.signal,
      say,
      report,
      color,
      gate: hooks,
      onApplied: auditHook(),
    });
  // The shared reconcile loop: one pass at a time, saves during a pass coalesce into one more.
  const loop = createReconcileLoop({
    pass: async (triggers) => {
      if (triggers.has('config')) say(`\nConfig changed: re-planning ${path}`);
      else if (triggers.has('approval')) say(`\nAn approval was decided: re-planning ${path}`);
      // A drift check or a retry prints nothing when there is nothing to do.
      const quiet =
        !triggers.has('config') && !triggers.has('approval') && !triggers.has('settle') && !triggers.has('catalog');
      // Re-reporting the same broken file on every drift check helps nobody; the next save is planned.
      if (quiet && invalid) return;
      const r = await reconcile(quiet);
      if (!r.config) {
        invalid = true;
        say(
          'The config is not valid: nothing was changed; still serving the last applied state. Fix it and save again.',
        );
        return;
      }
      invalid = false;
      config = r.config;
      // A new sync_interval or source takes effect at once.
      catalogs?.reschedule();
      if (!host) return;
      if (host.gatewaySettingsChanged(config) && config.fingerprint !== refusedGateway) await restartGateway(config);
      else for (const note of await host.updateConfig(config)) say(`note: ${note}`);
      watcher?.setFiles(config.files);
      if (r.changed) {
        await host.refresh();
        await host.settled(SETTLE_MS);
        say('Serving:');
        for (const l of upstreamLines(host.status())) say(l);
      }
      // A runtime that did not start (or any failed action) is tried again, with backoff.
      return r.exitCode === 1 ? 'failed' : undefined;
    },
    onError: (e) => process.stderr.write(`error: unexpected failure in a reconcile pass: ${e.message}\n`),
    onRetry: (ms) => say(`The apply did not complete: retrying in ${Math.round(ms / 1000)}s.`),
  });

  /**
   * Gateway settings (virtual servers, auth, listen address, limits) changed under `up`: a new
   * gateway takes over with them, on the port the old one served when --port chose it. Clients
   * reconnect. If the new settings cannot be served, the old ones are served again.
   */
  let refusedGateway: string | undefined;
  const restartGateway = async (next: LoadedConfig): Promise<void> => {
    const old = host!;
    const previous = config!;
    const keepPort = port === undefined ? undefined : old.address?.port;
    await old.stop();
    host = undefined;
    const start = (c: LoadedConfig): ReturnType<typeof startHost> =>
      startHost({
        config: c,
        store: store!,
        mode: 'http',
        host: flags.host,
        port: keepPort,
        log: (l) => void process.stderr.write(`${l}\n`),
        sensitive: c.sensitiveValues,
      });
    let started = await start(next);
    if (!started.value) {
      report(started.diags, next.sensitiveValues);
      say('The new gateway settings cannot be served: serving the previous ones again until the next change.');
      refusedGateway = next.fingerprint;
      started = await start(previous);
      if (!started.value) {
        report(started.diags, previous.sensitiveValues);
        say('error: the gateway could not be started again; restart `contextforge up`.');
        return;
      }
    } else say('Gateway settings changed: the gateway restarted with them (clients reconnect).');
    host = started.value;
    await host.refresh();
    await host.settled(SETTLE_MS);
    for (const l of servingLines(host, store!.listRuntimes(next.stack).length)) say(l);
    for (const l of upstreamLines(host.status())) say(l);
  };

  let approvals: ApprovalPoller | undefined;
  try {
    say(`contextforge up: applying ${path}`);
    const first = await reconcile();
    // Nothing could be applied (invalid config, lock held, backend unreachable): a plain error.
    // A partial apply still serves what did start; a pass the guard held back serves what runs.
    if (!first.config || (!first.apply && !first.skipped)) return 1;
    if (interrupts.signal.aborted) return first.exitCode;
    config = first.config;

    store = openStore(stateLocation(config));
    const started = await startHost({
      config,
      store,
      mode: 'http',
      host: flags.host,
      port,
      log: (l) => void process.stderr.write(`${l}\n`),
      sensitive: config.sensitiveValues,
    });
    if (!started.value) {
      report(started.diags, config.sensitiveValues);
      return 1;
    }
    host = started.value;
    await host.refresh();
    const h = host;
    // "Listening" should mean usable: give each upstream its first connection attempt.
    await h.settled(SETTLE_MS);
    for (const l of servingLines(h, store.listRuntimes(config.stack).length)) say(l);
    for (const l of upstreamLines(h.status())) say(l);
    say(
      `Point a client at it: contextforge client-config <claude-desktop|vscode|cursor|claude-code|inspector> [--write]${flags.file ? ` -f ${flags.file}` : ''}`,
    );
    if (first.exitCode === 1) loop.failedOutside();
    // The same periodic pass as `watch`: a container killed or removed by hand comes back.
    driftTimer = setInterval(() => loop.trigger('drift'), interval as number);
    // Decisions made with `contextforge approvals` run a pass at once.
    approvals = pollApprovals({
      store: () => store,
      stack: () => config?.stack,
      onDecided: () => loop.trigger('approval'),
    });
    // catalog_sources with a sync_interval are synced (pin: false) or checked (pinned) while we run.
    catalogs = startCatalogRefresh({
      path,
      say,
      report: (diags) => report(diags, config?.sensitiveValues ?? []),
      written: (f) => watcher?.acknowledge(f),
      onChanged: () => loop.trigger('catalog'),
      record: (type, data) => {
        if (store && config) store.appendEvent({ stack: config.stack, actor: 'catalog-sync', type, data });
      },
    });

    if (flags.watch !== false) {
      watcher = watchConfig({
        files: config.files,
        debounceMs: debounce as number,
        onChange: ({ missing }) => {
          // A newer version supersedes a pass that waited for the old one to settle.
          cancelSettle();
          if (missing.length) say(missingNote(missing));
          else loop.trigger('config');
        },
        onError: (e) => process.stderr.write(`warning: watching the config failed: ${e.message}\n`),
      });
      await watcher.ready;
      say(
        `Watching ${path} for changes. Press Ctrl-C to stop${flags.downOnExit ? ' (runtimes will be removed)' : ' (servers keep running; --down-on-exit removes them)'}.`,
      );
      await stopped;
      await watcher.close();
      watcher = undefined;
    } else {
      say('Press Ctrl-C to stop.');
      await stopped;
    }
    cancelSettle();
    clearInterval(driftTimer);
    approvals.stop();
    await catalogs.stop();
    await loop.stop();

    await host.stop();
    host = undefined;
    if (flags.downOnExit) {
      say('Removing the runtimes of this stack (--down-on-exit)...');
      const down = await reconcileOnce({ path, strict: flags.strict, destroy: true, say, report, color });
      if (down.exitCode !== 0) return 1;
    } else {
      say('Gateway stopped; servers keep running (`contextforge destroy` removes them).');
    }
    return 0;
  } finally {
    interrupts.dispose();
    cancelSettle();
    clearInterval(driftTimer);
    approvals?.stop();
    await catalogs?.stop();
    await watcher?.close();
    await loop.stop();
    await notifier.drain(true);
    await host?.stop();
    store?.close();
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  const cmd = verbCommand(cli, 'up')
    .option('-f, --file <path>', 'Config file (default ./contextforge.yaml)')
    .option('--host <address>', 'Gateway listen address (default gateway.host, else 127.0.0.1)')
    .option('--port <port>', 'Gateway listen port (default gateway.port, else 4444; 0 picks a free one)')
    .option('--strict', 'Treat guardrails the backend cannot enforce as errors')
    .option('--down-on-exit', 'Remove every runtime of the stack when stopping')
    .option('--no-watch', 'Apply and serve once; do not watch the config file')
    .option('--auto-approve', 'Accepted for symmetry with apply; up always applies without asking')
    .option('--debounce <duration>', 'Wait this long after the last save before planning (default 200ms)')
    .option('--interval <duration>', 'Drift check interval: repair what was stopped or removed by hand (default 60s)');
  guardOptions(cmd)
    .example('contextforge up')
    .example('contextforge up -f stacks/dev.yaml --port 0 --down-on-exit')
    .action((flags: UpFlags) => setExit(runUp(flags)));
};
