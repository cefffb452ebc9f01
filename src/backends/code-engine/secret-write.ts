// Writing one runtime's generic secret (its secret env values and our stack mark): created when
// missing, replaced with If-Match only when its data differs, refused when a secret of that name
// lacks our mark. What it wrote is remembered in the SecretDataCache; it never logs a value.

import { error } from '../../diag/diagnostic.js';
import { DiagnosticError } from '../../diag/error.js';
import type { ProjectClient } from './client.js';
import { SECRET_STACK_KEY } from './names.js';
import { isOwnedSecret } from './observe.js';
import type { SecretDataCache } from './secret-data.js';

export interface EnsureSecretInput {
  project: ProjectClient;
  cache: SecretDataCache;
  name: string;
  /** The secret's data, our mark (SECRET_STACK_KEY) included. */
  data: Record<string, string>;
  address: string;
}

export async function ensureSecret(input: EnsureSecretInput): Promise<void> {
  const { project, cache, name, data, address } = input;
  const found = await project.secrets.find(name);
  if (found && !isOwnedSecret(found.value, data[SECRET_STACK_KEY])) {
    throw new DiagnosticError(
      error('ce.name-taken', `Code Engine secret ${name} exists but was not created by this stack`, {
        address,
        detail: 'Rename or delete that secret yourself; contextforge never touches secrets without its mark.',
      }),
    );
  }
  if (!found) {
    const r = await project.secrets.create({ name, format: 'generic', data });
    if (r.outcome !== 'existing') {
      cache.remember(name, r.etag || r.value.entity_tag, data);
      return;
    }
  }
  const r = await project.secrets.replaceWithRetryOn412(name, (cur) =>
    sameData(cur.data, data) ? null : { format: 'generic', data },
  );
  cache.remember(name, r.etag || r.value.entity_tag, data);
}

function sameData(cur: Record<string, string> | undefined, data: Record<string, string>): boolean {
  const a = Object.keys(cur ?? {}).sort();
  const b = Object.keys(data).sort();
  return a.length === b.length && a.every((k, i) => k === b[i] && cur![k] === data[k]);
}
