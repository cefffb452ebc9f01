// Benchmark: the no-op plan of 40 Code Engine apps, each with a secret, with 50 ms of latency on
// every API call, against the emulator's realistic mode (secret lists without data: our secrets
// are read by GET) and its strict-client mode (data in the list; the behaviour the client was
// first written for), in the same run. Two figures per mode: a cold plan (a new process: nothing
// remembered, one GET per secret in realistic mode) and a warm one (same process: the entity tags
// match what it last read, no GET). Rounds alternate the order; ratios are per round, printed
// as median and range. Prints figures, never pass/fail; the goal is a no-op plan <= 2 s.
// Run: node --import tsx bench/code-engine/realistic.bench.ts
//   env: BENCH_APPS (40), LATENCY_MS (50), BENCH_ROUNDS (5)
import { startCodeEngineEmulator, type CodeEngineEmulator } from '../../src/emulators/code-engine/index.js';
import { CeStack, apiCalls } from '../../test/backends/code-engine/backend-support.js';

const N = Number(process.env.BENCH_APPS ?? 40);
const LATENCY = Number(process.env.LATENCY_MS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const runtimes = Array.from({ length: N }, (_, i) => ({
  name: `app${String(i).padStart(2, '0')}`,
  env: { INDEX: String(i) },
  secrets: { API_TOKEN: `bench-secret-${i}` },
}));

interface Mode {
  name: 'realistic' | 'strict-client';
  emu: CodeEngineEmulator;
  stack: CeStack;
  warm: CeStack;
  cold: number[];
  coldCalls: number[];
  warmMs: number[];
  warmCalls: number[];
}

async function setUp(name: Mode['name']): Promise<Mode> {
  const emu = await startCodeEngineEmulator({
    behaviour: name,
    timing: { appReadyDelayMs: 50, revisionLagMs: 50, deleteDelayMs: 100 },
    log: () => undefined,
  });
  const stack = new CeStack({ emu, runtimes, pollMs: 50, stack: `bench-${name.slice(0, 6)}` });
  await stack.load();
  const a = await stack.apply(await stack.plan(), 10);
  if (a.exitCode !== 0) throw new Error(`${name}: apply failed: ${JSON.stringify(a.diags.slice(0, 2))}`);
  const warm = new CeStack({ emu, runtimes, stack: stack.stack });
  await warm.load();
  await warm.plan(); // fills its memory of the secrets' tags
  emu.setFaults({ latencyMs: LATENCY });
  return { name, emu, stack, warm, cold: [], coldCalls: [], warmMs: [], warmCalls: [] };
}

async function timedPlan(m: Mode, s: CeStack): Promise<{ ms: number; calls: number }> {
  m.emu.resetStats();
  const t0 = performance.now();
  const p = await s.plan();
  const ms = performance.now() - t0;
  if (!p.plan || p.plan.summary.noop !== N)
    throw new Error(`${m.name}: not a no-op plan: ${JSON.stringify(p.plan?.summary ?? p.diags)}`);
  return { ms, calls: apiCalls(m.emu) };
}

async function round(m: Mode): Promise<void> {
  const fresh = new CeStack({ emu: m.emu, runtimes, stack: m.stack.stack });
  try {
    await fresh.load();
    const c = await timedPlan(m, fresh);
    m.cold.push(c.ms);
    m.coldCalls.push(c.calls);
  } finally {
    await fresh.close();
  }
  const w = await timedPlan(m, m.warm);
  m.warmMs.push(w.ms);
  m.warmCalls.push(w.calls);
}

const modes: Mode[] = [];
try {
  modes.push(await setUp('realistic'), await setUp('strict-client'));
  process.stdout.write(`no-op plan of ${N} apps with a secret each, ${LATENCY} ms per API call, ${ROUNDS} rounds\n`);
  const coldRatio: number[] = [];
  const warmRatio: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...modes].reverse() : modes;
    for (const m of order) await round(m);
    coldRatio.push(modes[0].cold[r] / modes[1].cold[r]);
    warmRatio.push(modes[0].warmMs[r] / modes[1].warmMs[r]);
  }
  for (const m of modes)
    process.stdout.write(
      `${m.name.padEnd(13)} cold plan: median ${median(m.cold).toFixed(0)} ms (${median(m.coldCalls)} API calls); ` +
        `warm plan: median ${median(m.warmMs).toFixed(0)} ms (${median(m.warmCalls)} API calls)\n`,
    );
  const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
  process.stdout.write(
    `realistic / strict-client: cold x${median(coldRatio).toFixed(2)} (rounds ${range(coldRatio)}), ` +
      `warm x${median(warmRatio).toFixed(2)} (rounds ${range(warmRatio)}); goal: every no-op plan <= 2000 ms\n`,
  );
} finally {
  for (const m of modes) {
    m.emu.setFaults({ latencyMs: 0 });
    await m.stack.apply(await m.stack.plan(true), 20).catch(() => undefined);
    await m.warm.close();
    await m.stack.close();
    await m.emu.close();
  }
}
