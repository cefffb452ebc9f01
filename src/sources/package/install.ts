// Package sources on this host: one exact release installed once into a cache directory with the
// registry's own installer (npm for npm, uv for pypi), and the command that runs its executable.
// Both backends use it: the process backend runs the command, the Docker backend copies the
// npm install into an image. It never resolves a range (the version is exact) and never runs
// the server. No library installs packages for us: npm and uv are the tools, driven here.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { error, type Result } from '../../diag/diagnostic.js';

export interface PackageRef {
  registry: 'npm' | 'pypi';
  name: string;
  version: string;
  bin?: string;
}

export interface InstalledPackage {
  /** The directory the release is installed in (npm: a prefix with node_modules/). */
  dir: string;
  /** npm: the executable's file inside dir (relative, `/`-separated); pypi: its console script. */
  entry: string;
  /** The command and arguments that start the executable on this host (before the source's args). */
  command: string;
  args: string[];
}

export interface InstallOptions {
  /** The cache root (packageCacheDir()). */
  cacheDir: string;
  address: string;
  signal?: AbortSignal;
  /** Longest wait for the installer (default 10 minutes: a cold cache downloads the tree). */
  timeoutMs?: number;
  progress?(line: string): void;
}

const DEFAULT_INSTALL_TIMEOUT_MS = 10 * 60_000;
/** Written last into a finished install: a directory without it is a broken attempt. */
const DONE = '.contextforge-installed';

/**
 * The machine-wide cache of installed releases (like npx's): CONTEXTFORGE_PACKAGE_CACHE, else
 * $XDG_CACHE_HOME/contextforge/packages, else ~/.cache/contextforge/packages. A release is the
 * same bytes for every config, so it is installed once per user, not once per checkout.
 */
export function packageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONTEXTFORGE_PACKAGE_CACHE) return resolve(env.CONTEXTFORGE_PACKAGE_CACHE);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'contextforge', 'packages');
}

/** The cache directory of one release: readable, one level, no path tricks from the name. */
export function packageDir(cacheDir: string, p: PackageRef): string {
  const safe = p.name.replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '+');
  return join(cacheDir, p.registry, `${safe}@${p.version}`);
}

interface Run {
  code: number | null;
  output: string;
  missing: boolean;
}

