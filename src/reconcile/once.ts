// A pass for long-running hosts (`up` and `watch`, driven by src/watch/loop.ts): load and
// validate the config from its path, then run the one pass auto-approved. An invalid config is
// reported and nothing is touched; what already runs keeps running. The session lives for one
// pass, so every pass sees the file as it is now.

import { openSession } from '../apply/session.js';
import type { LoadedConfig } from '../config/index.js';
import { hasErrors, type Diagnostic } from '../diag/diagnostic.js';
import { resolveLockTimeout, runPass, type PassOptions, type PassOutput, type PassResult } from './pass.js';

export interface ReconcileOptions
  extends PassOutput, Pick<PassOptions, 'destroy' | 'signal' | 'kind' | 'meta' | 'quiet' | 'gate' | 'onApplied'> {
  path: string;
  strict?: boolean;
  lockTimeoutMs?: number;
  /**
   * Long-running hosts: each warning is printed once per version of the config (a WarningGate of
   * host/warning-gate.ts; only its shape is named here, as host/ sits above reconcile/).
   */
  warnings?: {
    admit(fingerprint: string, diags: readonly Diagnostic[]): Diagnostic[];
    repeated(plan: string): boolean;
  };
}

export interface ReconcileResult extends Partial<PassResult> {
  /** The config that was loaded (undefined when it did not load). */
  config?: LoadedConfig;
  exitCode: 0 | 1 | 3;
  changed: boolean;
}

export async function reconcileOnce(options: ReconcileOptions): Promise<ReconcileResult> {
  const opened = await openSession({ path: options.path, strict: options.strict });
  if (!opened.session || hasErrors(opened.diags)) {
    options.report(opened.diags, opened.sensitive);
    await opened.session?.close();
    return { exitCode: 1, changed: false };
  }
  const session = opened.session;
  const config = session.config;
  try {
    const loaded = opened.diags.filter((d) => d.severity !== 'error');
    const warnings = options.warnings ? options.warnings.admit(config.fingerprint, loaded) : loaded;
    if (warnings.length) options.report(warnings, opened.sensitive);
    const lockTimeoutMs = options.lockTimeoutMs ?? resolveLockTimeout(undefined, config);
    if (typeof lockTimeoutMs !== 'number') {
      options.report([lockTimeoutMs], opened.sensitive);
      return { config, exitCode: 1, changed: false };
    }
    const r = await runPass({
      session,
      out: {
        say: options.say,
        report: options.report,
        color: options.color,
        repeated: options.warnings && ((plan: string) => options.warnings!.repeated(plan)),
      },
      destroy: options.destroy,
      kind: options.kind,
      strict: options.strict,
      lockTimeoutMs,
      signal: options.signal,
      meta: options.meta,
      quiet: options.quiet,
      gate: options.gate,
      onApplied: options.onApplied,
    });
    return { ...r, config };
  } finally {
    await session.close();
  }
}
