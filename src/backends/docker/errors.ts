// Turns failures of the Docker daemon API into diagnostics: an unreachable daemon, transient
// errors the engine may retry, and plain API errors. Never returns a stack trace, and scrubs
// every secret value it is given out of daemon messages before they reach a diagnostic.

import { error, type Diagnostic } from '../../diag/diagnostic.js';

export interface DaemonTarget {
  /** How the daemon is reached, for messages: a socket path or a tcp URL. */
  where: string;
}

interface DockerishError {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: unknown;
  message?: string;
  errno?: number;
}

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ESOCKETTIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

function asErr(err: unknown): DockerishError {
  return (err && typeof err === 'object' ? err : { message: String(err) }) as DockerishError;
}

export function isUnreachable(err: unknown): boolean {
  const e = asErr(err);
  return e.code !== undefined && UNREACHABLE.has(e.code) && e.statusCode === undefined;
}

export function isNotFound(err: unknown): boolean {
  return asErr(err).statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return asErr(err).statusCode === 409;
}

/**
 * The engine cannot start a container because containerd kept what it had begun for its task
 * when dockerd died while creating that task; after the restart dockerd no longer knows it.
 * Two shapes, depending on where the crash landed: "task <id>: already exists" (the task was
 * created) and "failed to start shim: mkdir <bundle>: file exists" (its bundle directory was).
 * Starting again never succeeds; only a new container does.
 */
export function isTaskLost(err: unknown): boolean {
  const e = asErr(err);
  if (e.statusCode === undefined || e.statusCode < 500) return false;
  const message = daemonMessage(e);
  return (
    /task [0-9a-f]+: already exists/i.test(message) ||
    /failed to start shim: mkdir \S*\/[0-9a-f]{64}: file exists/i.test(message)
  );
}

/** Errors worth retrying: dropped connections, daemon 5xx, and 409s saying something is in progress. */
export function isTransient(err: unknown): boolean {
  const e = asErr(err);
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  if (e.statusCode !== undefined && e.statusCode >= 500) return true;
  if (e.statusCode === 409 && /in progress|is already in progress|removal of container/i.test(daemonMessage(e)))
    return true;
  return false;
}

/** The daemon's own message, without dockerode's "(HTTP code 404) no such container -" prefix. */
export function daemonMessage(err: unknown): string {
  const e = asErr(err);
  const json = e.json as { message?: string } | string | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
  if (typeof json === 'string' && json.trim()) return json.trim();
  return (e.message ?? 'unknown error').replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('(sensitive)');
  return out;
}

export function unreachableDiagnostic(target: DaemonTarget, err: unknown): Diagnostic {
  const e = asErr(err);
  const why =
    e.code === 'EACCES' || e.code === 'EPERM'
      ? 'permission was denied on the socket'
      : e.code === 'ENOENT'
        ? 'the socket does not exist'
        : e.code === 'ECONNREFUSED'
          ? 'the connection was refused'
          : `the connection failed (${e.code ?? 'unknown'})`;
  return error('docker.unreachable', `The Docker daemon at ${target.where} is not answering: ${why}`, {
    detail:
      'Start the daemon (for example `sudo systemctl start docker` or `sudo dockerd &`), check that ' +
      "DOCKER_HOST or the backend's socket/host setting points at it, and that your user may use the " +
      'socket (membership of the docker group).',
  });
}

export interface FailureContext {
  target: DaemonTarget;
  /** What we were doing, e.g. `creating container cf-demo-search`. */
  action: string;
  address?: string;
  secrets?: readonly string[];
}

/** A diagnostic for any daemon failure, plus whether the engine may retry. */
export function daemonFailure(err: unknown, ctx: FailureContext): { diag: Diagnostic; retryable: boolean } {
  if (isUnreachable(err)) {
    return { diag: { ...unreachableDiagnostic(ctx.target, err), address: ctx.address }, retryable: false };
  }
  const e = asErr(err);
  const message = scrub(daemonMessage(err), ctx.secrets ?? []);
  const status = e.statusCode !== undefined ? ` (HTTP ${e.statusCode})` : e.code ? ` (${e.code})` : '';
  const retryable = isTransient(err);
  return {
    diag: error(`docker.api`, `Docker failed while ${ctx.action}${status}: ${message}`, {
      address: ctx.address,
      detail: retryable
        ? 'This looks transient; running apply again usually succeeds.'
        : 'Check the message above; `docker info` and the daemon log show more.',
    }),
    retryable,
  };
}
