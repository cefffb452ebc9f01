// The content digest of a compose source's build contexts: for each service with `build:`, one
// SHA-256 over the relative path and content of every file the Docker build is sent (the whole
// context except a top-level .git, as backends/docker/build.ts sends it). It goes into the spec,
// so editing a Dockerfile or any file of its context moves the hash and plans a replace.
// Reading is bounded; past the budget a file counts by path, size and mtime only.

import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from '../vendor/yaml.js';

/** Bytes read for content hashing per context; beyond it, files count by size and mtime. */
const CONTENT_BUDGET = 128 * 1024 * 1024;
/** Files per context; beyond it, the context is refused (a build would be as slow). */
const MAX_FILES = 50_000;

export interface ComposeBuildSource {
  composeFile: string;
  inline: boolean;
  baseDir: string;
  content?: string;
}

async function listContext(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === '.git' && dir === root) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p);
      if (out.length > MAX_FILES) throw new Error(`build context ${root} has more than ${MAX_FILES} files`);
    }
  };
  await walk(root);
  return out.sort();
}

/** One digest of a build context, over its files' paths and contents. */
export async function contextDigest(root: string, dockerfile: string): Promise<string> {
  const h = createHash('sha256');
  h.update(`dockerfile\0${dockerfile}\0`);
  let budget = CONTENT_BUDGET;
  for (const file of await listContext(root)) {
    const name = relative(root, file).split(sep).join('/');
    const st = await stat(file);
    h.update(`file\0${name}\0${st.size}\0`);
    if (st.size <= budget) {
      budget -= st.size;
      h.update(
        createHash('sha256')
          .update(await readFile(file))
          .digest('hex'),
      );
    } else {
      h.update(`mtime\0${st.mtimeMs}`);
    }
  }
  return `sha256:${h.digest('hex')}`;
}

/**
 * Digest of every build context of a compose source, by service name; an empty record when no
 * service builds. Throws on an unreadable context (the caller turns it into a diagnostic).
 */
export async function composeBuildDigests(source: ComposeBuildSource, text: string): Promise<Record<string, string>> {
  const doc = parse(text) as { services?: Record<string, { build?: unknown }> } | null;
  const base = source.inline ? source.baseDir : dirname(resolve(source.baseDir, source.composeFile));
  const out: Record<string, string> = {};
  for (const [name, svc] of Object.entries(doc?.services ?? {})) {
    const b = svc?.build;
    if (b === undefined || b === null) continue;
    const context =
      typeof b === 'string'
        ? b
        : typeof (b as { context?: unknown }).context === 'string'
          ? (b as { context: string }).context
          : '.';
    const dockerfile =
      typeof b === 'object' && typeof (b as { dockerfile?: unknown }).dockerfile === 'string'
        ? (b as { dockerfile: string }).dockerfile
        : 'Dockerfile';
    out[name] = await contextDigest(resolve(base, context), dockerfile);
  }
  return out;
}