function run(command: string, args: string[], options: { cwd: string; signal: AbortSignal }): Promise<Run> {
  return new Promise((resolveRun) => {
    let output = '';
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
    const keep = (b: Buffer): void => {
      output = (output + b.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolveRun({ code: null, output: output + err.message, missing: err.code === 'ENOENT' }),
    );
    child.once('close', (code) => resolveRun({ code, output, missing: false }));
  });
}

const tail = (text: string, lines = 8): string =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join('\n');

/** The executable of an installed npm package: `bin` when given, its only one, or the one named like it. */
export function npmEntry(
  pkgJson: { name?: string; bin?: string | Record<string, string> },
  wanted?: string,
): Result<string> {
  const bins: Record<string, string> =
    typeof pkgJson.bin === 'string'
      ? { [(pkgJson.name ?? '').replace(/^@[^/]+\//, '')]: pkgJson.bin }
      : { ...(pkgJson.bin ?? {}) };
  const names = Object.keys(bins);
  const unscoped = (pkgJson.name ?? '').replace(/^@[^/]+\//, '');
  const pick = wanted ?? (names.length === 1 ? names[0] : names.find((n) => n === unscoped));
  if (pick && Object.hasOwn(bins, pick)) return { value: bins[pick].replace(/^\.\//, ''), diags: [] };
  return {
    diags: [
      error(
        'package.bin-unknown',
        `${pkgJson.name ?? 'the package'} has ${names.length ? `no executable ${wanted ? `"${wanted}"` : 'named like it'}` : 'no executable (bin)'}`,
        {
          detail: names.length
            ? `Set source.bin to one of: ${names.join(', ')}.`
            : 'A package source runs the executable the package declares in its package.json "bin"; this package declares none.',
        },
      ),
    ],
  };
}

/**
 * Installs `name@version` (npm) or `name==version` (pypi) into its cache directory unless it is
 * there already, and says how to run it. Concurrent installs of one release are safe: each
 * installs into a temporary directory and the first rename wins.
 */
export async function installPackage(p: PackageRef, options: InstallOptions): Promise<Result<InstalledPackage>> {
  const dir = packageDir(options.cacheDir, p);
  const spec = p.registry === 'npm' ? `${p.name}@${p.version}` : `${p.name}==${p.version}`;
  if (!existsSync(join(dir, DONE))) {
    options.progress?.(`installing ${p.registry} package ${spec} (once; cached in ${dir})`);
    const parent = dirname(dir);
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    // An interrupted earlier attempt left a directory without the mark: it is started over.
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    const tmp = await mkdtemp(join(parent, '.install-'));
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const r =
        p.registry === 'npm'
          ? await run(
              'npm',
              [
                'install',
                '--prefix',
                tmp,
                '--no-save',
                '--no-audit',
                '--no-fund',
                '--omit=dev',
                '--loglevel=error',
                spec,
              ],
              { cwd: tmp, signal },
            )
          : await installPypi(tmp, spec, signal);
      if (r.missing || r.code !== 0) {
        const tool = p.registry === 'npm' ? 'npm' : 'uv';
        return {
          diags: [
            error(
              'package.install-failed',
              r.missing
                ? `${options.address}: ${tool} is not installed on this host, so ${spec} cannot be installed`
                : timeout.aborted
                  ? `${options.address}: installing ${spec} timed out`
                  : signal.aborted
                    ? `${options.address}: installing ${spec} was cancelled`
                    : `${options.address}: installing ${spec} failed (exit ${r.code ?? '-'})`,
              {
                address: options.address,
                detail: r.missing
                  ? p.registry === 'npm'
                    ? 'npm ships with Node.js: put it on PATH, then apply again.'
                    : 'PyPI packages are installed with uv (https://docs.astral.sh/uv/): install it so that `uv` is on PATH, then apply again.'
                  : `Check that the ${p.registry} registry is reachable and ${spec} exists. Installer output:\n${tail(r.output)}`,
              },
            ),
          ],
        };
      }
      writeFileSync(join(tmp, DONE), `${spec}\n`);
      try {
        renameSync(tmp, dir);
      } catch (err) {
        // Another apply finished the same release first: theirs is as good as ours.
        if (!existsSync(join(dir, DONE))) throw err;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } else {
    options.progress?.(`${p.registry} package ${spec} is installed (${dir})`);
  }
  return describeInstall(dir, p);
}

/** The release as installed in the cache, or undefined when it is not (nothing is installed). */
export function installedPackage(p: PackageRef, cacheDir: string): InstalledPackage | undefined {
  const dir = packageDir(cacheDir, p);
  if (!existsSync(join(dir, DONE))) return undefined;
  return describeInstall(dir, p).value;
}

function installPypi(tmp: string, spec: string, signal: AbortSignal): Promise<Run> {
  // A venv of its own per release, so that each server gets exactly its pinned dependency tree.
  return run('uv', ['venv', '--quiet', join(tmp, 'venv')], { cwd: tmp, signal }).then((r) =>
    r.missing || r.code !== 0
      ? r
      : run('uv', ['pip', 'install', '--quiet', '--python', join(tmp, 'venv', 'bin', 'python'), spec], {
          cwd: tmp,
          signal,
        }),
  );
}

function describeInstall(dir: string, p: PackageRef): Result<InstalledPackage> {
  if (p.registry === 'pypi') {
    // Console scripts are named by the project; the PyPI convention is the project's own name.
    const entry = `venv/bin/${p.bin ?? p.name}`;
    if (!existsSync(join(dir, entry)))
      return {
        diags: [
          error('package.bin-unknown', `${p.name}==${p.version} installs no console script "${p.bin ?? p.name}"`, {
            detail: 'Set source.bin to the script the project installs (see its README).',
          }),
        ],
      };
    return { value: { dir, entry, command: join(dir, entry), args: [] }, diags: [] };
  }
  const pkgRoot = join(dir, 'node_modules', ...p.name.split('/'));
  let pkgJson: { name?: string; version?: string; bin?: string | Record<string, string> };
  try {
    pkgJson = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8')) as typeof pkgJson;
  } catch {
    return {
      diags: [
        error('package.install-broken', `the install of ${p.name}@${p.version} in ${dir} has no package.json`, {
          detail: `Remove ${dir} and apply again.`,
        }),
      ],
    };
  }
  if (pkgJson.version !== p.version)
    return {
      diags: [
        error('package.install-broken', `${dir} holds ${p.name}@${pkgJson.version ?? '?'}, not ${p.version}`, {
          detail: `Remove ${dir} and apply again.`,
        }),
      ],
    };
  const bin = npmEntry(pkgJson, p.bin);
  if (!bin.value) return { diags: bin.diags };
  const file = resolve(pkgRoot, bin.value);
  if (!file.startsWith(pkgRoot + sep))
    return { diags: [error('package.bin-unknown', `the executable of ${p.name} points outside the package`)] };
  const entry = ['node_modules', ...p.name.split('/'), ...bin.value.split('/')].join('/');
  // The Node that runs contextforge runs the server: no `node` on PATH is needed, and no npx.
  return { value: { dir, entry, command: process.execPath, args: [file] }, diags: [] };
}
