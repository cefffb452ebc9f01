// `contextforge dev code-engine`: runs the local IBM Cloud Code Engine emulator in the
// foreground (IAM + /v2 API on loopback, optionally running apps on the local Docker) and prints
// the URLs and a backend block to paste into contextforge.yaml. `contextforge dev smoke
// code-engine`: runs the checks a real account must confirm (backends/code-engine/smoke.ts)
// against the project of the user's own API key and prints a table. Development aids only.

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
  serviceUrl?: string;
  iamUrl?: string;
  image?: string;
  json?: boolean;
  pollMs?: string | number;
}

export const DEV_TARGETS = ['code-engine', 'smoke code-engine'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `dev smoke code-engine`: the API key comes from IBM_CLOUD_API_KEY, never from a flag. */
export async function runSmokeCodeEngine(flags: DevFlags): Promise<number> {
  const apiKey = process.env.IBM_CLOUD_API_KEY;
  const fail = (summary: string, help: string): number => {
    process.stderr.write(`error[dev.smoke-usage]: ${summary}\n  = help: ${help}\n`);
    return 1;
  };
  if (!apiKey) return fail('IBM_CLOUD_API_KEY is not set', 'Export an API key of the account to check.');
  if (!flags.project) return fail('which project?', 'Pass --project <id or name> of an existing project.');
  if (!flags.region && !flags.serviceUrl) return fail('which region?', 'Pass --region (e.g. us-south).');
  const { CodeEngineClient } = await import('../backends/code-engine/client.js');
  const { runSmoke, smokeTable } = await import('../backends/code-engine/smoke.js');
  const client = new CodeEngineClient({
    apiKey,
    region: flags.region ?? 'us-south',
    serviceUrl: flags.serviceUrl,
    iamUrl: flags.iamUrl,
  });
  try {
    let projectId = flags.project;
    if (!UUID.test(projectId)) {
      const p = await client.findProjectByName(projectId);
      if (!p) return fail(`no project named ${projectId}`, 'Check the name and region (ibmcloud ce project list).');
      projectId = p.id;
    }
    const pollMs = flags.pollMs === undefined ? undefined : Number(flags.pollMs);
    const report = await runSmoke({
      client,
      projectId,
      image: flags.image,
      pollMs,
      progress: (l) => process.stderr.write(`${l}\n`),
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${smokeTable(report.rows)}\n`);
    const bad = report.rows.filter((r) => r.verdict === 'problem' || r.verdict === 'error');
    return bad.length || !report.cleanedUp ? 1 : 0;
  } catch (err) {
    const { CodeEngineApiError } = await import('../backends/code-engine/client.js');
    const msg =
      err instanceof CodeEngineApiError
        ? `${err.toDiagnostic().summary}: ${err.toDiagnostic().detail ?? ''}`
        : (err as Error).message;
    process.stderr.write(`error[dev.smoke-failed]: the smoke test could not run: ${msg}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

export async function runDev(target: string | undefined, flags: DevFlags, subject?: string): Promise<number> {
  if (target === 'smoke') {
    if (subject === 'code-engine') return runSmokeCodeEngine(flags);
    process.stderr.write(
      `error[cli.unknown-target]: ${subject ? `unknown smoke target "${subject}"` : 'smoke which backend?'}\n  use: dev smoke code-engine\n`,
    );
    return 1;
  }
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
    .option(
      '--project <name>',
      'Emulator: name of the project it starts with (default "default"); smoke: project id or name',
    )
    .option('--realistic', 'Behave like the real service where it differs (default)')
    .option('--strict-client', "Behave as the client assumes (the emulator's original mode)")
    .option('--service-url <url>', "smoke: the Code Engine API (default: the region's)")
    .option('--iam-url <url>', 'smoke: the IAM endpoint (default: IBM Cloud IAM)')
    .option('--image <ref>', 'smoke: a public image the account can pull')
    .option('--poll-ms <ms>', 'smoke: poll interval (default 1000)')
    .option('--json', 'smoke: print the report as JSON')
    .example('contextforge dev code-engine --port 8765')
    .example('IBM_CLOUD_API_KEY=... contextforge dev smoke code-engine --region us-south --project my-project')
    .action((target: string | undefined, subject: string | undefined, flags: DevFlags) =>
      setExit(runDev(target, flags, subject)),
    );
};
