// One `catalog sync` in a process of its own, over dist/ as users run it: prints its wall time and
// the process's peak RSS as JSON. With BASELINE=1 it loads the same modules and syncs nothing
// (the floor the sync's own memory and time are compared with).
import { performance } from 'node:perf_hooks';

const t0 = performance.now();
const dist = new URL('../../dist/', import.meta.url);
const { readCatalogSources } = await import(new URL('config/index.js', dist).href);
const { syncCatalogSources } = await import(new URL('sources/registry/sync.js', dist).href);
const { closeFetcher } = await import(new URL('sources/registry/fetch.js', dist).href);
const cfg = readCatalogSources(process.argv[2]);
let reports = [];
if (!process.env.BASELINE) {
  reports = await syncCatalogSources({ configDir: cfg.dir, sources: cfg.sources, confinement: cfg.confinement });
  await closeFetcher();
}
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, reports: reports.map((r) => ({ outcome: r.outcome, imported: r.imported, requests: r.requests, notModified: r.notModified })) })}\n`,
);
