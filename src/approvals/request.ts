// The approval request a reviewer sees (stored with the pending record and POSTed to the
// webhook): stack, runtime, catalog entry, source, requested guardrails and resources, reasons,
// approvers and the commands that decide it. Built only from the normalized spec, which holds no
// secret values; the caller still runs it through the redactor.

import type { LoadedConfig } from '../config/index.js';
import type { Change, NormalizedSource } from '../model/resources.js';

export interface ApprovalRequest {
  stack: string;
  address: string;
  runtime: string;
  backend: string;
  backendType: string;
  action: Change['action'];
  reason: string;
  specHash: string;
  catalog: { slug: string; name?: string; requiresApproval?: boolean };
  source: Record<string, unknown>;
  guardrails: Record<string, unknown>;
  resources: Record<string, unknown>;
  reasons: string[];
  /** One inner list per matched rule; any one approver of each list satisfies it. */
  approvers: string[][];
}

/** The source as a reviewer needs it: type and where the code comes from, never credentials. */
export function describeSource(source: NormalizedSource): Record<string, unknown> {
  switch (source.type) {
    case 'docker':
      return {
        type: 'docker',
        image: source.image,
        pull: source.pull,
        ...(source.command ? { command: source.command } : {}),
        ...(source.args ? { args: source.args } : {}),
      };
    case 'github':
      return {
        type: 'github',
        repo: source.repo,
        ref: source.ref,
        ...(source.commit ? { commit: source.commit } : {}),
        dockerfile: source.dockerfile,
        context: source.context,
        ...(source.registry ? { registry: source.registry } : {}),
        ...(source.args ? { args: source.args } : {}),
      };
    case 'compose':
      return { type: 'compose', composeFile: source.composeFile, mainService: source.mainService };
    case 'command':
      // The arguments are what the reviewer approves as much as the command (`npx -y <pkg>`).
      return { type: 'command', command: source.command, ...(source.args ? { args: source.args } : {}) };
    case 'package':
      // The exact package and version is what runs; the reviewer approves that, not a name.
      return {
        type: 'package',
        registry: source.registry,
        package: `${source.name}@${source.version}`,
        ...(source.bin ? { bin: source.bin } : {}),
        ...(source.args.length ? { args: source.args } : {}),
      };
    case 'remote':
      // Header names only: their values may carry secrets.
      return { type: 'remote', url: source.url, headers: Object.keys(source.headers) };
  }
}

/** Builds the request for one change that needs approval (it must carry a desired resource). */
export function buildRequest(config: LoadedConfig, change: Change): ApprovalRequest | undefined {
  const d = change.desired;
  if (!d || !change.approval) return undefined;
  const g = d.spec.guardrails;
  const entry = config.catalog[d.spec.catalog] as (typeof config.catalog)[string] | undefined;
  return {
    stack: config.stack,
    address: d.address,
    runtime: d.runtime,
    backend: d.backend,
    backendType: d.backendType,
    action: change.action,
    reason: change.reason,
    specHash: d.specHash,
    catalog: {
      slug: d.spec.catalog,
      ...(entry?.name ? { name: entry.name } : {}),
      ...(entry?.requires_approval ? { requiresApproval: true } : {}),
    },
    source: describeSource(d.spec.source),
    guardrails: {
      profile: g.profile,
      egressAllowed: g.egressAllowed,
      allowedHosts: g.allowedHosts,
      ingressPorts: g.ingressPorts,
      readOnlyRoot: g.readOnlyRoot,
      allowedMounts: g.allowedMounts,
      dropAll: g.dropAll,
      capAdd: g.capAdd,
      ...(g.seccomp ? { seccomp: g.seccomp } : {}),
      ...(g.apparmor ? { apparmor: g.apparmor } : {}),
    },
    resources: {
      ...(g.maxCpu !== undefined ? { maxCpu: g.maxCpu } : {}),
      ...(g.maxMemory !== undefined ? { maxMemoryBytes: g.maxMemory } : {}),
      ...(g.maxPids !== undefined ? { maxPids: g.maxPids } : {}),
      ...(d.spec.scale ? { scale: d.spec.scale } : {}),
    },
    reasons: change.approval.reasons,
    approvers: change.approval.approvers,
  };
}

/** The commands printed and sent with a request; `-f` only when the config is not the default. */
export function decisionCommands(id: string, configPath?: string): { approve: string; reject: string; show: string } {
  const f = configPath ? ` -f ${configPath}` : '';
  return {
    show: `contextforge approvals show ${id}${f}`,
    approve: `contextforge approvals approve ${id} --by <approver>${f}`,
    reject: `contextforge approvals reject ${id} --reason "<why>" --by <approver>${f}`,
  };
}
