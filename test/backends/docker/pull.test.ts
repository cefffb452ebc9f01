// Image pulls through the Docker backend from a real registry on 127.0.0.1 (Debian's
// docker-registry): a missing image is pulled with progress lines before the container starts,
// and `pull: never` on a missing image is a diagnostic, not a pull.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDockerBackend } from '../../../src/backends/docker/index.js';
import { docker, requireDocker, uniqueName } from '../../support/docker.js';
import { BUSYBOX_IMAGE, ensureFixtureImages } from '../../support/images.js';
import { requireRegistry, startRegistry, type LocalRegistry } from '../../support/registry.js';
import { applyContext, cleanupStack, countingDocker, desired } from './fixtures.js';

const SUITE = 'docker-pull';
const stack = uniqueName('cf-pull').slice(0, 40).replace(/-+$/, '');
let registry: LocalRegistry | undefined;
let remote = '';

async function follow(stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker().modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = out?.find((e) => e.error);
      if (err || failed) reject(err ?? new Error(failed!.error));
      else resolve();
    });
  });
}

async function untag(ref: string): Promise<void> {
  await docker()
    .getImage(ref)
    .remove({ noprune: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
}

if ((await requireDocker(SUITE)) && requireRegistry(SUITE)) {
  test.before(async () => {
    await ensureFixtureImages();
    registry = await startRegistry();
    const repo = `${registry.host}/cf-test/busybox`;
    const tag = uniqueName('t');
    remote = `${repo}:${tag}`;
    await docker().getImage(BUSYBOX_IMAGE).tag({ repo, tag });
    // The engine insists on an X-Registry-Auth header even for a registry without auth.
    await follow(
      await docker()
        .getImage(remote)
        .push({ authconfig: { serveraddress: registry.host } }),
    );
    // Only our extra tag goes; the fixture image itself stays.
    await untag(remote);
  });

  test.after(async () => {
    await cleanupStack(stack);
    if (remote) await untag(remote);
    await registry?.stop();
  });

  test('pull: never on a missing image is a diagnostic and makes no pull request', async () => {
    const counting = countingDocker();
    const b = createDockerBackend(
      'local',
      { type: 'docker', allowed_registries: [registry!.host] },
      { docker: counting.docker },
    );
    const d = desired({
      stack,
      runtime: 'never',
      image: remote,
      pull: 'never',
      command: ['/bin/sleep', '60'],
      transport: { type: 'stdio' },
    });
    const out = await b.apply(b.plan(d, undefined), applyContext(stack));
    assert.is(out.status, 'failed');
    assert.is(out.diags[0].code, 'docker.image-missing');
    assert.not.ok(counting.requests.some((r) => r.startsWith('POST /images/create')));
  });

  test('a missing image from an allowed registry is pulled, with progress, then run', async () => {
    const b = createDockerBackend('local', { type: 'docker', allowed_registries: [registry!.host] });
    const d = desired({
      stack,
      runtime: 'pulled',
      image: remote,
      pull: 'missing',
      command: ['/bin/sleep', '600'],
      transport: { type: 'stdio' },
    });
    assert.equal(b.validate([d]), []);
    const ctx = applyContext(stack);
    const out = await b.apply(b.plan(d, undefined), ctx);
    assert.is(out.status, 'created', JSON.stringify(out.diags));
    assert.ok(
      ctx.lines.some((l) => l.startsWith(`pulling image ${remote}`)),
      ctx.lines.join('\n'),
    );
    assert.ok(
      ctx.lines.some((l) => l.startsWith(`pull ${remote}:`)),
      ctx.lines.join('\n'),
    );
    assert.is(out.observed?.status, 'running');
  });

  test.run();
}
