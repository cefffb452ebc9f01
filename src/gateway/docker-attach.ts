// A StdioConnector that speaks MCP over `docker attach` to a running container started with
// OpenStdin: true, StdinOnce: false, Tty: false. It demultiplexes docker's framed stdout/stderr
// and never starts, stops or removes the container: that is the Docker backend's job.
// The container has one stdin and one JSON-RPC id space, so it takes one attacher at a time:
// a second one (in this or another gateway process on the host) is refused, never mixed in.
// Runtimes recorded by apply use dockerExecConnector (a server per session) instead.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { streamTransport } from './stdio-connectors.js';
import type { StdioConnector } from './types.js';

export interface DockerAttachOptions {
  docker: Dockerode;
  containerId: string;
  /** Receives the container's stderr, line by line; by default it is discarded. */
  onStderr?: (line: string) => void;
  /** Where the host-wide attach claims live; default the OS temp directory. */
  lockDir?: string;
}

export function dockerAttachConnector(opts: DockerAttachOptions): StdioConnector {
  return {
    key: `docker-attach:${opts.containerId}`,
    singleSession: true,
    async connect(): Promise<Transport> {
      const release = claimAttach(opts.containerId, opts.lockDir ?? tmpdir());
      try {
        return await attach(opts, release);
      } catch (e) {
        release();
        throw e;
      }
    },
  };
}

/**
 * Takes the host-wide claim on attaching to `containerId`: a lock file holding the owner's pid.
 * A claim whose process is gone is stale and taken over. Returns the release function.
 */
function claimAttach(containerId: string, dir: string): () => void {
  const file = join(dir, `contextforge-attach-${containerId.slice(0, 64)}.lock`);
  const mine = `${process.pid}:${randomUUID()}`;
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(file, 'utf8').split(':')[0]);
      if (owner > 0 && alive(owner)) {
        throw new Error(
          `Container ${containerId} is already attached by gateway process ${owner}; its stdio server has one stdin and cannot be shared safely, so a second attacher is refused. Serve it through docker exec (a server per session) instead.`,
        );
      }
      try {
        unlinkSync(file);
      } catch {
        // Another claimant removed the stale file first; the next try decides.
      }
    }
  }
  throw new Error(
    `Could not claim the attach to container ${containerId}; another gateway is attaching at the same time.`,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function attach(opts: DockerAttachOptions, release: () => void): Promise<Transport> {
  const container = opts.docker.getContainer(opts.containerId);
  const info = await container.inspect();
  if (info.Config.Tty) {
    throw new Error(`Container ${opts.containerId} has a TTY; MCP over attach needs Tty: false.`);
  }
  if (!info.Config.OpenStdin) {
    throw new Error(`Container ${opts.containerId} was created without OpenStdin; the gateway cannot write to it.`);
  }
  if (!info.State.Running) {
    throw new Error(`Container ${opts.containerId} is not running (status ${info.State.Status}).`);
  }
  // hijack gives one duplex socket: writes go to the container's stdin, reads are framed output.
  const socket = (await container.attach({
    stream: true,
    stdin: true,
    stdout: true,
    stderr: true,
    hijack: true,
  })) as Duplex;
  const stdout = demuxDocker(opts.docker, socket, opts.onStderr);
  return streamTransport(stdout, socket, {
    // Ending our side of the attach leaves the container running (StdinOnce is false).
    onClose: () => {
      socket.destroy();
      release();
    },
  });
}

/**
 * Splits docker's framed output of a hijacked attach or exec socket into stdout (returned) and
 * stderr (to `onStderr`, line by line); the returned stream ends when the socket does.
 */
export function demuxDocker(docker: Dockerode, socket: Duplex, onStderr?: (line: string) => void): PassThrough {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(socket, stdout, stderr);
  let pending = '';
  stderr.on('data', (chunk: Buffer) => {
    if (!onStderr) return;
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) onStderr(l);
  });
  const endOutputs = (): void => {
    stdout.end();
    stderr.end();
  };
  socket.on('end', endOutputs);
  socket.on('close', endOutputs);
  socket.on('error', (e: Error) => stdout.destroy(e));
  return stdout;
}
