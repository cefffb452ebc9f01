#!/usr/bin/env node
// Builds the image that runs the gateway as a Code Engine app: src/host/code-engine-gateway-main.ts
// bundled by esbuild into one file (the gateway, the MCP SDK and their pure-JS dependencies; no
// native module) on top of a Node 20 base image. Usage:
//   node scripts/code-engine-gateway-image.mjs <tag> [--base IMAGE]
// --base defaults to contextforge-fixture/node:20 (scripts/fixture-images.sh; no registry
// needed, for the emulator's Docker mode); for a real account use a Node 20 image from a public
// registry pinned by digest, then push <tag> where Code Engine can pull it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const tag = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--base');
const baseAt = args.indexOf('--base');
const base = baseAt >= 0 ? args[baseAt + 1] : 'contextforge-fixture/node:20';
if (!tag || !base) {
  process.stderr.write('usage: node scripts/code-engine-gateway-image.mjs <tag> [--base IMAGE]\n');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'cf-gateway-image-'));
try {
  await build({
    entryPoints: [join(root, 'src/host/code-engine-gateway-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(dir, 'gateway.mjs'),
    // Bundled CommonJS dependencies call require(); give the ES module one.
    banner: {
      js: "import { createRequire as __cfRequire } from 'node:module'; const require = __cfRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      `FROM ${base}`,
      'COPY gateway.mjs /app/gateway.mjs',
      'ENV PORT=8080',
      'EXPOSE 8080',
      'ENTRYPOINT ["node", "/app/gateway.mjs"]',
      'LABEL dev.contextforge.image=code-engine-gateway',
      '',
    ].join('\n'),
  );
  const r = spawnSync('docker', ['build', '-q', '-t', tag, dir], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    process.stderr.write(`docker build failed: ${r.stderr || r.stdout}\n`);
    process.exit(1);
  }
  process.stdout.write(`${tag}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
