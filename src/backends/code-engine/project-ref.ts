// Which Code Engine project a backend's `project_id` names: a UUID as is, otherwise looked up by
// name once (a failed lookup is retried on the next call). Owns that one answer; it never
// creates a project.

import { error, type Result } from '../../diag/diagnostic.js';
import { DiagnosticError } from '../../diag/error.js';
import type { CodeEngineBackend } from '../../generated/config.js';
import type { CodeEngineClient, ProjectClient } from './client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ProjectRef {
  private pending: Promise<Result<string>> | undefined;

  constructor(
    private readonly backendName: string,
    private readonly config: CodeEngineBackend,
    private readonly client: CodeEngineClient,
  ) {}

  /** The project id, or a diagnostic when no project of that name exists in the region. */
  id(): Promise<Result<string>> {
    this.pending ??= this.lookup().catch((err: unknown) => {
      this.pending = undefined;
      throw err;
    });
    return this.pending;
  }

  /** A client scoped to the project; throws an error carrying the diagnostics when there is none. */
  async projectClient(): Promise<ProjectClient> {
    const id = await this.id();
    if (!id.value) throw new DiagnosticError(id.diags);
    return this.client.project(id.value);
  }

  private async lookup(): Promise<Result<string>> {
    const { config } = this;
    if (UUID.test(config.project_id)) return { value: config.project_id, diags: [] };
    const p = await this.client.findProjectByName(config.project_id);
    if (!p) {
      return {
        diags: [
          error(
            'ce.project-not-found',
            `Code Engine project ${config.project_id} of backend ${this.backendName} does not exist in ${config.region}`,
            {
              detail:
                'Set project_id to the id or the exact name of an existing project in that region (ibmcloud ce project list).',
            },
          ),
        ],
      };
    }
    return { value: p.id, diags: [] };
  }
}
