// Long-running hosts (`up`, `watch`) re-plan on every save and every drift check; a warning that
// was true a minute ago is still true, and printing it each pass buried everything else (watch
// printed the same three 16 times in 5 minutes). The gate lets each warning through once per
// version of the config: an edit (a new config fingerprint) shows the warnings that still apply
// once more. Errors always pass.

import type { Diagnostic } from '../diag/diagnostic.js';

export interface WarningGate {
  /** The diagnostics of a pass to print: errors, and warnings not yet printed for `fingerprint`. */
  admit(fingerprint: string, diags: readonly Diagnostic[]): Diagnostic[];
  /**
   * True when `plan` (its rendered text) is the one printed last: a pass retrying the same plan
   * prints it without the warnings already shown with it.
   */
  repeated(plan: string): boolean;
}

export function createWarningGate(): WarningGate {
  let current: string | undefined;
  let lastPlan: string | undefined;
  const printed = new Set<string>();
  return {
    repeated(plan) {
      const same = plan === lastPlan;
      lastPlan = plan;
      return same;
    },
    admit(fingerprint, diags) {
      if (fingerprint !== current) {
        current = fingerprint;
        printed.clear();
      }
      return diags.filter((d) => {
        if (d.severity === 'error') return true;
        const r = d.range;
        const key = [d.code, d.summary, d.address ?? '', r ? `${r.file}:${r.start.line}:${r.start.col}` : ''].join(
          '\0',
        );
        if (printed.has(key)) return false;
        printed.add(key);
        return true;
      });
    },
  };
}
