// Guardrail controls a backend cannot enforce, as plan diagnostics: the seed's "warning naming
// the control and the backend" behaviour, errors when the profile or --strict says so. The
// table of what each backend enforces lives once, in src/config/compat.ts; this only words it.

import type { BackendCapabilities } from '../model/capabilities.js';
import { unenforcedControls } from '../config/compat.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { GuardrailProfile } from '../generated/config.js';

export function unenforcedDiagnostics(input: {
  address: string;
  backend: string;
  backendType: string;
  profileName: string;
  profile: GuardrailProfile;
  capabilities: BackendCapabilities;
  strict: boolean;
}): Diagnostic[] {
  return unenforcedControls(input.profile, input.capabilities, input.backendType)
    .filter((c) => c.lossy)
    .map((c) => ({
      severity: input.strict ? 'error' : 'warning',
      code: 'guardrail.unenforced',
      summary: `${c.control} of profile ${input.profileName} is not enforced on backend ${input.backend} (${input.backendType}): ${c.note}`,
      detail: input.strict
        ? 'The profile or --strict makes unenforceable controls errors: choose a backend that enforces the control, or a profile that does not ask for it.'
        : 'The runtime runs without this control. Set strict: true on the profile (or pass --strict) to refuse instead.',
      address: input.address,
    }));
}
