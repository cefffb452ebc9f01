// Terraform-style progress wording for apply: "runtime.x: Creating...", "Still creating...
// [10s elapsed]", "Creation complete after 3s". Pure formatting; the engine decides when.

import type { ActionKind } from '../model/resources.js';

type Acting = Exclude<ActionKind, 'noop'>;

const WORDS: Record<Acting, { ing: string; done: string; noun: string }> = {
  create: { ing: 'Creating', done: 'Creation complete', noun: 'Creation' },
  update: { ing: 'Modifying', done: 'Modifications complete', noun: 'Modification' },
  replace: { ing: 'Replacing', done: 'Replacement complete', noun: 'Replacement' },
  delete: { ing: 'Destroying', done: 'Destruction complete', noun: 'Destruction' },
};

/** 2.1s under ten seconds, whole seconds under a minute, then 1m5s. */
export function formatElapsed(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}

export function startLine(address: string, action: Acting): string {
  return `${address}: ${WORDS[action].ing}...`;
}

export function stillLine(address: string, action: Acting, ms: number): string {
  return `${address}: Still ${WORDS[action].ing.toLowerCase()}... [${formatElapsed(ms)} elapsed]`;
}

export function doneLine(address: string, action: Acting, ms: number): string {
  return `${address}: ${WORDS[action].done} after ${formatElapsed(ms)}`;
}

export function failedLine(address: string, action: Acting, ms: number, why: string): string {
  return `${address}: ${WORDS[action].noun} failed after ${formatElapsed(ms)}: ${why}`;
}

export function retryLine(address: string, attempt: number, delayMs: number, why: string): string {
  return `${address}: transient failure (${why}); retry ${attempt} in ${formatElapsed(delayMs)}`;
}

export function backendLine(address: string, message: string, ms: number): string {
  return `${address}: ${message} [${formatElapsed(ms)}]`;
}
