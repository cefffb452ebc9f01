// Reads the files a config names (the config itself, includes, `.env`, compose files, seccomp
// profiles) under one policy: regular files only, inside the config's directory tree or an
// allow-list the operator gives (command line or environment, never the config), bounded in
// size, opened non-blocking so that a FIFO or a device can neither hang nor flood the load.

import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import { delimiter, dirname, relative, resolve, sep } from 'node:path';
import { error, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import { parseMemory } from './quantities.js';

/** Bytes one file may have unless the operator says otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Extra directories configs may read from, separated like PATH (`--allow-path` sets it). */
export const ALLOW_PATHS_ENV = 'CONTEXTFORGE_ALLOW_PATHS';
/** Per-file size bound, in bytes or with a unit such as 10m (`--max-file-size` sets it). */
export const MAX_FILE_SIZE_ENV = 'CONTEXTFORGE_MAX_FILE_SIZE';

export interface Confinement {
  /** The config's directory (real path): the tree every named file must stay in. */
  root: string;
  /** Real paths of further directories the operator allows. */
  allowed: string[];
  maxBytes: number;
}

export interface ConfinementInput {
  /** Directory of the config file as given (before symlinks are resolved). */
  dir: string;
  /** Operator allow-list; default from CONTEXTFORGE_ALLOW_PATHS. */
  allowPaths?: readonly string[];
  /** Per-file byte bound; default from CONTEXTFORGE_MAX_FILE_SIZE, else 5 MB. */
  maxFileBytes?: number;
  /** The operator's environment (default process.env); never the config's variables. */
  operatorEnv?: Record<string, string | undefined>;
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** The policy for one config, from its directory and the operator's settings. */
export function confinementFor(input: ConfinementInput): { value: Confinement; diags: Diagnostic[] } {
  const env = input.operatorEnv ?? process.env;
  const diags: Diagnostic[] = [];
  const allowRaw = input.allowPaths ?? (env[ALLOW_PATHS_ENV] ?? '').split(delimiter);
  const allowed = allowRaw.filter((p) => p.trim() !== '').map((p) => realOr(resolve(p)));
  let maxBytes = input.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const rawMax = input.maxFileBytes === undefined ? env[MAX_FILE_SIZE_ENV] : undefined;
  if (rawMax !== undefined && rawMax.trim() !== '') {
    const n = /^\s*[0-9]+\s*$/.test(rawMax) ? Number(rawMax) : parseMemory(rawMax);
    if (n === undefined || !Number.isSafeInteger(n) || n <= 0) {
      diags.push(
        error('config.max-file-size', `invalid ${MAX_FILE_SIZE_ENV} "${rawMax.slice(0, 40)}"`, {
          detail: `Give a positive number of bytes or a size such as 10m; using the default of ${DEFAULT_MAX_FILE_BYTES} bytes.`,
        }),
      );
    } else maxBytes = n;
  }
  return { value: { root: realOr(input.dir), allowed, maxBytes }, diags };
}

/** True when `real` (a real path) is the directory `dir` or below it. */
function within(real: string, dir: string): boolean {
  return real === dir || real.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

export function isConfined(real: string, c: Confinement): boolean {
  return within(real, c.root) || c.allowed.some((d) => within(real, d));
}

/**
 * Whether a directory (a glob's fixed prefix, possibly not existing) stays in the tree: its
 * nearest existing ancestor's real path plus the rest must be inside.
 */
export function directoryConfined(dir: string, c: Confinement): boolean {
  let existing = resolve(dir);
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(existing);
      return isConfined(resolve(real, ...rest.reverse()), c);
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return false;
      rest.push(existing.slice(parent.length).replace(/^[\\/]/, ''));
      existing = parent;
    }
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

export type ConfinedRead =
  | { ok: true; path: string; real: string; bytes: Buffer }
  | { ok: false; reason: 'missing' | 'outside' | 'not-regular' | 'too-large' | 'unreadable'; diag: Diagnostic };

export interface ReadRequest {
  /** What the file is, for messages: "config", "included file", ".env file", "compose file". */
  what: string;
  /** The key that names the file (file:line:col of the reference); none for -f and .env. */
  at?: SourceRange;
}

/**
 * Reads one file under the policy. Checks come before any read (lstat, realpath, stat) and
 * again on the open descriptor (fstat), and the read stops one byte past the bound.
 */
export function readConfined(path: string, c: Confinement, req: ReadRequest): ConfinedRead {
  const abs = resolve(path);
  const shown = relative(c.root, abs).startsWith('..') ? abs : relative(c.root, abs) || abs;
  const fail = (
    reason: Exclude<ConfinedRead, { ok: true }>['reason'],
    summary: string,
    detail: string,
  ): ConfinedRead => ({
    ok: false,
    reason,
    diag: error(`file.${reason}`, summary, { range: req.at, detail }),
  });
  const allowHint = `Files a config reads must be regular files below its directory (${c.root}); an operator can allow another directory with --allow-path DIR or ${ALLOW_PATHS_ENV}.`;
  let link: Stats;
  try {
    link = lstatSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return fail(
        'missing',
        `${req.what} not found: ${shown}`,
        'Check the path; relative paths are relative to the file that names them.',
      );
    return fail('unreadable', `cannot read ${req.what} ${shown} (${code ?? 'error'})`, 'Check the file permissions.');
  }
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      'missing',
      `${req.what} ${shown} is a broken symbolic link (${code ?? 'error'})`,
      'Point the link at a file inside the config directory, or replace it with the file.',
    );
  }
  if (!isConfined(real, c)) {
    return fail(
      'outside',
      link.isSymbolicLink()
        ? `${req.what} ${shown} is a symbolic link that leaves the config's directory`
        : `${req.what} ${shown} is outside the config's directory`,
      allowHint,
    );
  }
  let st: Stats;
  try {
    st = statSync(real);
  } catch (err) {
    return fail(
      'unreadable',
      `cannot read ${req.what} ${shown} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'Check the file permissions.',
    );
  }
  if (!st.isFile()) return fail('not-regular', `${req.what} ${shown} is ${kindOf(st)}`, allowHint);
  const tooLarge = (): ConfinedRead =>
    fail(
      'too-large',
      `${req.what} ${shown} is larger than ${c.maxBytes} bytes`,
      `Files a config reads are limited to ${c.maxBytes} bytes; an operator can raise the limit with --max-file-size or ${MAX_FILE_SIZE_ENV}.`,
    );
  if (st.size > c.maxBytes) return tooLarge();
  let fd: number;
  try {
    // O_NONBLOCK: if the file was swapped for a FIFO after the checks, open must not wait for a
    // writer. O_NOFOLLOW: the real path has no links left, so a link here is a swap too.
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    return fail(
      'unreadable',
      `cannot read ${req.what} ${shown} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'Check the file permissions.',
    );
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) return fail('not-regular', `${req.what} ${shown} is ${kindOf(fst)}`, allowHint);
    // Files such as those of /proc report size 0: read to the bound, never to the end.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, c.maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return fail('not-regular', `${req.what} ${shown} is not a regular file`, allowHint);
        return fail('unreadable', `cannot read ${req.what} ${shown} (${code ?? 'error'})`, 'Check the file.');
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > c.maxBytes) return tooLarge();
    }
    return { ok: true, path: abs, real, bytes: Buffer.concat(chunks, total) };
  } finally {
    closeSync(fd);
  }
}
