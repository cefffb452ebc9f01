// `contextforge serve`: serve what the state store records as running through the gateway
// (Streamable HTTP at /mcp, or `--stdio` for clients that only launch commands), following
// later applies without a restart. It applies nothing. In --stdio mode stdout carries MCP only.

import type { CAC } from 'cac';
import { openSession } from '../apply/session.js';
import { hasErrors } from '../diag/diagnostic.js';
import { passThrough } from '../diag/sink.js';
import { startHost, upstreamLines } from '../host/host.js';
import { configPath, printDiagnostics } from './config-file.js';
import { portFlag, servingLines, untilSignal } from './serving.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

export interface ServeFlags {
  file?: string;
  stdio?: boolean;
  host?: string;
  port?: string | number;
}

export async function runServe(flags: ServeFlags): Promise<number> {
  const port = portFlag(flags.port);
  if (port instanceof Error) {
    process.stderr.write(`error[cli.bad-flag]: ${port.message}\n`);
    return 1;
  }
  const path = configPath(flags.file, true)!;
  const opened = await openSession({ path, backends: false });
  if (!opened.session || hasErrors(opened.diags)) {
    printDiagnostics(opened.diags, opened.sensitive);
    await opened.session?.close();
    return 1;
  }
  const session = opened.session;
  printDiagnostics(opened.diags, opened.sensitive);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  // Over stdio, stdout carries MCP messages for the client: the bytes must arrive unaltered.
  if (flags.stdio) passThrough(process.stdout);
  const started = await startHost({
    config: session.config,
    store: session.store,
    mode: flags.stdio ? 'stdio' : 'http',
    host: flags.host,
    port,
    log,
    sensitive: opened.sensitive,
  });
  if (!started.value) {
    printDiagnostics(started.diags, opened.sensitive);
    await session.close();
    return 1;
  }
  const host = started.value;
  const runtimes = session.store.listRuntimes(session.config.stack).length;
  if (!flags.stdio) {
    await host.settled(20_000);
    for (const l of servingLines(host, runtimes)) process.stdout.write(`${l}\n`);
    for (const l of upstreamLines(host.status())) process.stdout.write(`${l}\n`);
    if (runtimes === 0)
      process.stdout.write(
        `Nothing is applied for stack ${session.config.stack} yet: run \`contextforge apply\` (or \`contextforge up\`); the gateway picks it up.\n`,
      );
    process.stdout.write('Press Ctrl-C to stop the gateway (servers keep running).\n');
  }
  const why = await untilSignal(host.closed);
  if (why !== 'closed' && !flags.stdio) process.stdout.write('Stopping the gateway...\n');
  await host.stop();
  await session.close();
  return 0;
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'serve')
    .option('-f, --file <path>', 'Config file (default ./contextforge.yaml)')
    .option('--stdio', 'Serve MCP over stdin/stdout, for clients that only launch commands')
    .option('--host <address>', 'Listen address (default gateway.host, else 127.0.0.1)')
    .option('--port <port>', 'Listen port (default gateway.port, else 4444; 0 picks a free one)')
    .example('contextforge serve')
    .example('contextforge serve --stdio -f /path/to/contextforge.yaml')
    .action((flags: ServeFlags) => setExit(runServe(flags)));
};
