// `contextforge catalog list|show`: the catalog entries available to a config (its includes
// and inline entries, plus the shipped ones), or only the shipped ones without a config.

import type { CAC } from 'cac';
import { relative } from 'node:path';
import { stringify } from '../vendor/yaml.js';
import { backendsOf, definitionOf, filterEntries } from '../config/index.js';
import { didYouMean } from '../diag/suggest.js';
import { openLibrary, out, table } from './library-view.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface CatalogFlags {
  file?: string;
  category?: string;
  tag?: string;
  backend?: string;
  all?: boolean;
  json?: boolean;
}

function runList(f: CatalogFlags): number {
  const lib = openLibrary(f.file);
  if (!lib) return 1;
  const list = filterEntries(Object.values(lib.catalog), f);
  if (f.json) {
    out(`${JSON.stringify(list.map(definitionOf), null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    out('No catalog entries match.\n');
    return 0;
  }
  const rows = [['SLUG', 'CATEGORY', 'SOURCE', 'BACKENDS', 'NAME']];
  for (const e of list) {
    const mark = e.featured ? ' *' : e.deprecated ? ' (deprecated)' : '';
    rows.push([e.slug, e.category ?? '-', e.source.type, backendsOf(e).join(','), `${e.name}${mark}`]);
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
  out(`# ${e.name} (${e.slug}), from ${relative(process.cwd(), e.origin.file) || e.origin.file}\n`);
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
    .option('--json', 'Print JSON')
    .example('contextforge catalog list --backend process')
    .example('contextforge catalog show everything')
    .action((action: string | undefined, slug: string | undefined, flags: CatalogFlags) => {
      const a = action ?? 'list';
      if (a === 'list') return setExit(runList(flags));
      if (a === 'show') return setExit(runShow(slug, flags));
      process.stderr.write(
        `error: unknown catalog action "${a}"\n  = help: use \`catalog list\` or \`catalog show <slug>\`\n`,
      );
      setExit(1);
    });
};
