// `contextforge catalog list|search|show|sync`: the catalog entries available to a config (its
// includes and inline entries, the synced copies of its catalog_sources, plus the shipped ones),
// or only the shipped ones without a config. `sync` refreshes the copies (catalog-sync.ts).

import type { CAC } from 'cac';
import { relative } from 'node:path';
import { stringify } from '../vendor/yaml.js';
import { backendsOf, definitionOf, filterEntries } from '../config/index.js';
import { didYouMean } from '../diag/suggest.js';
import { openLibrary, out, table } from './library-view.js';
import { verbCommand, type VerbRegistrar } from './verb.js';
import { runSync } from './catalog-sync.js';

interface CatalogFlags {
  file?: string;
  source?: string | string[];
  due?: boolean;
  q?: string;
  category?: string;
  tag?: string;
  backend?: string;
  all?: boolean;
  json?: boolean;
}

const registryWarning = (code: string): boolean => code.startsWith('catalog-source.');

function runList(f: CatalogFlags): number {
  const lib = openLibrary(f.file, registryWarning);
  if (!lib) return 1;
  const sources = f.source === undefined ? undefined : ([] as string[]).concat(f.source);
  const list = filterEntries(Object.values(lib.catalog), f).filter(
    (e) => !sources || (e.registry !== undefined && sources.includes(e.registry.source)),
  );
  if (f.json) {
    out(`${JSON.stringify(list.map(definitionOf), null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    out('No catalog entries match.\n');
    return 0;
  }
  const rows = [['SLUG', 'CATEGORY', 'SOURCE', 'BACKENDS', 'FROM', 'VERSION', 'NAME']];
  for (const e of list) {
    const mark = e.featured ? ' *' : e.deprecated ? ' (deprecated)' : '';
    const from = e.registry ? e.registry.source : '-';
    const version = e.registry?.version ?? e.version ?? '-';
    rows.push([e.slug, e.category ?? '-', e.source.type, backendsOf(e).join(','), from, version, `${e.name}${mark}`]);
  }
  out(table(rows));
  if (list.some((e) => e.featured)) out('\n* featured\n');
  return 0;
}

function runShow(slug: string | undefined, f: CatalogFlags): number {
  if (!slug) {
    process.stderr.write(
      'error: missing catalog slug\n  = help: contextforge catalog show <slug> (see `contextforge catalog list`)\n',
    );
    return 1;
  }
  const lib = openLibrary(f.file);
  if (!lib) return 1;
  const e = lib.catalog[slug];
  if (!e) {
    const s = didYouMean(slug, Object.keys(lib.catalog));
    process.stderr.write(
      `error: unknown catalog entry "${slug}"\n${s ? `  = help: did you mean "${s}"?\n` : ''}  = help: run \`contextforge catalog list --all\` to see every entry\n`,
    );
    return 1;
  }
  if (f.json) {
    out(`${JSON.stringify(definitionOf(e), null, 2)}\n`);
    return 0;
  }
  const from = e.registry
    ? `catalog source "${e.registry.source}" (${e.registry.name}${e.registry.version ? ` ${e.registry.version}` : ''})`
    : relative(process.cwd(), e.origin.file) || e.origin.file;
  out(`# ${e.name} (${e.slug}), from ${from}\n`);
  out(stringify(definitionOf(e)));
  return 0;
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'catalog')
    .option(
      '-f, --file <file>',
      'Config whose catalog to use (default: ./contextforge.yaml if present, else the shipped catalog)',
    )
    .option('--category <category>', 'list: only entries of this category')
    .option('--tag <tag>', 'list: only entries with this tag')
    .option('--backend <type>', 'list: only entries supporting this backend type (docker, ibm_code_engine, process)')
    .option('--all', 'list: include deprecated entries')
    .option('--source <name>', 'list/search: only entries of this catalog source; sync: only this source')
    .option('--due', 'sync: only sources whose copy is older than their sync_interval')
    .option('--json', 'Print JSON')
    .example('contextforge catalog list --backend process')
    .example('contextforge catalog show everything')
    .example('contextforge catalog sync')
    .example('contextforge catalog search memory')
    .action((action: string | undefined, slug: string | undefined, flags: CatalogFlags) => {
      const a = action ?? 'list';
      if (a === 'list') return setExit(runList(flags));
      if (a === 'show') return setExit(runShow(slug, flags));
      if (a === 'search') {
        if (!slug) {
          process.stderr.write('error: missing search text\n  = help: contextforge catalog search <text>\n');
          return setExit(1);
        }
        return setExit(runList({ ...flags, q: slug, all: true }));
      }
      if (a === 'sync') return setExit(runSync(flags));
      process.stderr.write(
        `error: unknown catalog action "${a}"\n  = help: use \`catalog list\`, \`catalog search <text>\`, \`catalog show <slug>\` or \`catalog sync\`\n`,
      );
      setExit(1);
    });
};
