// Benchmark: daemon API calls and wall time of contextforge's own apply (engine + Docker backend,
// in process) creating N runtimes of the fixture everything image (streamable HTTP, open
// topology, warm image), counted with the counting client of support.ts. Prints calls by kind.
// Never pass/fail; clean-up removes the stack. The wall-clock comparison with docker-compose is
// apply-vs-compose.bench.ts; this one explains where the calls go.
// Run: node --import tsx bench/plan/apply-calls.bench.ts   (BENCH_RUNTIMES=20, PARALLELISM=10)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../src/apply/engine.js';
import { planStack } from '../../src/plan/stack.js';
import { openStateStore } from '../../src/state/sqlite.js';
import { buildConfig, entry, profile, runtime } from '../../test/plan/config-builder.js';
import { uniqueName } from '../../test/support/docker.js';
import { cleanUpAndVerify } from '../support/cleanup.js';
import { EVERYTHING_IMAGE, ensureFixtureImages } from '../../test/support/images.js';
import { backendWith, countingDocker } from './support.js';

const N = Number(process.env.BENCH_RUNTIMES ?? 20);
const parallelism = Number(process.env.PARALLELISM ?? 10);
await ensureFixtureImages();
const dir = mkdtempSync(join(tmpdir(), 'cf-bench-calls-'));
const stack = uniqueName('cfcalls');
const store = openStateStore({ path: join(dir, 'state.db') });
const counting = countingDocker();
const backend = await backendWith(counting.docker);
try {
  const config = buildConfig({
    stack,
    backends: { local: { type: 'docker', allow_local_images: true } },
    profiles: {
      open: profile('open', {
        network: { egress_allowed: true, ingress_ports: [3001] },
        resources: { max_memory: '256m', max_pids: 200 },
      }),
    },
    defaultProfile: 'open',
    catalog: [
      entry({
        name: 'Echo',
        slug: 'echo',
        source: { type: 'docker', image: EVERYTHING_IMAGE, args: ['streamableHttp'], pull: 'never' },
        transport: { type: 'streamable-http', port: 3001, path: '/mcp' },
      }),
    ],
    runtimes: Array.from({ length: N }, (_, i) =>
      runtime({ name: `r${String(i).padStart(2, '0')}`, catalog: 'echo', backend: 'local' }),
    ),
  });
  const planned = await planStack({ config, backends: { local: backend }, store });
  if (!planned.plan) throw new Error(JSON.stringify(planned.diags));
  counting.reset();
  const t = performance.now();
  const applied = await applyPlan({ plan: planned.plan, backends: { local: backend }, store, parallelism });
  const ms = performance.now() - t;
  if (applied.exitCode !== 0)
    throw new Error(
      `apply failed: ${applied.diags
        .slice(0, 3)
        .map((d) => `${d.summary} ${d.detail ?? ''}`)
        .join('; ')}`,
    );
  const byKind = new Map<string, number>();
  for (const c of counting.calls) {
    const k = c
      .replace(/\/containers\/[0-9a-f]{12,}/, '/containers/{id}')
      .replace(/\/containers\/cf-[^/]+/, '/containers/{name}')
      .replace(/\/images\/.+\/json$/, '/images/{ref}/json');
    byKind.set(k, (byKind.get(k) ?? 0) + 1);
  }
  process.stdout.write(
    `apply of ${N} new runtimes (parallelism ${parallelism}): ${(ms / 1000).toFixed(2)} s, ${counting.calls.length} daemon calls\n`,
  );
  for (const [k, n] of [...byKind.entries()].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`  ${String(n).padStart(5)}  ${k}\n`);
} finally {
  await cleanUpAndVerify(`stack ${stack}`, { 'dev.contextforge.stack': stack });
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
