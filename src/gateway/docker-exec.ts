// A StdioConnector for Docker stdio runtimes that gives every connect() a server process of its
// own: `docker exec -i` of the container's own command (entrypoint + cmd, user, working dir)
// inside the running container, so it shares the container's cgroup limits, namespaces, network,
// capabilities and security options, but not its stdin/stdout. Each gateway session therefore
// has its own JSON-RPC stream. It never starts, stops or removes the container.
import type { Duplex, Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { demuxDocker } from './docker-attach.js';
import { keepSpare } from './spare.js';
import { streamTransport } from './stdio-connectors.js';
import type { StdioConnector } from './types.js';

export interface DockerExecOptions {
  docker: Dockerode;
  containerId: string;
  /** Receives the exec'd server's stderr, line by line; by default it is discarded. */
  onStderr?: (line: string) => void;
  /** Called with the exec id once a session's server process has started (for tests and logs). */
  onExec?: (execId: string) => void;
  /**
   * Keep one server started ahead (a warm spare) once the gateway serves several client
   * sessions, so a new session's first call does not wait for a process to start. Default off.
   */
  spare?: boolean;
}

/** How long a closed session's server gets to exit after its stdin ends, before the socket is cut. */
const EXIT_GRACE_MS = 2000;

/** A session server started in the container, not yet (or already) handed to a transport. */
interface Started {
  exec: Dockerode.Exec;
  socket: Duplex;
  stdout: Readable;
  /** The exec's stream ended before anyone used it (the container stopped or restarted). */
  gone: boolean;
}

export function dockerExecConnector(opts: DockerExecOptions): StdioConnector {
  const spare = keepSpare<Started>({
    start: () => startServer(opts),
    enabled: opts.spare === true,
    usable: (s) => !s.gone,
    // A spare whose stream already ended has nothing left to release.
    discard: (s) => {
      if (!s.gone) void transportOf(s, opts).close();
    },
  });
  return {
    key: `docker-exec:${opts.containerId}`,
    async connect(): Promise<Transport> {
      return transportOf(await spare.take(), opts);
    },
    close: () => spare.close(),
  };
}

async function startServer(opts: DockerExecOptions): Promise<Started> {
  const container = opts.docker.getContainer(opts.containerId);
  const info = await container.inspect();
  if (info.State.Status === 'removing' || info.State.Status === 'dead') {
    // Being removed (a replace or destroy in progress): as gone as Docker's 404, and said the
    // same way, so the upstream waits for the state instead of retrying this id.
    throw Object.assign(new Error(`No such container: ${opts.containerId} (it is being removed)`), {
      statusCode: 404,
    });
  }
  if (!info.State.Running) {
    throw new Error(`Container ${opts.containerId} is not running (status ${info.State.Status}).`);
  }
  const cmd = [...(info.Config.Entrypoint ?? []), ...(info.Config.Cmd ?? [])];
  if (cmd.length === 0)
    throw new Error(`Container ${opts.containerId} has no entrypoint or command to start a session's server with.`);
  // The exec inherits the container's environment; user and working directory are repeated
  // so the session's server runs exactly as the container's main process does.
  let exec: Dockerode.Exec;
  let socket: Duplex;
  try {
    exec = await container.exec({
      Cmd: cmd,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      User: info.Config.User || undefined,
      WorkingDir: info.Config.WorkingDir || undefined,
    });
    socket = (await exec.start({ hijack: true, stdin: true, Tty: false })) as Duplex;
  } catch (e) {
    // A removal that began after the inspect answers 409 here: look again, so that a container
    // on its way out is reported as gone, not as a failure worth retrying.
    if ((e as { statusCode?: number }).statusCode === 409) await goneCheck(container, opts.containerId);
    throw e;
  }
  opts.onExec?.(exec.id);
  // Output waits in the stream (paused) until the transport starts reading it.
  const started: Started = { exec, socket, stdout: demuxDocker(opts.docker, socket, opts.onStderr), gone: false };
  socket.once('close', () => (started.gone = true));
  return started;
}

/** Throws Docker's 404 shape when the container no longer exists or is being removed. */
async function goneCheck(container: Dockerode.Container, id: string): Promise<void> {
  const state = await container.inspect().then(
    (i) => i.State.Status,
    (e: unknown) => ((e as { statusCode?: number }).statusCode === 404 ? 'gone' : undefined),
  );
  if (state === 'gone' || state === 'removing' || state === 'dead')
    throw Object.assign(new Error(`No such container: ${id} (it is being removed)`), { statusCode: 404 });
}

function transportOf(s: Started, opts: DockerExecOptions): Transport {
  return streamTransport(s.stdout, s.socket, {
    // End of stdin is how an MCP stdio client asks its server to exit; the socket is cut
    // after a short grace, and a server still running then is stopped (stopLingering).
    onClose: () => {
      s.socket.end();
      const cut = setTimeout(() => {
        s.socket.destroy();
        void stopLingering(s.exec, opts);
      }, EXIT_GRACE_MS);
      cut.unref();
    },
  });
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
    opts.onStderr?.(
      `contextforge: the session's server (exec ${exec.id.slice(0, 12)}) did not exit after its input ended.`,
    );
  } catch {
    // Gone already, or not ours to signal (another user, a remote daemon): nothing more to do.
  }
}
