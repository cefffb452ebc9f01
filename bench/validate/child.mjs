// Child process of bench/validate/run.ts: one validation of the given config in a fresh
// process with the compiled code the CLI runs (dist/), reporting its memory as JSON.
const [distIndex, configPath] = process.argv.slice(2);
const startRss = process.memoryUsage().rss;
const { loadConfigSync } = await import(distIndex);
const afterImport = process.memoryUsage().rss;
const t = performance.now();
const r = loadConfigSync(configPath);
const ms = performance.now() - t;
const end = process.memoryUsage().rss;
process.stdout.write(
  JSON.stringify({
    ok: !!r.value,
    ms,
    startRss,
    afterImport,
    endRss: end,
    maxRss: process.resourceUsage().maxRSS * 1024,
  }),
);
