// Runs a runtime's new artifact in a throwaway sandbox to read its tool surface for the plan:
// no network at all (`none`), read-only root with a small /tmp, every capability dropped, no
// new privileges, pid/memory/cpu limits, only the plain env of the config (never a secret), no
// published port, no mount, and a time limit. Stdio servers are attached directly; an HTTP
// server is reached by a bridge container (the edge image's node) that joins the sandbox's
// network namespace, which holds only loopback, and relays JSON lines on its stdin/stdout to
// the server's Streamable HTTP endpoint. Both containers are removed whatever happens.

import { PassThrough, type Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { DesiredResource } from '../../model/resources.js';
import { streamTransport } from '../../model/stream-transport.js';
import type { Surface } from '../../model/tool-surface.js';
import { listSurface } from '../surface-client.js';
import { ensureEdgeImage } from './edge-image.js';

export const SANDBOX_LABEL = 'dev.contextforge.sandbox';

/**
 * The bridge: stdin lines → POST to the server's endpoint (with its session id), answers (JSON
 * or an SSE stream) → stdout lines. A refused connection is retried while the server starts.
 */
export const BRIDGE_PROGRAM = String.raw`'use strict';
const http = require('http');
const port = Number(process.env.CF_PORT), path = process.env.CF_PATH || '/mcp';
let session, buf = '';
const out = (s) => process.stdout.write(s.replace(/\r?\n/g, ' ') + '\n');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (line.trim()) send(line, 0);
  }
});
process.stdin.on('end', () => process.exit(0));
function send(line, tries) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (session) headers['mcp-session-id'] = session;
  const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
    if (res.headers['mcp-session-id']) session = res.headers['mcp-session-id'];
    res.setEncoding('utf8');
    let body = '';
    if (String(res.headers['content-type'] || '').includes('text/event-stream')) {
      res.on('data', (c) => {
        body += c.replace(/\r\n/g, '\n');
        for (let j = body.indexOf('\n\n'); j >= 0; j = body.indexOf('\n\n')) {
          const ev = body.slice(0, j); body = body.slice(j + 2);
          const data = ev.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
          if (data) out(data);
        }
      });
    } else {
      res.on('data', (c) => (body += c));
      res.on('end', () => { if (body.trim() && res.statusCode < 300) out(body.trim()); else if (res.statusCode >= 300) fail(line, 'HTTP ' + res.statusCode); });
    }
  });
  req.on('error', (e) => {
    if (e.code === 'ECONNREFUSED' && tries < 300) return setTimeout(() => send(line, tries + 1), 100);
    fail(line, e.message);
  });
  req.end(line);
}
function fail(line, why) {
  let m; try { m = JSON.parse(line); } catch { return; }
  if (m.id !== undefined) out(JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32000, message: 'sandbox bridge: ' + why } }));
}
`;

export interface SandboxInput {
  docker: Dockerode;
  desired: DesiredResource;
  /** Connect + initialize + the four lists must finish within this; default 60 s. */
  timeoutMs?: number;
  /** Edge image override (the bridge runs in it); default the locally built edge image. */
  edgeImage?: string;
  progress?: (m: string) => void;
}

export interface SandboxResult {
  surface?: Surface;
  /** Why no surface was read. */
  note?: string;
}

/** The HostConfig every sandbox container gets (also asserted by tests). */
export function sandboxHostConfig(): Dockerode.HostConfig {
  return {
    NetworkMode: 'none',
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': 'rw,noexec,nosuid,size=64m' },
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: 256,
    Memory: 512 * 1024 * 1024,
    NanoCpus: 1_000_000_000,
    AutoRemove: false,
  };
}

async function attached(docker: Dockerode, c: Dockerode.Container): Promise<Transport> {
  const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
  const stdout = new PassThrough();
  docker.modem.demuxStream(stream, stdout, new PassThrough().resume());
  stream.on('end', () => stdout.end());
  return streamTransport(stdout, stream, { onClose: () => void stream.end() });
}

/** Starts the sandbox, reads the surface, removes the containers. Never throws. */
export async function discoverInDockerSandbox(input: SandboxInput): Promise<SandboxResult> {
  const { docker, desired } = input;
  const src = desired.spec.source;
  if (src.type !== 'docker') return { note: `${src.type} sources are not discovered in a Docker sandbox` };
  const transport = desired.spec.transport;
  if (transport.type === 'sse') return { note: 'legacy SSE servers are not discovered in a sandbox' };
  const env = Object.entries(desired.spec.env).map(([k, v]) => `${k}=${v}`);
  const labels = { [SANDBOX_LABEL]: 'true', [`${SANDBOX_LABEL}.runtime`]: desired.runtime };
  const created: Dockerode.Container[] = [];
  const timeoutMs = input.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const work = async (): Promise<SandboxResult> => {
    const stdio = transport.type === 'stdio';
    const server = await docker.createContainer({
      Image: src.image,
      ...(src.command ? { Entrypoint: src.command } : {}),
      ...(src.args ? { Cmd: src.args } : {}),
      Env: env,
      Labels: labels,
      OpenStdin: stdio,
      StdinOnce: stdio,
      AttachStdin: stdio,
      AttachStdout: stdio,
      AttachStderr: stdio,
      HostConfig: sandboxHostConfig(),
    });
    created.push(server);
    if (stdio) {
      const t = await attached(docker, server);
      await server.start();
      return { surface: await listSurface(t, timeoutMs) };
    }
    await server.start();
    const image = await ensureEdgeImage(docker, input.progress ?? (() => undefined), input.edgeImage);
    const bridge = await docker.createContainer({
      Image: image,
      Entrypoint: ['/usr/bin/node', '-e', BRIDGE_PROGRAM],
      Cmd: [],
      Env: [`CF_PORT=${transport.port ?? 8080}`, `CF_PATH=${transport.path ?? '/mcp'}`],
      Labels: labels,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      User: '65534:65534',
      HostConfig: { ...sandboxHostConfig(), NetworkMode: `container:${server.id}` },
    });
    created.push(bridge);
    const t = await attached(docker, bridge);
    await bridge.start();
    return { surface: await listSurface(t, timeoutMs) };
  };
  const working = work();
  // When the time limit wins, removing the containers fails the work: that failure is expected.
  working.catch(() => undefined);
  try {
    return await Promise.race([
      working,
      new Promise<SandboxResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ note: `the sandbox did not list its surface within ${Math.round(timeoutMs / 1000)} s` }),
          timeoutMs + 5000,
        );
      }),
    ]);
  } catch (e) {
    return { note: `the sandbox failed: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    clearTimeout(timer);
    await Promise.all(created.reverse().map((c) => c.remove({ force: true }).catch(() => undefined)));
  }
}
