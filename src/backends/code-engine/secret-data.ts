// Secret data for observe when list answers leave it out. IBM's SDK marks `Secret.data` optional
// and its Terraform provider reads data only from a single-secret GET, so ownership marks and
// value digests cannot rely on `GET /secrets` items. Only secrets named like ours (a runtime's
// `-env` secret) are completed: from the data we last wrote when the entity tag still matches,
// else by one GET each. Holds values in memory only; never logs or returns them elsewhere.

import type { ProjectClient } from './client.js';
import type { Secret } from './types.js';

/** GETs in flight at once when completing a list (the transport pools 16 connections). */
const PARALLEL_GETS = 8;

export class SecretDataCache {
  private readonly known = new Map<string, { etag: string; data: Record<string, string> }>();
  /** GETs made so far (tests and benches read it). */
  gets = 0;

  /** Records what we wrote (or read) at this entity tag. */
  remember(name: string, etag: string | undefined, data: Record<string, string> | undefined): void {
    if (etag && data) this.known.set(name, { etag, data: { ...data } });
    else this.known.delete(name);
  }

  forget(name: string): void {
    this.known.delete(name);
  }

  /**
   * The list with `data` filled in for every generic secret `wanted` selects that lacks it. A
   * secret deleted between the list and its GET is dropped.
   */
  async complete(
    project: ProjectClient,
    secrets: readonly Secret[],
    wanted: (name: string) => boolean,
  ): Promise<Secret[]> {
    const out = [...secrets];
    const todo: number[] = [];
    out.forEach((s, i) => {
      if (s.data !== undefined || s.format !== 'generic' || !wanted(s.name)) return;
      const hit = this.known.get(s.name);
      if (hit && hit.etag === s.entity_tag) out[i] = { ...s, data: hit.data };
      else todo.push(i);
    });
    const gone = new Set<number>();
    for (let k = 0; k < todo.length; k += PARALLEL_GETS) {
      await Promise.all(
        todo.slice(k, k + PARALLEL_GETS).map(async (i) => {
          this.gets++;
          const got = await project.secrets.find(out[i].name);
          if (!got) {
            gone.add(i);
            this.forget(out[i].name);
            return;
          }
          this.remember(got.value.name, got.etag || got.value.entity_tag, got.value.data);
          out[i] = { ...out[i], ...got.value, data: got.value.data ?? {} };
        }),
      );
    }
    return out.filter((_, i) => !gone.has(i));
  }
}
