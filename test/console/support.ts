// A served stack for the console tests: a copy of the quick start (process backend) with a
// secret env value, named users (an approver and a viewer, by token file) and the admin token,
// run by the real compiled CLI (`up --port 0`). Callers stop it with stop().
import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cleanupCopy, quickstartCopy, runCli, type CliRun, type QuickstartCopy } from '../cli/up-support.js';

export interface ServedStack {
  copy: QuickstartCopy;
  up: CliRun;
  base: string;
  tokens: { admin: string; alice: string; victor: string };
  secret: string;
  stop(): Promise<void>;
}

const rand = (): string => randomBytes(18).toString('base64url');

export async function serveStack(
  options: { transform?: (yaml: string) => string; env?: Record<string, string>; git?: boolean } = {},
): Promise<ServedStack> {
  const copy = quickstartCopy();
  // The copy's PATH holds node only (no docker); a test of git proposals adds git to it.
  if (options.git)
    symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), join(copy.path, 'git'));
  const tokens = { admin: `adm-${rand()}`, alice: `ali-${rand()}`, victor: `vic-${rand()}` };
  const secret = `s3cret-${rand()}`;
  writeFileSync(join(copy.dir, 'alice.token'), `${tokens.alice}\n`);
  writeFileSync(join(copy.dir, 'victor.token'), `${tokens.victor}\n`);
  const file = join(copy.dir, 'contextforge.yaml');
  let yaml = readFileSync(file, 'utf8');
  yaml = yaml.replace(
    '        default: Hello\n',
    '        default: Hello\n      QUICKSTART_API_KEY:\n        description: A credential the console must never show.\n        secret: true\n',
  );
  yaml = yaml.replace(
    '    backend: local\n',
    '    backend: local\n    env:\n      QUICKSTART_API_KEY: ${CF_TEST_API_KEY}\n',
  );
  yaml = yaml.replace(
    '  port: 4444\n',
    [
      '  port: 4444',
      '  auth:',
      '    tokens: ["${CF_TEST_ADMIN_TOKEN}"]',
      '    users:',
      '      - { name: alice, token_file: alice.token, roles: [approver] }',
      '      - { name: victor, token_file: victor.token, roles: [viewer] }',
      '',
    ].join('\n'),
  );
  writeFileSync(file, options.transform ? options.transform(yaml) : yaml);
  const up = runCli(['up', '--port', '0', '--down-on-exit'], {
    cwd: copy.dir,
    path: copy.path,
    env: { CF_TEST_API_KEY: secret, CF_TEST_ADMIN_TOKEN: tokens.admin, ...options.env },
  });
  const m = await up.waitFor(/Gateway listening on (http:\/\/127\.0\.0\.1:\d+)\/mcp/, 90_000);
  return {
    copy,
    up,
    base: m[1],
    tokens,
    secret,
    async stop() {
      if (up.child.exitCode === null) {
        up.child.kill('SIGINT');
        await up.exited;
      }
      cleanupCopy(copy);
    },
  };
}

export async function api(
  s: ServedStack,
  path: string,
  token: string | undefined,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; text: string; type: string }> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (token) headers.authorization = `Bearer ${token}`;
  let r: Response;
  try {
    r = await fetch(`${s.base}${path}`, { ...init, headers });
  } catch (e) {
    // undici may reuse a keep-alive socket the server is closing that instant (its idle timeout
    // passed while the test ran a CLI); the request never reached the server, so send it again.
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw e;
    r = await fetch(`${s.base}${path}`, { ...init, headers });
  }
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: r.status, body, text, type: r.headers.get('content-type') ?? '' };
}
