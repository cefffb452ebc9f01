// Benchmark: a github source rebuilt after a one-line change (Docker's layer cache warm: only the
// last COPY layer is new) vs a cold build (a Dockerfile change right after FROM invalidates every
// later layer), in the same run, alternating cold/warm. Each round is a real plan + apply
// (resolve, clone, build, replace, MCP health); the build phase is timed from the apply's own
// progress lines (clone start → `built`). Prints medians and the ratio; never pass/fail.
// Run: node --import tsx bench/sources/rebuild.bench.ts   (ROUNDS=3 by default)
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from '../../test/support/docker.js';
import { ensureFixtureImages } from '../../test/support/images.js';
import { DockerStack, FIXTURES, LocalRepo } from '../../test/sources/harness.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  await ensureFixtureImages();
  const base = mkdtempSync(join(tmpdir(), 'cf-bench-rebuild-'));
  mkdirSync(join(base, 'acme', 'srv'), { recursive: true });
  const repo = new LocalRepo(join(base, 'acme', 'srv'));
  await repo.init();
  const stack = new DockerStack();
  const slug = `bench-rebuild-${stack.stack.slice(-6)}`;
  const dockerfile = readFileSync(join(FIXTURES, 'Dockerfile'), 'utf8');
  const server = readFileSync(join(FIXTURES, 'server.mjs'), 'utf8');
  const results = {
    cold: { apply: [] as number[], build: [] as number[] },
    warm: { apply: [] as number[], build: [] as number[] },
  };
  try {
    await stack.load(
      [
        `github: { base_url: ${JSON.stringify(base)} }`,
        'backends:',
        '  local: { type: docker }',
        'catalog:',
        `  - { name: Bench, slug: ${slug}, source: { type: github, repo: acme/srv, branch: main }, transport: { type: streamable-http, port: 8080, path: /mcp } }`,
        'runtimes:',
        `  - { name: srv, catalog: ${slug}, backend: local, guardrails_profile: unrestricted }`,
        '',
      ].join('\n'),
    );
    const first = await stack.apply(await stack.plan());
    if (first.exitCode !== 0) throw new Error(JSON.stringify(first.diags));
    let n = 0;
    const round = async (kind: 'cold' | 'warm'): Promise<void> => {
      n += 1;
      if (kind === 'cold') {
        // A new instruction right after the second FROM: every later layer must be rebuilt.
        await repo.commit(
          {
            Dockerfile: dockerfile.replace(
              'FROM contextforge-fixture/node:20\n',
              `FROM contextforge-fixture/node:20\nLABEL bench.round="${n}-${Date.now()}"\n`,
            ),
          },
          `cold ${n}`,
        );
      } else {
        await repo.commit({ 'server.mjs': server.replace("'hello from v1'", `'hello from round ${n}'`) }, `warm ${n}`);
      }
      const from = stack.progress.length;
      const t0 = Date.now();
      const r = await stack.apply(await stack.plan());
      const total = Date.now() - t0;
      if (r.exitCode !== 0) throw new Error(JSON.stringify(r.diags));
      const lines = stack.progress.slice(from);
      const at = stack.progressAt.slice(from);
      const b0 = lines.findIndex((l) => l.includes('build: cloning'));
      const b1 = lines.findIndex((l) => l.includes('build: built '));
      results[kind].apply.push(total);
      if (b0 >= 0 && b1 > b0) results[kind].build.push(at[b1] - at[b0]);
      process.stderr.write(`round ${n} ${kind}: apply ${s(total)}\n`);
    };
    for (let i = 0; i < ROUNDS; i++) {
      for (const k of i % 2 === 0 ? (['cold', 'warm'] as const) : (['warm', 'cold'] as const)) await round(k);
    }
    process.stdout.write(
      `github source rebuild (${ROUNDS} rounds each, medians)\n` +
        `  cold build (cache busted after FROM): build ${s(median(results.cold.build))}, plan+apply ${s(median(results.cold.apply))}\n` +
        `  warm rebuild (one-line change):       build ${s(median(results.warm.build))}, plan+apply ${s(median(results.warm.apply))}\n` +
        `  ratio warm/cold: build ${(median(results.warm.build) / median(results.cold.build)).toFixed(2)}, apply ${(median(results.warm.apply) / median(results.cold.apply)).toFixed(2)}\n`,
    );
  } finally {
    await stack.apply(await stack.plan(true)).catch(() => undefined);
    await stack.close();
    rmSync(base, { recursive: true, force: true });
    for (const img of await docker().listImages({ filters: JSON.stringify({ reference: [`${slug}:*`] }) }))
      await docker()
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

await main();
