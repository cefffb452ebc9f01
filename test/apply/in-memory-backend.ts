// FAKE BACKEND FOR ENGINE UNIT TESTS ONLY (graph order, parallelism bound, retries, timeouts,
// held approvals, state recording). It keeps "resources" in a Map and never stands in for a
// real backend in acceptance tests: those run against the Docker engine (test/e2e/).

import type { ApplyContext, ApplyOutcome, Backend, BackendDescription } from '../../src/backends/backend.js';
import { NO_CAPABILITIES } from '../../src/model/capabilities.js';
import type { Result } from '../../src/diag/diagnostic.js';
import { defaultResourcePlan } from '../../src/model/resource-plan.js';
import type { Change, DesiredResource, ObservedResource } from '../../src/model/resources.js';

export interface Behaviour {
  /** ms an apply of this address takes. */
  delayMs?: number;
  /** An apply of this address lasts until this settles (a backend that hangs until the test lets go). */
  until?: Promise<void>;
  /** Fail the first N attempts with a retryable error. */
  transientFailures?: number;
  /** Always fail (not retryable). */
  fail?: boolean;
  /** Ignore the abort signal (to test the engine's own timeout). */
  ignoreAbort?: boolean;
}

export class InMemoryTestBackend implements Backend {
  readonly resources = new Map<string, ObservedResource>();
  readonly calls: { address: string; action: string; at: number }[] = [];
  readonly order: string[] = [];
  readonly behaviour = new Map<string, Behaviour>();
  inFlight = 0;
  maxInFlight = 0;
  observeCalls = 0;

  constructor(readonly name = 'mem') {}

  describe(): BackendDescription {
    return { name: this.name, kind: 'docker', capabilities: { ...NO_CAPABILITIES, supports_resource_limits: true } };
  }

  validate(): [] {
    return [];
  }

  async observe(stack: string): Promise<Result<ObservedResource[]>> {
    this.observeCalls += 1;
    return {
      value: [...this.resources.values()].filter((r) => r.native?.stack === stack).map((r) => structuredClone(r)),
      diags: [],
    };
  }

  plan(desired: DesiredResource | undefined, observed: ObservedResource | undefined): Change {
    return defaultResourcePlan(desired, observed, { inPlace: (p) => p.startsWith('scale.') });
  }

  async apply(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
    this.calls.push({ address: change.address, action: change.action, at: Date.now() });
    const b = this.behaviour.get(change.address) ?? {};
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (b.delayMs || b.until) {
        await new Promise<void>((resolve, reject) => {
          const t = b.until ? undefined : setTimeout(resolve, b.delayMs);
          void b.until?.then(resolve);
          if (!b.ignoreAbort)
            ctx.signal.addEventListener(
              'abort',
              () => {
                clearTimeout(t);
                reject(new Error('aborted'));
              },
              { once: true },
            );
        }).catch(() => undefined);
        if (ctx.signal.aborted && !b.ignoreAbort)
          return { status: 'failed', diags: [{ severity: 'error', code: 'test.aborted', summary: 'aborted' }] };
      }
      if (b.transientFailures && b.transientFailures > 0) {
        b.transientFailures -= 1;
        return {
          status: 'failed',
          retryable: true,
          diags: [{ severity: 'error', code: 'test.transient', summary: 'daemon busy' }],
        };
      }
      if (b.fail)
        return {
          status: 'failed',
          retryable: false,
          diags: [{ severity: 'error', code: 'test.failed', summary: `cannot ${change.action} ${change.address}` }],
        };
      ctx.progress('working');
      this.order.push(`${change.action}:${change.address}`);
      if (change.action === 'delete') {
        this.resources.delete(change.address);
        return { status: 'deleted', diags: [] };
      }
      const d = change.desired!;
      const o: ObservedResource = {
        address: d.address,
        runtime: d.runtime,
        backend: d.backend,
        specHash: d.specHash,
        live: structuredClone(d.spec) as unknown as ObservedResource['live'],
        status: 'running',
        native: { stack: ctx.stack },
      };
      this.resources.set(d.address, o);
      return { status: change.action === 'create' ? 'created' : 'updated', observed: o, diags: [] };
    } finally {
      this.inFlight -= 1;
    }
  }
}
