// `contextforge schema`: prints one of the shipped JSON Schemas (config, catalog entry,
// guardrail profile, plan) for editors and other tools.

import type { CAC } from 'cac';
import { rawSchema, type SchemaKind } from '../config/index.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

const KINDS: SchemaKind[] = ['config', 'catalog', 'profile', 'plan'];

export function runSchema(flags: { kind?: string }): number {
  const kind = (flags.kind ?? 'config') as SchemaKind;
  if (!KINDS.includes(kind)) {
    process.stderr.write(
      `error: unknown schema kind "${String(flags.kind)}"\n  = help: use one of: ${KINDS.join(', ')}\n`,
    );
    return 1;
  }
  process.stdout.write(`${JSON.stringify(rawSchema(kind), null, 2)}\n`);
  return 0;
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'schema')
    .option('--kind <kind>', `Which schema: ${KINDS.join(' | ')}`, { default: 'config' })
    .example('contextforge schema --kind catalog > catalog-entry.schema.json')
    .action((flags: { kind?: string }) => setExit(runSchema(flags)));
};
