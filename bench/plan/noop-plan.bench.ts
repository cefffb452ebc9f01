// Benchmark: a no-op plan at N runtimes on the local Docker engine (default N = 10, 100, 1000;
// env BENCH_SIZES="100,1000" overrides). Prints wall time (median of 5) and the number of daemon
// API calls of the no-change path, which must not grow with N (observe uses list calls only).
// Populating uses contextforge's own apply. Never pass/fail; clean-up removes the stacks.
// N=1000 starts a thousand containers (about 7 minutes on 2 cores, several GB for their shims):
// run it on a machine nobody else is using at that moment.
// Run: node --import tsx bench/plan/noop-plan.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../src/apply/engine.js';
import { planStack } from '../../src/plan/stack.js';
import { openStateStore } from '../../src/state/sqlite.js';
import { uniqueName } from '../../test/support/docker.js';
import { cleanUpAndVerify } from '../support/cleanup.js';
import { BUSYBOX_IMAGE, ensureFixtureImages } from '../../test/support/images.js';
import { backendWith, countingDocker, median, sleepyConfig } from './support.js';

const sizes = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
await ensureFixtureImages();
const dir = mkdtempSync(join(tmpdir(), 'cf-bench-plan-'));
const rows: string[] = [];

for (const n of sizes) {
  const stack = uniqueName(`cfb${n}`);
  const store = openStateStore({ path: join(dir, `${stack}.db`) });
  const counting = countingDocker();
  const backend = await backendWith(counting.docker);
  try {
    const config = sleepyConfig(stack, n, BUSYBOX_IMAGE);
    const t0 = performance.now();
    const first = await planStack({ config, backends: { local: backend }, store });
    if (!first.plan) throw new Error(JSON.stringify(first.diags));
    const applied = await applyPlan({
      plan: first.plan,
      backends: { local: backend },
      store,
      parallelism: 16,
      actionTimeoutMs: 120_000,
    });
    const populateS = (performance.now() - t0) / 1000;
    if (applied.exitCode !== 0)
      throw new Error(
        `populating ${n} failed: ${applied.diags
          .slice(0, 3)
          .map((d) => d.summary)
          .join('; ')}`,
      );
    const walls: number[] = [];
    let calls: string[] = [];
    let changes = -1;
    for (let i = 0; i < 5; i++) {
      counting.reset();
      const t = performance.now();
      const p = await planStack({ config, backends: { local: backend }, store });
      walls.push(performance.now() - t);
      calls = [...counting.calls];
      changes = p.plan ? p.plan.changes.filter((c) => c.action !== 'noop').length : -1;
    }
    const noop = await applyPlan({
      plan: (await planStack({ config, backends: { local: backend }, store })).plan!,
      backends: { local: backend },
      store,
    });
    rows.push(
      `N=${String(n).padStart(4)}  no-op plan ${median(walls).toFixed(0).padStart(5)} ms (median of 5)  daemon calls ${calls.length} [${[...new Set(calls)].join(', ')}]  ` +
        `changes ${changes}  no-op apply backend writes ${noop.writeCalls}  (populate ${populateS.toFixed(1)} s)`,
    );
    process.stdout.write(`${rows[rows.length - 1]}\n`);
  } finally {
    // Bounded removal with retries, then a check that no container or shim of the stack is left.
    await cleanUpAndVerify(`stack ${stack}`, { 'dev.contextforge.stack': stack });
    await backend.close?.();
    store.close();
  }
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `\nNo-op plan, local Docker engine (targets: N=100 ≤ 1 s, N=1000 ≤ 3 s; calls constant in N)\n${rows.join('\n')}\n`,
);
