// The contextforge command line: cac parses the arguments first against a table of commands
// (verbs.ts) that loads nothing; only then is the chosen verb's module imported and registered,
// so `--version`, `--help` and each verb load what they use and no more. This module owns the
// wiring, --help/--version, the output sink every print passes through (redaction and
// control-character escaping), and turning an unexpected throw into exit 1.

import { cac, type CAC } from 'cac';
import { existsSync } from 'node:fs';
import { installOutputSink } from '../diag/sink.js';
import { packageVersion, type VerbRegistrar } from './verb.js';
import { VERBS, type VerbName } from './verbs.js';

type VerbModule = Promise<{ register: VerbRegistrar }>;

/**
 * The build's one-module copy of the validate verb (scripts/bundle-verb.mjs): the same code with
 * fewer files to load. Absent when run from src/ or built without esbuild: then validate.js.
 */
const VALIDATE_BUNDLE = new URL('./validate-bundle.js', import.meta.url);

/** The module that registers each command (state.js registers four). */
const MODULES: Record<VerbName, () => VerbModule> = {
  apply: () => import('./apply.js'),
  approvals: () => import('./approvals.js'),
  catalog: () => import('./catalog.js'),
  'client-config': () => import('./client-config.js'),
  destroy: () => import('./destroy.js'),
  dev: () => import('./dev.js'),
  logs: () => import('./logs.js'),
  lock: () => import('./lock.js'),
  plan: () => import('./plan.js'),
  profiles: () => import('./profiles.js'),
  schema: () => import('./schema.js'),
  serve: () => import('./serve.js'),
  'force-unlock': () => import('./state.js'),
  history: () => import('./state.js'),
  events: () => import('./state.js'),
  state: () => import('./state.js'),
  status: () => import('./status.js'),
  up: () => import('./up.js'),
  validate: () =>
    existsSync(VALIDATE_BUNDLE) ? (import(VALIDATE_BUNDLE.href) as VerbModule) : import('./validate.js'),
  watch: () => import('./watch.js'),
};

function newCli(): CAC {
  const cli = cac('contextforge');
  // cac's help of one command shows its usage and options but not what it does: add that.
  cli.help((sections) => {
    const cmd = cli.matchedCommand;
    if (cmd?.description) sections.splice(1, 0, { body: cmd.description });
    // cac gives every --no-X flag the default true (X is on unless negated) and prints it as
    // "--no-X (default: true)", which reads as if the negation were the default.
    for (const s of sections)
      if (s.title === 'Options') s.body = s.body.replace(/^(\s*--no-\S+.*?)\s*\(default: true\)$/gm, '$1');
    return sections;
  });
  // An operator decision, so it lives on the command line (and in CONTEXTFORGE_ALLOWED_ENDPOINTS),
  // never in the config a pull request edits.
  cli.option(
    '--allow-endpoint <host>',
    'Allow this host (host, host:port or *.domain) to receive credentials from iam_url, service_url, docker host, github.base_url or webhook_url',
  );
  // The path policy of configs (src/config/confine.ts) is the operator's too.
  cli.option('--allow-path <dir>', 'Also let configs read files below DIR (repeatable; env CONTEXTFORGE_ALLOW_PATHS)');
  cli.option(
    '--max-file-size <size>',
    'Largest file a config may read, e.g. 10m (default 5 MB; env CONTEXTFORGE_MAX_FILE_SIZE)',
  );
  cli.version(packageVersion());
  return cli;
}

/** Which command argv names, parsed by cac against the table alone (nothing is loaded). */
function chosenVerb(args: string[]): VerbName | undefined {
  const cli = newCli();
  for (const v of Object.values(VERBS)) cli.command(v.usage, v.summary).allowUnknownOptions();
  cli.showHelpOnExit = false;
  cli.showVersionOnExit = false;
  cli.parse(['node', 'contextforge', ...args], { run: false });
  return cli.matchedCommandName as VerbName | undefined;
}

/**
 * --allow-path and --max-file-size become the environment variables the config loader reads,
 * so that processes started from here (watch, up) apply the same policy.
 */
async function applyPathFlags(options: Record<string, unknown>): Promise<void> {
  const allow = options.allowPath;
  if (allow === undefined && options.maxFileSize === undefined) return;
  const { ALLOW_PATHS_ENV, MAX_FILE_SIZE_ENV } = await import('../config/confine.js');
  const { delimiter, resolve } = await import('node:path');
  if (allow !== undefined) {
    const dirs = (Array.isArray(allow) ? allow : [allow]).map((d) => resolve(String(d)));
    const before = process.env[ALLOW_PATHS_ENV];
    process.env[ALLOW_PATHS_ENV] = [...(before ? [before] : []), ...dirs].join(delimiter);
  }
  if (options.maxFileSize !== undefined) process.env[MAX_FILE_SIZE_ENV] = String(options.maxFileSize);
}

export async function main(argv: string[]): Promise<number> {
  installOutputSink();
  let pending: number | Promise<number> = 0;
  let cli: CAC | undefined;
  let args: string[] = [];
  const setExit = (code: number | Promise<number>): void => {
    pending = code;
  };
  try {
    // Terraform spells them `-out FILE` and `-force`; the parser would read those as -o -u -t and -f -o ….
    args = argv.map((a) =>
      a === '-out' ? '--out' : a.startsWith('-out=') ? `--out=${a.slice(5)}` : a === '-force' ? '--force' : a,
    );
    const verb = chosenVerb(args);
    cli = newCli();
    if (verb) (await MODULES[verb]()).register(cli, setExit);
    // Without a command, the table alone is the command list of the global help.
    else for (const v of Object.values(VERBS)) cli.command(v.usage, v.summary);
    cli.parse(['node', 'contextforge', ...args], { run: false });
    if (!cli.matchedCommand && cli.args.length > 0) {
      const { unknownCommandMessage } = await import('./unknown-input.js');
      process.stderr.write(unknownCommandMessage(String(cli.args[0])));
      return 1;
    }
    if (!cli.matchedCommand && !cli.options.help && !cli.options.version) {
      cli.outputHelp();
      return 0;
    }
    // cac has already printed the help or version text; the verb itself must not run.
    if (cli.options.help || cli.options.version) return 0;
    const allow = cli.options.allowEndpoint as string | string[] | undefined;
    if (allow !== undefined) {
      const { allowEndpointsFromFlag } = await import('../config/endpoint-policy.js');
      allowEndpointsFromFlag((Array.isArray(allow) ? allow : [allow]).map(String));
    }
    await applyPathFlags(cli.options);
    await cli.runMatchedCommand();
    return await pending;
  } catch (err) {
    const e = err as Error;
    // cac throws CACError for bad flags/arguments: a user mistake, not a bug.
    if (e && e.name === 'CACError') {
      // Loaded only for a refused command line (startup loads no module it does not use).
      const { unknownOptionMessage } = await import('./unknown-input.js');
      const unknown = cli && unknownOptionMessage(cli, args, e.message);
      if (unknown) {
        process.stderr.write(unknown);
        return 1;
      }
      process.stderr.write(`error: ${e.message}\n  run \`contextforge <command> --help\` for usage\n`);
      return 1;
    }
    process.stderr.write(`error: unexpected failure: ${e?.message ?? String(err)}\n`);
    if (process.env.CONTEXTFORGE_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 1;
  }
}
