// `contextforge dev code-engine`: runs the local IBM Cloud Code Engine emulator in the
// foreground (IAM + /v2 API on loopback, optionally running apps on the local Docker) and prints
// the URLs and a backend block to paste into contextforge.yaml. Development aid only.

import type { CAC } from 'cac';
import { untilSignal } from './serving.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface DevFlags {
  port?: string | number;
  docker?: boolean;
  region?: string;
  project?: string;
  realistic?: boolean;
  strictClient?: boolean;
}

export const DEV_TARGETS = ['code-engine'] as const;

export async function runDev(target: string | undefined, flags: DevFlags): Promise<number> {
  if (target !== 'code-engine') {
    process.stderr.write(
      `error[cli.unknown-target]: ${target ? `unknown dev target "${target}"` : 'which dev target?'}\n  use one of: ${DEV_TARGETS.join(', ')}\n`,
    );
    return 1;
  }
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`error[cli.bad-flag]: --port must be a TCP port (0-65535), not ${flags.port}\n`);
    return 1;
  }
  if (flags.realistic && flags.strictClient) {
    process.stderr.write('error[cli.bad-flag]: --realistic and --strict-client exclude each other\n');
    return 1;
  }
  const { startCodeEngineEmulator } = await import('../emulators/code-engine/index.js');
  let emu: Awaited<ReturnType<typeof startCodeEngineEmulator>>;
  try {
    emu = await startCodeEngineEmulator({
      port,
      region: flags.region,
      docker: flags.docker === true,
      behaviour: flags.strictClient ? 'strict-client' : 'realistic',
      projects: [{ name: flags.project ?? 'default' }],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const detail =
      e.code === 'EADDRINUSE'
        ? `Port ${port} is taken; pass another --port (or 0 for a free one).`
        : flags.docker
          ? 'With --docker the emulator needs a reachable Docker engine; start it or drop --docker.'
          : 'Run with CONTEXTFORGE_DEBUG=1 for details.';
    process.stderr.write(
      `error[dev.emulator-failed]: the Code Engine emulator did not start: ${e.code ?? e.message}\n  ${detail}\n`,
    );
    return 1;
  }
  const project = emu.projects[0];
  const lines = [
    `Code Engine emulator listening on ${emu.baseUrl} (${emu.behaviour} mode)`,
    `  API (service_url): ${emu.url}`,
    `  IAM (iam_url):     ${emu.iamUrl}`,
    `  region: ${emu.region}; project ${project?.name} (${project?.id}); apps ${emu.docker ? 'run on the local Docker' : 'are simulated (pass --docker to run them)'}`,
    '',
    'Backend block for contextforge.yaml (any non-empty API key is accepted):',
    '  backends:',
    '    ce-dev:',
    '      type: ibm_code_engine',
    `      region: ${emu.region}`,
    `      project_id: ${project?.id}`,
    '      api_key: ${IBM_CLOUD_API_KEY}',
    `      service_url: ${emu.url}`,
    `      iam_url: ${emu.iamUrl}`,
    '',
    'Press Ctrl-C to stop (apps and images it created are removed).',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await untilSignal();
  process.stdout.write('Stopping the emulator...\n');
  await emu.close();
  return 0;
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'dev')
    .option('--port <port>', 'Listen port on 127.0.0.1 (default: a free one)')
    .option('--docker', 'Run app images on the local Docker engine')
    .option('--region <region>', 'Region the emulator reports (default us-south)')
    .option('--project <name>', 'Name of the project it starts with (default "default")')
    .option('--realistic', 'Behave like the real service where it differs (default)')
    .option('--strict-client', "Behave as the client assumes (the emulator's original mode)")
    .example('contextforge dev code-engine --port 8765')
    .action((target: string | undefined, flags: DevFlags) => setExit(runDev(target, flags)));
};
