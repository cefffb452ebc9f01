// POST /catalog/{slug}/deploy-snippet: the runtime entry a user would add to deploy a catalog
// entry (backend, profile, env), checked by the real config loader against the served config
// with the entry appended. The console proposes; it never writes the served config: the user
// pastes the YAML, or (admin, config in a git work tree) gets it committed on a new branch for
// review, and the file stays the source of truth.

import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSeq, parseDocument, stringify } from '../vendor/yaml.js';
import { backendsOf, loadConfig } from '../config/index.js';
import { diagDoc } from '../plan/render-json.js';
import { catalogEntry } from './api-library.js';
import { hasRole } from './roles.js';
import { commitOnBranch } from './snippet-commit.js';
import { ApiError, type Route } from './route.js';

interface SnippetRequest {
  name: string;
  backend: string;
  profile?: string;
  env?: Record<string, string>;
  commit?: boolean;
}

export const snippetRoutes: Route[] = [
  {
    method: 'POST',
    path: '/catalog/{slug}/deploy-snippet',
    operationId: 'deploySnippet',
    summary:
      'The runtime YAML that deploys a catalog entry on a backend with a profile and env, validated against the served config.',
    tag: 'catalog',
    role: 'viewer',
    body: 'DeploySnippetRequest',
    response: 'DeploySnippet',
    async handle({ ctx, params, body, who }) {
      const req = body as SnippetRequest;
      if (req.commit && !hasRole(who, 'admin'))
        throw new ApiError(403, 'auth.forbidden', `${who.name} lacks the admin role to commit a proposal.`);
      const entry = catalogEntry(ctx, params.slug);
      const config = ctx.config;
      const backend = config.backends[req.backend];
      if (!backend)
        throw new ApiError(
          400,
          'snippet.unknown-backend',
          `The served config has no backend ${req.backend}.`,
          `Backends: ${Object.keys(config.backends).join(', ') || '(none)'}.`,
        );
      if (!backendsOf(entry).includes(backend.type))
        throw new ApiError(
          400,
          'snippet.unsupported-backend',
          `Catalog entry ${entry.slug} does not support backend type ${backend.type}.`,
          `It supports ${backendsOf(entry).join(', ')}.`,
        );
      const runtime: Record<string, unknown> = { name: req.name, catalog: entry.slug, backend: req.backend };
      if (req.profile) runtime.guardrails_profile = req.profile;
      if (req.env && Object.keys(req.env).length) runtime.env = req.env;
      // The served file with the runtime appended, written beside it (so that its relative
      // includes and paths resolve alike) under a name nothing watches, and removed at once.
      const doc = parseDocument(readFileSync(config.path, 'utf8'));
      const list = doc.get('runtimes');
      if (isSeq(list)) list.add(doc.createNode(runtime));
      else doc.set('runtimes', doc.createNode([runtime]));
      const check = join(config.dir, `.contextforge-snippet-${randomBytes(6).toString('hex')}.yaml`);
      let diags;
      try {
        writeFileSync(check, doc.toString(), { mode: 0o600 });
        diags = (await loadConfig(check)).diags;
      } finally {
        rmSync(check, { force: true });
      }
      const shown = diags.map((d) => {
        const out = diagDoc(d);
        if (out.range?.file === check) out.range = { ...out.range, file: config.path };
        return out;
      });
      const valid = !diags.some((d) => d.severity === 'error');
      // Only a valid proposal is committed, on a branch of its own for review.
      const committed =
        req.commit && valid
          ? await commitOnBranch({
              configPath: config.path,
              configDir: config.dir,
              text: doc.toString(),
              runtime: req.name,
              author: who.name.replace(/[^A-Za-z0-9._-]/g, '-'),
            }).catch((e: Error) => {
              throw new ApiError(409, 'snippet.git-failed', 'The proposal could not be committed.', e.message);
            })
          : undefined;
      if (req.commit && valid && !committed)
        throw new ApiError(
          409,
          'snippet.no-git',
          'The served config is not in a git work tree: nothing was committed.',
          'Paste the YAML instead.',
        );
      return {
        body: {
          yaml: stringify([runtime]),
          valid,
          diagnostics: shown,
          ...(committed ? { branch: committed.branch, commit: committed.commit } : {}),
        },
      };
    },
  },
];
