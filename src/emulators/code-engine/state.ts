// In-memory model of the emulator: projects and, per project, apps (with revisions), secrets,
// builds and build runs; entity tags and lazily computed lifecycles (deploying → ready, …).
// No HTTP and no Docker here: handlers mutate it, renderers read it.

import { randomBytes, randomUUID } from 'node:crypto';
import type { BuildPrototype, BuildRunStatus, SecretFormat } from './wire.js';
import type { AppConfig } from './validate-app.js';

export interface Timing {
  /** How long a new revision stays `loading` (non-Docker mode). */
  appReadyDelayMs: number;
  projectReadyDelayMs: number;
  buildRunPendingMs: number;
  buildRunDurationMs: number;
  /** Realistic mode: how long a deleted app stays visible (and unpatchable) before it is gone. */
  deleteDelayMs: number;
  /** Realistic mode: how long after a POST/PATCH answers before its revision exists. */
  revisionLagMs: number;
}

/**
 * `realistic` behaves like IBM's service where the two are known or likely to differ (see
 * README.md, "Realistic mode"); `strict-client` is the original emulator, written to the
 * client's own assumptions (secret data in lists, synchronous deletes, revisions created by the
 * PATCH itself, probes echoed as sent, 412 for a stale entity tag).
 */
export type EmulatorBehaviour = 'realistic' | 'strict-client';

export interface EmuRevision {
  id: string;
  name: string;
  created_at: string;
  config: AppConfig;
  status: 'loading' | 'ready' | 'failed';
  reason: string;
  /** Non-Docker mode: when `loading` turns `ready` (ms epoch). Docker mode: Infinity. */
  readyAt: number;
  /** Non-Docker mode: at `readyAt` the revision fails with this reason instead. */
  failReason?: string;
}

export interface EmuApp {
  id: string;
  name: string;
  created_at: string;
  config: AppConfig;
  etag: string;
  revisions: EmuRevision[];
  nextRevision: number;
  /** Realistic mode: the revision a write asked for, created once `at` has passed. */
  pendingRevision?: { config: AppConfig; at: number };
  /** Realistic mode: set by DELETE; the app is gone once this time has passed. */
  deletingUntil?: number;
}

export interface EmuSecret {
  id: string;
  name: string;
  created_at: string;
  format: SecretFormat;
  data: Record<string, string>;
  etag: string;
  generated_by: 'user' | 'system';
}

export interface EmuBuild {
  id: string;
  name: string;
  created_at: string;
  config: BuildPrototype;
  etag: string;
}

export interface EmuBuildRun {
  id: string;
  name: string;
  created_at: string;
  build_name?: string;
  service_account: string;
  config: Partial<BuildPrototype>;
  status: BuildRunStatus;
  details: Record<string, string | undefined>;
  /** Non-Docker mode lifecycle, as ms epochs; undefined when a runner drives the status. */
  runningAt?: number;
  doneAt?: number;
  willFail?: boolean;
}

export interface EmuProject {
  id: string;
  name: string;
  subdomain: string;
  created_at: string;
  readyAt: number;
  resource_group_id: string;
  /** Whether `local_private` is accepted (a project must support private visibility). */
  privateVisibility: boolean;
  apps: Map<string, EmuApp>;
  secrets: Map<string, EmuSecret>;
  builds: Map<string, EmuBuild>;
  buildRuns: Map<string, EmuBuildRun>;
}

export const ACCOUNT_ID = 'emulator0000000000000000000000ac';
export const QUOTAS = { projects: 20, apps: 40, revisions: 120, secrets: 100, builds: 100, buildRuns: 100 } as const;

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ~11 lowercase alphanumerics, like Code Engine's generated project subdomain. */
export function newSubdomain(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(11);
  let s = alphabet[bytes[0] % 26];
  for (let i = 1; i < 11; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

export class EmuState {
  readonly projects = new Map<string, EmuProject>();
  private etagCounter = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);

  constructor(readonly timing: Timing) {}

  nextEtag(): string {
    this.etagCounter += 1 + Math.floor(Math.random() * 7);
    return String(this.etagCounter);
  }

  addProject(opts: {
    name: string;
    id?: string;
    subdomain?: string;
    active?: boolean;
    region: string;
    privateVisibility?: boolean;
  }): EmuProject {
    const p: EmuProject = {
      id: opts.id ?? randomUUID(),
      name: opts.name,
      subdomain: opts.subdomain ?? newSubdomain(),
      created_at: nowIso(),
      readyAt: opts.active ? 0 : Date.now() + this.timing.projectReadyDelayMs,
      resource_group_id: randomBytes(16).toString('hex'),
      privateVisibility: opts.privateVisibility ?? true,
      apps: new Map(),
      secrets: new Map(),
      builds: new Map(),
      buildRuns: new Map(),
    };
    // Real projects come with a system registry secret for pushes to IBM Container Registry.
    const regName = `ce-auto-icr-private-${opts.region}`;
    p.secrets.set(regName, {
      id: randomUUID(),
      name: regName,
      created_at: p.created_at,
      format: 'registry',
      data: {
        server: `private.${opts.region.split('-')[0]}.icr.io`,
        username: 'iamapikey',
        password: randomBytes(16).toString('hex'),
      },
      etag: this.nextEtag(),
      generated_by: 'system',
    });
    this.projects.set(p.id, p);
    return p;
  }

  revisionCount(p: EmuProject): number {
    let n = 0;
    for (const a of p.apps.values()) n += a.revisions.length;
    return n;
  }
}

/** The status of a revision right now (a loading revision turns ready once its time has come). */
export function revisionStatus(rev: EmuRevision, now = Date.now()): EmuRevision['status'] {
  if (rev.status === 'loading' && rev.readyAt <= now) {
    rev.status = rev.failReason ? 'failed' : 'ready';
    rev.reason = rev.failReason ?? 'ready';
  }
  return rev.status;
}

export function latestRevision(app: EmuApp): EmuRevision | undefined {
  return app.revisions[app.revisions.length - 1];
}

export function latestReadyRevision(app: EmuApp): EmuRevision | undefined {
  for (let i = app.revisions.length - 1; i >= 0; i--) {
    if (revisionStatus(app.revisions[i]) === 'ready') return app.revisions[i];
  }
  return undefined;
}

/** Advances a time-driven build run (non-Docker mode). */
export function advanceBuildRun(run: EmuBuildRun, now = Date.now()): void {
  if (run.runningAt === undefined || run.doneAt === undefined) return;
  if (run.status === 'pending' && now >= run.runningAt) {
    run.status = 'running';
    run.details.reason = 'running';
    run.details.start_time = new Date(run.runningAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  if (run.status === 'running' && now >= run.doneAt) {
    run.status = run.willFail ? 'failed' : 'succeeded';
    run.details.reason = run.willFail ? 'failed' : 'succeeded';
    run.details.completion_time = new Date(run.doneAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (run.willFail) run.details.output_digest = undefined;
  }
}
