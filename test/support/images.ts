// Names of the locally built fixture images and the facts tests rely on about them, plus
// ensureFixtureImages(), which builds them (scripts/fixture-images.sh) when one is missing.
// It must not pull from a registry (none is reachable) nor remove any image.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { docker } from './docker.js';

/** node + its shared libraries + /tmp + /etc/passwd (root, mcp 10001); no shell. CMD node. */
export const NODE_IMAGE = 'contextforge-fixture/node:20';
/** @modelcontextprotocol/server-everything on NODE_IMAGE; default CMD is streamableHttp. */
export const EVERYTHING_IMAGE = 'contextforge-fixture/everything:latest';
/** Debian busybox-static with applets in /bin (sh, wget, nc, httpd, ...). CMD /bin/sh. */
export const BUSYBOX_IMAGE = 'contextforge-fixture/busybox:latest';

export const FIXTURE_IMAGES = [NODE_IMAGE, EVERYTHING_IMAGE, BUSYBOX_IMAGE] as const;
/** Label on every fixture image (value "true"). */
export const FIXTURE_LABEL = 'dev.contextforge.fixture';
/** Non-root user present in every fixture image's /etc/passwd. */
export const FIXTURE_USER = { name: 'mcp', uid: 10001, gid: 10001 } as const;

/**
 * Facts about the everything server (version 2026.8.31), read from its dist/index.js and
 * dist/transports/*. The first container argument selects the transport; the HTTP transports
 * listen on every interface (express listen without a host) on env PORT, 3001 in the image.
 */
export const EVERYTHING = {
  packageVersion: '2026.8.31',
  entrypoint: ['/usr/bin/node', '/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js'],
  /** Container port of the HTTP transports, and the env variable that changes it. */
  port: 3001,
  portEnv: 'PORT',
  streamableHttp: { cmd: ['streamableHttp'], path: '/mcp' },
  /** Legacy SSE: GET `path` opens the stream; the endpoint event names POST /message?sessionId=. */
  sse: { cmd: ['sse'], path: '/sse', messagePath: '/message' },
  /** stdio needs stdin attached (`docker run -i`, OpenStdin + AttachStdin). */
  stdio: { cmd: ['stdio'] },
  tools: {
    /** echo { message: string } → text "Echo: <message>". */
    echo: 'echo',
    /** get-sum { a: number, b: number } → text "The sum of <a> and <b> is <a+b>.". */
    sum: 'get-sum',
  },
} as const;

const script = fileURLToPath(new URL('../../scripts/fixture-images.sh', import.meta.url));
let ensured: Promise<void> | undefined;

async function missingImages(): Promise<string[]> {
  const missing: string[] = [];
  for (const name of FIXTURE_IMAGES) {
    try {
      await docker().getImage(name).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) missing.push(name);
      else throw err;
    }
  }
  return missing;
}

function runBuildScript(): Promise<void> {
  return new Promise((resolve, reject) => {
    // Build output goes to stderr so that it never mixes with uvu's result lines on stdout.
    const child = spawn('bash', [script], { stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`scripts/fixture-images.sh failed (${signal ?? `exit ${code}`}); see its output above.`));
    });
  });
}

/**
 * Makes sure every fixture image exists, building them when one is missing (first use on a
 * developer machine where .ci/run was not used). Call it after requireDocker() succeeded.
 * Images that exist but are stale are rebuilt by scripts/fixture-images.sh, not here.
 */
export function ensureFixtureImages(): Promise<void> {
  ensured ??= (async (): Promise<void> => {
    if ((await missingImages()).length === 0) return;
    await runBuildScript();
    const still = await missingImages();
    if (still.length > 0) throw new Error(`fixture images still missing after build: ${still.join(', ')}`);
  })();
  return ensured;
}
