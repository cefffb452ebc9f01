// Runs the Code Engine emulator as a process: `node --import tsx src/emulators/code-engine/main.ts
// [--port N] [--host 127.0.0.1] [--docker] [--region R] [--project NAME]... [--api-key KEY]...`.
// Prints the URLs to use and stops cleanly (containers removed) on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { startCodeEngineEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    docker: { type: 'boolean', default: false },
    realistic: { type: 'boolean', default: false },
    'strict-client': { type: 'boolean', default: false },
    region: { type: 'string', default: 'us-south' },
    project: { type: 'string', multiple: true },
    'api-key': { type: 'string', multiple: true },
    'ready-delay-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'Usage: main.ts [--port N] [--host 127.0.0.1] [--docker] [--region us-south]\n' +
      '               [--project NAME]... [--api-key KEY]... [--ready-delay-ms MS]\n' +
      '               [--realistic (default) | --strict-client]\n',
  );
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`error: --port must be an integer between 0 and 65535, got "${values.port}"\n`);
  process.exit(1);
}

if (values.realistic && values['strict-client']) {
  process.stderr.write('error: --realistic and --strict-client exclude each other\n');
  process.exit(1);
}

try {
  const emu = await startCodeEngineEmulator({
    behaviour: values['strict-client'] ? 'strict-client' : 'realistic',
    port,
    host: values.host,
    docker: values.docker,
    region: values.region,
    projects: values.project?.map((name) => ({ name })),
    apiKeys: values['api-key'],
    timing: values['ready-delay-ms'] ? { appReadyDelayMs: Number(values['ready-delay-ms']) } : undefined,
  });
  const lines = [
    `Code Engine emulator ${emu.emulatorId} listening (${emu.behaviour} mode)${emu.docker ? ' (Docker mode: apps run as local containers)' : ''}`,
    `  service_url: ${emu.url}`,
    `  iam_url:     ${emu.iamUrl}`,
    `  api key:     ${values['api-key']?.length ? '(one of the --api-key values)' : 'any non-empty value'}`,
    ...emu.projects.map((p) => `  project:     ${p.name}  id=${p.id}  subdomain=${p.subdomain}`),
    `  admin:       ${emu.baseUrl}/__emulator/{faults,stats,info}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = (): void => {
    void emu.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  process.stderr.write(
    `error: could not start the Code Engine emulator: ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
}
