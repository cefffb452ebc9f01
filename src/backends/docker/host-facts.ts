// Facts of the Docker host a backend talks to, as opposed to facts of the backend kind: whether
// the engine has AppArmor (read once from `docker info`, retried after a failed read), and the
// unenforced-control diagnostics that follow from it. backend.ts and lifecycle.ts share one.

import type Dockerode from 'dockerode';
import type { Diagnostic } from '../../diag/diagnostic.js';
import type { DesiredResource } from '../../model/resources.js';
import { unenforcedDiagnostic } from '../../config/index.js';

export class HostFacts {
  private infoRead: Promise<void> | undefined;

  constructor(
    private readonly docker: Dockerode,
    /** The backend's name in the config. */
    private readonly name: string,
    /** Where the engine is, for messages (client.ts whereOf). */
    private readonly where: string,
    /** Whether the engine has AppArmor until `docker info` says otherwise. */
    public apparmor: boolean,
  ) {}

  readInfo(): Promise<void> {
    this.infoRead ??= this.docker.info().then(
      (info: { SecurityOptions?: string[] }) => {
        this.apparmor = (info.SecurityOptions ?? []).some((o) => o.includes('name=apparmor'));
      },
      () => {
        this.infoRead = undefined;
      },
    );
    return this.infoRead;
  }

  /**
   * AppArmor is a fact of the host the engine runs on, not of the backend kind (whose table says
   * Docker supports it): runtimes asking for a profile on an engine without AppArmor get the one
   * unenforced-control diagnostic, worded by config/compat.ts like every other.
   */
  noAppArmorOn(desired: readonly DesiredResource[]): Diagnostic[] {
    if (this.apparmor) return [];
    return desired
      .filter(
        (d) => d.backend === this.name && d.spec.guardrails.apparmor && d.spec.guardrails.apparmor !== 'unconfined',
      )
      .map((d) =>
        unenforcedDiagnostic({
          control: 'apparmor',
          note: `the Docker engine at ${this.where} has no AppArmor`,
          profileName: d.spec.guardrails.profile,
          backendName: this.name,
          backendType: 'docker',
          strict: d.spec.guardrails.strict,
          address: d.address,
          range: d.range,
        }),
      );
  }
}
