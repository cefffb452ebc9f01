// Benchmark: the Code Engine backend against the local emulator with 50 ms of injected latency
// on every API call. (1) No-op plan of 40 apps: wall time (target <= 2 s) and API calls made.
// (2) Apply of 40 new apps with the engine's default parallelism (10) vs a sequential baseline
// (parallelism 1), in the same run. Prints figures and ratios; never pass/fail.
// Run: node --import tsx bench/code-engine/code-engine.bench.ts
//   env: BENCH_APPS (40), LATENCY_MS (50), READY_MS (emulator deploy time, 500), PLANS (5)
import { startCodeEngineEmulator } from '../../src/emulators/code-engine/index.js';
import { CeStack, apiCalls, writeCalls } from '../../test/backends/code-engine/backend-support.js';

const N = Number(process.env.BENCH_APPS ?? 40);
const LATENCY = Number(process.env.LATENCY_MS ?? 50);
const READY = Number(process.env.READY_MS ?? 500);
const PLANS = Number(process.env.PLANS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const emu = await startCodeEngineEmulator({ timing: { appReadyDelayMs: READY }, log: () => undefined });
const runtimes = Array.from({ length: N }, (_, i) => ({
  name: `app${String(i).padStart(2, '0')}`,
  env: { INDEX: String(i) },
}));

async function applyRound(
  parallelism: number,
): Promise<{ ms: number; calls: number; writes: number; noop: { ms: number[]; calls: number[]; writes: number } }> {
  const s = new CeStack({ emu, runtimes, pollMs: 250 });
  try {
    await s.load();
    emu.setFaults({ latencyMs: LATENCY });
    const plan = await s.plan();
    emu.resetStats();
    const t0 = performance.now();
    const a = await s.apply(plan, parallelism);
    const ms = performance.now() - t0;
    if (a.exitCode !== 0) throw new Error(`apply failed: ${JSON.stringify(a.diags.slice(0, 3))}`);
    const calls = apiCalls(emu);
    const writes = writeCalls(emu);
    const noop = { ms: [] as number[], calls: [] as number[], writes: 0 };
    for (let i = 0; i < PLANS; i++) {
      emu.resetStats();
      const t1 = performance.now();
      const p = await s.plan();
      noop.ms.push(performance.now() - t1);
      noop.calls.push(apiCalls(emu));
      noop.writes += writeCalls(emu);
      if (!p.plan || p.plan.summary.noop !== N)
        throw new Error(`not a no-op plan: ${JSON.stringify(p.plan?.summary ?? p.diags)}`);
    }
    emu.setFaults({ latencyMs: 0 });
    const d = await s.apply(await s.plan(true), 20);
    if (d.exitCode !== 0) throw new Error('destroy failed');
    return { ms, calls, writes, noop };
  } finally {
    emu.setFaults({ latencyMs: 0 });
    await s.close();
  }
}

try {
  process.stdout.write(
    `Code Engine backend bench: ${N} apps, ${LATENCY} ms latency per API call, emulator deploy time ${READY} ms\n`,
  );
  const parallel = await applyRound(10);
  const sequential = await applyRound(1);
  const plans = [...parallel.noop.ms, ...sequential.noop.ms];
  const planCalls = [...parallel.noop.calls, ...sequential.noop.calls];
  process.stdout.write(
    [
      `no-op plan of ${N} apps: median ${median(plans).toFixed(0)} ms (min ${Math.min(...plans).toFixed(0)}, max ${Math.max(...plans).toFixed(0)}; target <= 2000 ms), ` +
        `${median(planCalls)} API calls per plan (apps list + secrets list), ${parallel.noop.writes + sequential.noop.writes} writes`,
      `apply of ${N} new apps, parallelism 10: ${(parallel.ms / 1000).toFixed(2)} s, ${parallel.calls} API calls (${parallel.writes} writes)`,
      `apply of ${N} new apps, parallelism 1 (baseline): ${(sequential.ms / 1000).toFixed(2)} s, ${sequential.calls} API calls (${sequential.writes} writes)`,
      `speed-up vs sequential: ${(sequential.ms / parallel.ms).toFixed(2)}x`,
    ].join('\n') + '\n',
  );
} finally {
  await emu.close();
}
