// `contextforge catalog sync`: refresh the synced copies of the config's catalog_sources and
// print one line per source (imported, filtered, skipped, requests) with the problems found.
// The work lives in sources/registry/; this file parses nothing but its flags and prints.

import { relative } from 'node:path';
import { readCatalogSources } from '../config/index.js';
import { hasErrors } from '../diag/diagnostic.js';
import { closeFetcher } from '../sources/registry/fetch.js';
import { syncCatalogSources, type SourceReport } from '../sources/registry/sync.js';
import { configPath, printDiagnostics } from './config-file.js';

export interface SyncFlags {
  file?: string;
  source?: string | string[];
  due?: boolean;
  json?: boolean;
}

function line(r: SourceReport): string {
  if (r.outcome === 'fresh') return `${r.source}: the copy is younger than sync_interval; not synced\n`;
  if (r.outcome === 'failed') return `${r.source}: not synced (no copy to fall back on)\n`;
  const req = `${r.requests} request(s)${r.notModified ? `, ${r.notModified} not modified` : ''}`;
  if (r.outcome === 'kept')
    return `${r.source}: registry unreachable; keeping the last copy (${r.imported} entries), ${req}\n`;
  const extra = [r.filtered ? `${r.filtered} filtered out` : '', r.skipped ? `${r.skipped} skipped` : '']
    .filter(Boolean)
    .join(', ');
  return `${r.source}: ${r.imported} entries imported${extra ? ` (${extra})` : ''}, ${req}\n`;
}

export async function runSync(flags: SyncFlags): Promise<number> {
  const path = configPath(flags.file, true)!;
  const cfg = readCatalogSources(path);
  if (hasErrors(cfg.diags)) {
    printDiagnostics(cfg.diags, []);
    return 1;
  }
  if (cfg.sources.length === 0) {
    process.stderr.write(
      `error: ${relative(process.cwd(), path) || path} has no catalog_sources\n  = help: add a catalog_sources item (name, url or file, format: mcp-registry | toolhive), then run \`contextforge catalog sync\`\n`,
    );
    return 1;
  }
  const only = flags.source === undefined ? undefined : ([] as string[]).concat(flags.source);
  const unknown = (only ?? []).filter((n) => !cfg.sources.some((s) => s.name === n));
  if (unknown.length) {
    process.stderr.write(
      `error: unknown catalog source "${unknown[0]}"\n  = help: the config names ${cfg.sources.map((s) => s.name).join(', ')}\n`,
    );
    return 1;
  }
  let reports: SourceReport[];
  try {
    reports = await syncCatalogSources({
      configDir: cfg.dir,
      sources: cfg.sources,
      confinement: cfg.confinement,
      only,
      due: flags.due,
    });
  } finally {
    await closeFetcher();
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  } else {
    for (const r of reports) {
      process.stdout.write(line(r));
      printDiagnostics(r.diags, []);
    }
  }
  return reports.some((r) => r.outcome === 'failed') ? 1 : 0;
}
