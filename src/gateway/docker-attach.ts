// A StdioConnector that speaks MCP over `docker attach` to a running container started with
// OpenStdin: true, StdinOnce: false, Tty: false. It demultiplexes docker's framed stdout/stderr
// and never starts, stops or removes the container: that is the Docker backend's job.
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
}

export function dockerAttachConnector(opts: DockerAttachOptions): StdioConnector {
  return {
    key: `docker-attach:${opts.containerId}`,
    async connect(): Promise<Transport> {
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
      const socket = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      opts.docker.modem.demuxStream(socket, stdout, stderr);
      let pending = '';
      stderr.on('data', (chunk: Buffer) => {
        if (!opts.onStderr) return;
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) opts.onStderr(l);
      });
      const endOutputs = (): void => {
        stdout.end();
        stderr.end();
      };
      socket.on('end', endOutputs);
      socket.on('close', endOutputs);
      socket.on('error', (e: Error) => stdout.destroy(e));
      return streamTransport(stdout, socket, {
        // Ending our side of the attach leaves the container running (StdinOnce is false).
        onClose: () => {
          socket.destroy();
        },
      });
    },
  };
}
