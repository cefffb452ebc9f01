// A StdioConnector for Docker stdio runtimes that gives every connect() a server process of its
// own: `docker exec -i` of the container's own command (entrypoint + cmd, user, working dir)
// inside the running container, so it shares the container's cgroup limits, namespaces, network,
// capabilities and security options, but not its stdin/stdout. Each gateway session therefore
// has its own JSON-RPC stream. It never starts, stops or removes the container.
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { demuxDocker } from './docker-attach.js';
import { streamTransport } from './stdio-connectors.js';
import type { StdioConnector } from './types.js';

export interface DockerExecOptions {
  docker: Dockerode;
  containerId: string;
  /** Receives the exec'd server's stderr, line by line; by default it is discarded. */
  onStderr?: (line: string) => void;
  /** Called with the exec id once a session's server process has started (for tests and logs). */
  onExec?: (execId: string) => void;
}

/** How long a closed session's server gets to exit after its stdin ends, before the socket is cut. */
const EXIT_GRACE_MS = 2000;

export function dockerExecConnector(opts: DockerExecOptions): StdioConnector {
  return {
    key: `docker-exec:${opts.containerId}`,
    async connect(): Promise<Transport> {
      const container = opts.docker.getContainer(opts.containerId);
      const info = await container.inspect();
      if (!info.State.Running) {
        throw new Error(`Container ${opts.containerId} is not running (status ${info.State.Status}).`);
      }
      const cmd = [...(info.Config.Entrypoint ?? []), ...(info.Config.Cmd ?? [])];
      if (cmd.length === 0) throw new Error(`Container ${opts.containerId} has no entrypoint or command to start a session's server with.`);
      // The exec inherits the container's environment; user and working directory are repeated
      // so the session's server runs exactly as the container's main process does.
      const exec = await container.exec({
        Cmd: cmd,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        User: info.Config.User || undefined,
        WorkingDir: info.Config.WorkingDir || undefined,
      });
      const socket = (await exec.start({ hijack: true, stdin: true, Tty: false })) as Duplex;
      opts.onExec?.(exec.id);
      const stdout = demuxDocker(opts.docker, socket, opts.onStderr);
      return streamTransport(stdout, socket, {
        // End of stdin is how an MCP stdio client asks its server to exit; the socket is cut
        // once the server has gone (its output ends) or after a short grace.
        onClose: () => {
          socket.end();
          const cut = setTimeout(() => {
            socket.destroy();
            void stopLingering(exec, opts);
          }, EXIT_GRACE_MS);
          cut.unref();
        },
      });
    },
  };
}

/**
 * The MCP stdio shutdown is: close stdin, wait, then SIGTERM. Docker has no API to signal an
 * exec'd process, so when the gateway shares the Docker host (a local socket) it signals the
 * process by its host pid; otherwise a server that ignores end of input is reported, not killed.
 */
async function stopLingering(exec: Dockerode.Exec, opts: DockerExecOptions): Promise<void> {
  try {
    const state = await exec.inspect();
    if (!state.Running) return;
    const local = !(opts.docker.modem as { host?: string }).host;
    if (local && state.Pid > 0) {
      process.kill(state.Pid, 'SIGTERM');
      return;
    }
    opts.onStderr?.(`contextforge: the session's server (exec ${exec.id.slice(0, 12)}) did not exit after its input ended.`);
  } catch {
    // Gone already, or not ours to signal (another user, a remote daemon): nothing more to do.
  }
}
