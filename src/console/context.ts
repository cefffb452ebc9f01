// What the console reads from: the served config (it changes on reload), the state store, the
// gateway's upstream status, and backends opened from the config for observe, logs and usage.
// Backends are opened lazily, once per config, and closed when the config changes or the
// console stops; the console never applies anything through them.

import type { Backend } from '../backends/backend.js';
import { closeBackends, createBackends } from '../backends/registry.js';
import type { LoadedConfig } from '../config/index.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { UpstreamStatus } from '../gateway/index.js';
import { makeRedactor, type Redactor } from '../plan/redact.js';
import type { StateStore } from '../state/store.js';

export interface SseStream {
  /** Sends one event; `id` lets a client resume. */
  send(event: string, data: unknown, id?: number): void;
  /** Aborted when the client goes away or the console stops. */
  signal: AbortSignal;
}

/** What the live stream follows (hub.ts); an interface here keeps the modules acyclic. */
export interface LiveFeed {
  follow(stream: SseStream, since: number | undefined): Promise<void>;
}

export interface ConsoleDeps {
  config: () => LoadedConfig;
  store: StateStore;
  gatewayStatus: () => UpstreamStatus[];
  /** Problems worth a line on stderr (never a secret: messages pass the redactor first). */
  warn?: (line: string) => void;
}

export class ConsoleContext {
  private opened:
    { config: LoadedConfig; backends: Promise<{ value: Record<string, Backend>; diags: Diagnostic[] }> } | undefined;
  private redactFor: { config: LoadedConfig; redact: Redactor } | undefined;

  /** Set by the console once it serves; SSE routes follow it. */
  hub: LiveFeed | undefined;

  constructor(readonly deps: ConsoleDeps) {}

  get config(): LoadedConfig {
    return this.deps.config();
  }

  get store(): StateStore {
    return this.deps.store;
  }

  /** The one redaction set: every value the config marks sensitive. */
  get redact(): Redactor {
    const config = this.config;
    if (this.redactFor?.config !== config) this.redactFor = { config, redact: makeRedactor(config.sensitiveValues) };
    return this.redactFor.redact;
  }

  /** The config's backends (opened on first use; reopened after a config change). */
  async backends(): Promise<{ value: Record<string, Backend>; diags: Diagnostic[] }> {
    const config = this.config;
    if (this.opened?.config !== config) {
      const old = this.opened;
      this.opened = {
        config,
        backends: createBackends(config.backends, {
          stack: config.stack,
          configDir: config.dir,
          sensitiveValues: config.sensitiveValues,
          github: config.github,
        }).then((r) => ({ value: r.value ?? {}, diags: r.diags })),
      };
      if (old) void old.backends.then((b) => closeBackends(b.value)).catch(() => undefined);
    }
    return this.opened.backends;
  }

  async close(): Promise<void> {
    const o = this.opened;
    this.opened = undefined;
    if (o) await closeBackends((await o.backends).value).catch(() => undefined);
  }
}
