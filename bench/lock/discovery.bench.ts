// Benchmark (issue 13): plan time with tool-surface discovery vs without (`--no-discover`), for
// 1 and 10 runtimes whose artifact is not in the lock, in the same run: planStack plus artifact
// resolution (the --no-discover path) against the same plus discoverSurfaces (sandboxes of the
// everything fixture, Streamable HTTP through the loopback bridge, 4 at a time). Prints medians
// and the ratio. Never pass/fail. Run: node --import tsx bench/lock/discovery.bench.ts (ROUNDS=3)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveArtifacts } from '../../src/backends/artifacts.js';
import { createBackends, closeBackends } from '../../src/backends/registry.js';
import { discoverSurface } from '../../src/backends/sandbox.js';
import { planStack } from '../../src/plan/stack.js';
import { discoverSurfaces } from '../../src/plan/surface.js';
import { openStateStore } from '../../src/state/sqlite.js';
import { buildConfig, entry, profile, runtime } from '../../test/plan/config-builder.js';
import { uniqueName } from '../../test/support/docker.js';
import { EVERYTHING_IMAGE, ensureFixtureImages } from '../../test/support/images.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
await ensureFixtureImages();
const dir = mkdtempSync(join(tmpdir(), 'cf-bench-discovery-'));
const store = openStateStore({ path: join(dir, 'state.db') });

function configFor(n: number): ReturnType<typeof buildConfig> {
  return buildConfig({
    stack: uniqueName('cfdisc'),
    backends: { local: { type: 'docker', allow_local_images: true } },
    profiles: { open: profile('open', { network: { egress_allowed: true, ingress_ports: [3001] } }) },
    defaultProfile: 'open',
    catalog: [
      entry({
        name: 'Everything',
        slug: 'ev',
        source: { type: 'docker', image: EVERYTHING_IMAGE, args: ['streamableHttp'], pull: 'never' },
        transport: { type: 'streamable-http', port: 3001, path: '/mcp' },
      }),
    ],
    runtimes: Array.from({ length: n }, (_, i) => runtime({ name: `r${i}`, catalog: 'ev', backend: 'local' })),
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  for (const n of [1, 10]) {
    const config = configFor(n);
    const made = await createBackends(config.backends, {
      stack: config.stack,
      configDir: dir,
      sensitiveValues: new Set(),
    });
    const backends = made.value!;
    const once = async (discover: boolean): Promise<number> => {
      const t = performance.now();
      const r = await planStack({ config, backends, store });
      if (!r.plan) throw new Error(JSON.stringify(r.diags));
      const pins = await resolveArtifacts(r.desired, { backends: config.backends });
      const reports = await discoverSurfaces({
        plan: r.plan,
        desired: r.desired,
        pins,
        discover: discover ? (d) => discoverSurface(d, { backends: config.backends, configDir: dir }) : undefined,
      });
      const ms = performance.now() - t;
      if (discover && reports.some((x) => !x.diff))
        throw new Error(`discovery failed: ${reports.map((x) => x.note).join('; ')}`);
      return ms;
    };
    await once(false); // warm-up (module loading, first daemon calls, the edge image)
    await once(true);
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      off.push(await once(false));
      on.push(await once(true));
    }
    const a = median(off);
    const b = median(on);
    process.stdout.write(
      `${n} changed runtime(s): plan --no-discover ${a.toFixed(0)} ms, plan with discovery ${b.toFixed(0)} ms, ratio ${(b / a).toFixed(1)}x (median of ${ROUNDS})\n`,
    );
    await closeBackends(backends);
  }
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
