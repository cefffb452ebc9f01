// Shared context of the emulator's request handlers and the helpers every resource uses:
// project lookup, JSON bodies by content type, If-Match checks (with the injected 412 race).
// Owns no routes itself (see routes-*.ts).

import type { IncomingHttpHeaders } from 'node:http';
import { EmuError, notFound, parseJsonObject } from './http-util.js';
import type { EmulatorFaults } from './faults.js';
import type { RenderContext } from './render.js';
import type { EmulatorBehaviour, EmuProject, EmuState } from './state.js';

export interface HandlerOptions {
  /** Revisions kept per app before older ones are garbage-collected (default 5). */
  revisionRetention: number;
  behaviour: EmulatorBehaviour;
}

export const realistic = (ctx: HandlerCtx): boolean => ctx.options.behaviour === 'realistic';

export interface HandlerCtx {
  state: EmuState;
  render: RenderContext;
  options: HandlerOptions;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The `version` query parameter, or null. */
  version: string | null;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** True once if the `race412Once` fault is armed; consuming it disarms it. */
  takeRace412(): boolean;
  /** Path of the request without query, for `href`s of list pages. */
  path: string;
  /** The fault switches in force for this request. */
  faults: EmulatorFaults;
}

export function projectOf(ctx: HandlerCtx): EmuProject {
  const p = ctx.state.projects.get(ctx.params.project_id);
  if (!p) throw notFound();
  return p;
}

export function jsonBody(ctx: HandlerCtx, types: string[] = ['application/json']): Record<string, unknown> {
  return parseJsonObject(ctx.rawBody, ctx.headers['content-type'], types);
}

function unquote(tag: string): string {
  const t = tag.trim().replace(/^W\//, '');
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/**
 * Enforces `If-Match` on an update. When the 412 race fault is armed, `bump` is called first
 * (someone else "wrote"), so the caller's tag is stale.
 */
export function checkIfMatch(ctx: HandlerCtx, current: () => string, bump: () => void): void {
  const header = ctx.headers['if-match'];
  if (header === undefined || header === '') {
    throw new EmuError(
      400,
      'missing_if_match_header',
      'The If-Match header is required for this operation. Send the entity_tag of the resource, or * to match any version.',
    );
  }
  if (ctx.takeRace412()) bump();
  if (header.trim() === '*') return;
  const tags = header.split(',').map(unquote);
  if (!tags.includes(current())) {
    // Realistic mode: a Kubernetes-backed API reports a stale resourceVersion as 409 Conflict.
    if (realistic(ctx))
      throw new EmuError(
        409,
        'entity_tag_mismatch',
        'The resource was modified after the entity tag in If-Match was read. Read the resource again and retry.',
      );
    throw new EmuError(
      412,
      'precondition_failed',
      'The entity tag in the If-Match header does not match the current entity tag of the resource. Read the resource again and retry.',
    );
  }
}

export function etagHeaders(tag: string): Record<string, string> {
  return { etag: `"${tag}"` };
}

/** Deep equality over JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}
