// What every state-changing or observing verb opens first: the loaded config, one Backend per
// configured backend (through the registry), the state store beside the config, and a redactor
// over the config's sensitive values. Closing releases sockets and the database.

import { isAbsolute, join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/index.js';
import { hasErrors, type Diagnostic } from '../diag/diagnostic.js';
import type { Backend } from '../backends/backend.js';
import { closeBackends, createBackends } from '../backends/registry.js';
import { makeRedactor, type Redactor } from '../plan/redact.js';
import { openStore, type OpenedStore, type StateLocation } from '../state/open.js';
import { describePgUrl } from '../state/postgres.js';
import { error } from '../diag/diagnostic.js';

export const DEFAULT_STATE_PATH = '.contextforge/state.db';

export interface Session {
  config: LoadedConfig;
  backends: Record<string, Backend>;
  store: OpenedStore;
  redact: Redactor;
  close(): Promise<void>;
}

export function statePath(config: LoadedConfig): string {
  const p = config.state?.path ?? DEFAULT_STATE_PATH;
  return isAbsolute(p) ? p : join(config.dir, p);
}

/** Where the config keeps its state: the SQLite file, or the PostgreSQL database of state.url. */
export function stateLocation(config: LoadedConfig): StateLocation {
  if (config.state?.backend === 'postgres' && config.state.url) return { backend: 'postgres', url: config.state.url };
  return { backend: 'sqlite', path: statePath(config) };
}

export interface OpenResult {
  session?: Session;
  diags: Diagnostic[];
  /** Sensitive values known even when loading failed (for printing the diagnostics). */
  sensitive: Set<string>;
}

export async function openSession(input: {
  path: string;
  strict?: boolean;
  backends?: boolean;
  /** `plan` may go without backend credentials (LoadOptions.optionalCredentials). */
  optionalCredentials?: boolean;
  /** `destroy` needs only the variables of what it destroys (LoadOptions.destroying). */
  destroying?: boolean;
}): Promise<OpenResult> {
  const loaded = await loadConfig(input.path, {
    strict: input.strict === true,
    optionalCredentials: input.optionalCredentials === true,
    destroying: input.destroying === true,
  });
  const sensitive = new Set<string>(loaded.sensitiveValues ?? []);
  if (!loaded.value || hasErrors(loaded.diags)) return { diags: loaded.diags, sensitive };
  const config = loaded.value;
  for (const v of config.sensitiveValues) sensitive.add(v);
  const redact = makeRedactor(sensitive);
  let backends: Record<string, Backend> = {};
  const diags: Diagnostic[] = [...loaded.diags];
  if (input.backends !== false) {
    const b = await createBackends(config.backends, {
      stack: config.stack,
      configDir: config.dir,
      sensitiveValues: sensitive,
      github: config.github,
    });
    diags.push(...b.diags);
    if (hasErrors(b.diags)) {
      await closeBackends(b.value ?? {});
      return { diags, sensitive };
    }
    backends = b.value ?? {};
  }
  let store: OpenedStore;
  const where = stateLocation(config);
  try {
    store = openStore(where, { redact });
  } catch (err) {
    await closeBackends(backends);
    const place =
      where.backend === 'postgres'
        ? `the PostgreSQL state store at ${describePgUrl(where.url)}`
        : `the state file ${where.path}`;
    diags.push(
      error('state.unavailable', `Cannot open ${place}`, {
        detail:
          where.backend === 'postgres'
            ? `${redact((err as Error).message)}. Check that the database answers and that state.url is right; nothing was changed.`
            : `${redact((err as Error).message)}. Nothing was changed. If the file is damaged, restore it from a backup, or run \`contextforge state rebuild\` (it moves the file aside and records what the backends run; history and approvals start empty). If its directory is not writable, fix the permissions.`,
      }),
    );
    return { diags, sensitive };
  }
  return {
    session: {
      config,
      backends,
      store,
      redact,
      close: async () => {
        await closeBackends(backends);
        store.close();
      },
    },
    diags,
    sensitive,
  };
}
