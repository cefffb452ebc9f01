// `contextforge validate`: loads and checks a config without touching any backend, prints the
// diagnostics (or JSON with --json) and exits 0 when there are no errors, 1 otherwise. Guardrails
// a backend cannot enforce come from the compiler's one decision (unenforcedGuardrails).

import type { CAC } from 'cac';
import { relative } from 'node:path';
import { hasErrors } from '../diag/diagnostic.js';
import { validateConfig } from '../plan/validate-config.js';
import { configPath, printDiagnostics, printJson, DEFAULT_CONFIG } from './config-file.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface ValidateFlags {
  file?: string;
  json?: boolean;
  strict?: boolean;
}

export async function runValidate(flags: ValidateFlags): Promise<number> {
  const path = configPath(flags.file, true)!;
  const result = await validateConfig(path, { strict: flags.strict === true });
  const failed = hasErrors(result.diags) || !result.value;
  if (flags.json) {
    printJson(result.diags, result.sensitiveValues);
    return failed ? 1 : 0;
  }
  printDiagnostics(result.diags, result.sensitiveValues);
  if (!failed && result.value) {
    const c = result.value;
    const n = (k: number, w: string, many = `${w}s`): string => `${k} ${k === 1 ? w : many}`;
    process.stdout.write(
      `${relative(process.cwd(), c.path) || c.path} is valid: stack "${c.stack}", ${n(c.runtimes.length, 'runtime')}, ` +
        `${n(Object.keys(c.backends).length, 'backend')}, ${n(Object.keys(c.catalog).length, 'catalog entry', 'catalog entries')}, ${n(Object.keys(c.profiles).length, 'profile')}\n`,
    );
  }
  return failed ? 1 : 0;
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'validate')
    .option('-f, --file <file>', `Config file (default: ./${DEFAULT_CONFIG})`)
    .option('--json', 'Print the diagnostics as JSON on stdout')
    .option('--strict', 'Treat guardrails a backend cannot enforce as errors')
    .example('contextforge validate -f examples/docker-stack.yaml')
    .action((flags: ValidateFlags) => setExit(runValidate(flags)));
};
