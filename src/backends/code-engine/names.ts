// The Code Engine name scheme and ownership marks of contextforge. Every app, secret and build
// of a stack is named `<stack-slug>-<h4>-<runtime>` (h4: 4 hex of sha256(stack)), and every app
// carries the literal env var CONTEXTFORGE_STACK; only objects with both are ever touched. Pure.

import { createHash } from 'node:crypto';

/** Literal env var naming the owning stack (ownership mark; harmless inside the container). */
export const STACK_ENV = 'CONTEXTFORGE_STACK';
/** Literal env var with the hash of the Code Engine spec we last applied (drift vs config change). */
export const HASH_ENV = 'CONTEXTFORGE_SPEC_HASH';
/** Key of our generic secrets naming the owning stack (never referenced by the app). */
export const SECRET_STACK_KEY = 'contextforge.stack';
/** Marks of the gateway app (a literal env var) and its secret (a key): the stack's, not a runtime. */
export const ROLE_ENV = 'CONTEXTFORGE_ROLE';
export const ROLE_KEY = 'contextforge.role';
export const GATEWAY_ROLE = 'gateway';
/** Suffix of the per-runtime generic secret that holds secret env values. */
export const SECRET_SUFFIX = '-env';
/** Longest stack slug kept in names, so that runtime names keep most of the 63 characters. */
const STACK_SLUG_MAX = 20;
export const APP_NAME_MAX = 63;

/** Lowercase, `[a-z0-9-]` only, starting with a letter, no trailing '-', at most 20 chars. */
export function stackSlug(stack: string): string {
  let s = stack
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+/, '');
  if (!/^[a-z]/.test(s)) s = `s${s}`;
  s = s.slice(0, STACK_SLUG_MAX).replace(/-+$/, '');
  return s || 's';
}

/**
 * The per-stack name prefix, e.g. `demo-3fa2-`. The hash keeps two stacks whose slugs collide
 * (`My_Stack` and `my-stack`, or long names cut at 20 characters) apart.
 */
export function stackPrefix(stack: string): string {
  const h4 = createHash('sha256').update(stack).digest('hex').slice(0, 4);
  return `${stackSlug(stack)}-${h4}-`;
}

export function appName(stack: string, runtime: string): string {
  return `${stackPrefix(stack)}${runtime}`;
}

export function secretName(stack: string, runtime: string): string {
  return `${appName(stack, runtime)}${SECRET_SUFFIX}`;
}

export function buildName(stack: string, runtime: string): string {
  return appName(stack, runtime);
}

/** The runtime an app name belongs to within the stack, or undefined when it is not ours. */
export function runtimeOfApp(stack: string, name: string): string | undefined {
  const p = stackPrefix(stack);
  return name.startsWith(p) && name.length > p.length ? name.slice(p.length) : undefined;
}

/** The runtime a secret name belongs to within the stack, or undefined. */
export function runtimeOfSecret(stack: string, name: string): string | undefined {
  if (!name.endsWith(SECRET_SUFFIX)) return undefined;
  return runtimeOfApp(stack, name.slice(0, -SECRET_SUFFIX.length));
}
