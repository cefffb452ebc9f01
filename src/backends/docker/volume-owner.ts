// Makes the volumes of `allowed_mounts` writable by the user the server runs as. Docker creates
// a fresh volume's root owned by root (mode 0755) when the image lacks the directory, so a
// non-root server gets EACCES on its own data mount. Before the main container starts, a
// short-lived helper container (the edge image: node, nothing else) mounts the volumes and
// gives their root directories (only the roots; never the data below) to that user. The user
// comes from the image's USER; a user or group given by name is looked up in the image's own
// /etc/passwd and /etc/group, copied into the helper with the engine's archive API (no tar
// handling here). Docker has no option that sets a named volume's owner, hence this module.

import type Dockerode from 'dockerode';
import { isNotFound } from './errors.js';
import { removeContainer } from './containers.js';
import { LABEL, MANAGED_BY } from './labels.js';

/** The helper's program: resolves CF_USER against the image's /passwd and /group and chowns /cf-vol/*. */
const CHOWN_PROGRAM = `
const fs = require('fs');
const read = (f) => { try { return fs.readFileSync('/' + f, 'utf8').split('\\n').map((l) => l.split(':')); } catch { return []; } };
const [u, g] = process.env.CF_USER.split(':');
const passwd = read('passwd');
const entry = /^\\d+$/.test(u) ? passwd.find((p) => p[2] === u) : passwd.find((p) => p[0] === u);
const uid = /^\\d+$/.test(u) ? Number(u) : entry ? Number(entry[2]) : NaN;
let gid = entry ? Number(entry[3]) : 0;
if (g !== undefined) {
  const grp = read('group').find((x) => x[0] === g);
  gid = /^\\d+$/.test(g) ? Number(g) : grp ? Number(grp[2]) : NaN;
}
if (!Number.isInteger(uid) || !Number.isInteger(gid)) { console.error('user ' + process.env.CF_USER + ' is not in the image'); process.exit(3); }
for (const v of fs.readdirSync('/cf-vol')) fs.chownSync('/cf-vol/' + v, uid, gid);
console.log('owner ' + uid + ':' + gid);
`;

/** True when the image's USER (empty, `root`, `0`, `0:…`) means root: nothing to do. */
export function isRootUser(user: string | undefined): boolean {
  const u = (user ?? '').split(':')[0];
  return u === '' || u === 'root' || u === '0';
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/**
 * Gives the roots of `volumes` to the image's user (a no-op for root images and for no
 * volumes). Throws when the helper fails, with its output, so that apply reports it.
 */
export async function ownVolumesForImageUser(input: {
  docker: Dockerode;
  image: string;
  volumes: string[];
  helperImage: () => Promise<string>;
  stack: string;
}): Promise<void> {
  const { docker, image, volumes, stack } = input;
  if (volumes.length === 0) return;
  const user = (await docker.getImage(image).inspect()).Config?.User;
  if (isRootUser(user)) return;
  const labels = { [LABEL.managedBy]: MANAGED_BY, [LABEL.stack]: stack };
  const helper = await docker.createContainer({
    Image: await input.helperImage(),
    Entrypoint: ['/usr/bin/node', '-e', CHOWN_PROGRAM],
    Cmd: [],
    Env: [`CF_USER=${user}`],
    User: '0:0',
    Labels: labels,
    HostConfig: {
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      CapAdd: ['CHOWN'],
      SecurityOpt: ['no-new-privileges'],
      Mounts: volumes.map((v, i) => ({ Type: 'volume' as const, Source: v, Target: `/cf-vol/${i}` })),
    },
  });
  try {
    // Only a name needs the image's account files; a numeric uid:gid is used as it is.
    if (!/^\d+(:\d+)?$/.test(user ?? '')) {
      // A container of the image that is created, never started: its files are readable.
      const source = await docker.createContainer({ Image: image, Entrypoint: ['/cf-never-run'], Labels: labels });
      try {
        for (const file of ['passwd', 'group']) {
          let tar: Buffer;
          try {
            tar = await collect(await source.getArchive({ path: `/etc/${file}` }));
          } catch (err) {
            if (isNotFound(err)) continue;
            throw err;
          }
          // The helper image has no /etc of its own: the files land at /passwd and /group.
          await helper.putArchive(tar, { path: '/' });
        }
      } finally {
        await removeContainer(docker, source.id);
      }
    }
    await helper.start();
    const { StatusCode } = (await helper.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const out = (await helper.logs({ stdout: true, stderr: true })).toString('utf8');
      throw new Error(`could not give the volumes ${volumes.join(', ')} to user ${user}: ${out.trim()}`);
    }
  } finally {
    await removeContainer(docker, helper.id);
  }
}
