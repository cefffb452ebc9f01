// The contextforge command line: one cac instance, one file per verb (src/cli/<verb>.ts), each
// exporting `register(cli)`. A verb's action resolves to its exit code; this module owns only
// the wiring, --help/--version, and turning an unexpected throw into exit 1.

import { cac, type CAC } from 'cac';
import { readFileSync } from 'node:fs';
import { allowEndpointsFromFlag } from '../config/endpoint-policy.js';

export type VerbRegistrar = (cli: CAC, setExit: (code: number | Promise<number>) => void) => void;

/** Registrars of every verb; each verb's module adds itself here (one line each). */
async function loadVerbs(): Promise<VerbRegistrar[]> {
  const modules = await Promise.all([
    // verbs: keep one import per line, alphabetical
    import('./apply.js'),
    import('./approvals.js'),
    import('./catalog.js'),
    import('./client-config.js'),
    import('./destroy.js'),
    import('./dev.js'),
    import('./logs.js'),
    import('./plan.js'),
    import('./profiles.js'),
    import('./schema.js'),
    import('./serve.js'),
    import('./state.js'),
    import('./status.js'),
    import('./up.js'),
    import('./validate.js'),
    import('./watch.js'),
  ] as Promise<{ register: VerbRegistrar }>[]);
  return modules.map((m) => m.register);
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const cli = cac('contextforge');
  let pending: number | Promise<number> = 0;
  const setExit = (code: number | Promise<number>): void => {
    pending = code;
  };
  for (const register of await loadVerbs()) register(cli, setExit);
  // An operator decision, so it lives on the command line (and in CONTEXTFORGE_ALLOWED_ENDPOINTS),
  // never in the config a pull request edits.
  cli.option('--allow-endpoint <host>', 'Allow this host (host, host:port or *.domain) to receive credentials from iam_url, service_url, docker host, github.base_url or webhook_url');
  cli.help();
  cli.version(packageVersion());
  try {
    // Terraform spells it `-out FILE`; the parser would read that as -o -u -t.
    const args = argv.map((a) => (a === '-out' ? '--out' : a.startsWith('-out=') ? `--out=${a.slice(5)}` : a));
    cli.parse(['node', 'contextforge', ...args], { run: false });
    if (!cli.matchedCommand && cli.args.length > 0) {
      process.stderr.write(`error: unknown command "${cli.args[0]}"\n  run \`contextforge --help\` for the list of commands\n`);
      return 1;
    }
    if (!cli.matchedCommand && !cli.options.help && !cli.options.version) {
      cli.outputHelp();
      return 0;
    }
    // cac has already printed the help or version text; the verb itself must not run.
    if (cli.options.help || cli.options.version) return 0;
    const allow = cli.options.allowEndpoint as string | string[] | undefined;
    if (allow !== undefined) allowEndpointsFromFlag((Array.isArray(allow) ? allow : [allow]).map(String));
    await cli.runMatchedCommand();
    return await pending;
  } catch (err) {
    const e = err as Error;
    // cac throws CACError for bad flags/arguments: a user mistake, not a bug.
    if (e && e.name === 'CACError') {
      process.stderr.write(`error: ${e.message}\n  run \`contextforge <command> --help\` for usage\n`);
      return 1;
    }
    process.stderr.write(`error: unexpected failure: ${e?.message ?? String(err)}\n`);
    if (process.env.CONTEXTFORGE_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 1;
  }
}
