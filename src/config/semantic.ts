// Semantic checks that JSON Schema cannot express: references between runtimes, catalog
// entries, backends, profiles and virtual servers; duplicate names; scale and port sanity.
// Backend-specific rules live in semantic-backend.ts. Runs only on schema-valid input; no I/O.

import { error, warning, type Diagnostic } from '../diag/diagnostic.js';
import type { ContextforgeConfig } from '../generated/config.js';
import { ownValue, rangeOf, type EntryRecord, type Located, type ProfileRecord, type RuntimeLink } from './records.js';
import { Suggester } from './suggest-bounded.js';
import { checkBackendRules } from './semantic-backend.js';
import { checkEntrySource } from './semantic-source.js';
import { checkGatewayDeploy } from './gateway-deploy.js';
import type { ParsedYaml } from './yaml-source.js';

export interface SemanticInput {
  doc: ContextforgeConfig;
  cfg: ParsedYaml;
  profiles: Map<string, ProfileRecord>;
  catalog: Map<string, EntryRecord>;
  /** --strict: unenforceable guardrails are errors for every profile. */
  strict: boolean;
  /** Default profile name when neither runtime nor entry names one. */
  defaultProfile: string;
}

const plural = (w: string): string => (w.endsWith('entry') ? `${w.slice(0, -1)}ies` : `${w}s`);

/** Builds "unknown <what>" diagnostics; sorted name lists and suggestion work are shared. */
class RefErrors {
  private readonly sorted = new Map<unknown, string[]>();
  readonly suggester = new Suggester();

  make(
    code: string,
    what: string,
    name: string,
    known: { keys(): Iterable<string> } | string[],
    extra: Partial<Diagnostic>,
  ): Diagnostic {
    let list = this.sorted.get(known);
    if (!list) this.sorted.set(known, (list = [...(Array.isArray(known) ? known : known.keys())].sort()));
    return error(code, `unknown ${what} "${name}"`, {
      suggestion: this.suggester.suggest(name, list),
      detail: list.length
        ? `Known ${plural(what)}: ${list.slice(0, 12).join(', ')}${list.length > 12 ? ', ...' : ''}.`
        : `No ${what} is defined; define one first.`,
      ...extra,
    });
  }
}

export function checkSemantics(input: SemanticInput): Diagnostic[] {
  const { doc, cfg, profiles, catalog } = input;
  const diags: Diagnostic[] = [];
  const refs = new RefErrors();
  const refError = refs.make.bind(refs);
  const root: Located = { parsed: cfg, pointer: '' };
  const backends = doc.backends ?? {};
  const backendNames = Object.keys(backends);

  // Inline profiles: the optional `name` must agree with the key.
  for (const [key, p] of Object.entries(doc.profiles ?? {})) {
    if (p.name !== undefined && p.name !== key) {
      diags.push(
        error('profile.name-mismatch', `profile name "${p.name}" differs from its key "${key}"`, {
          range: rangeOf(root, ['profiles', key, 'name']),
          detail: 'Remove `name` or make it equal to the key the profile is defined under.',
        }),
      );
    }
  }

  // Defaults.
  if (doc.defaults?.backend !== undefined && ownValue(backends, doc.defaults.backend) === undefined) {
    diags.push(
      refError('ref.unknown-backend', 'backend', doc.defaults.backend, backendNames, {
        range: rangeOf(root, ['defaults', 'backend']),
      }),
    );
  }
  let defaultsReported = false;
  if (doc.defaults?.guardrails_profile !== undefined && !profiles.has(doc.defaults.guardrails_profile)) {
    defaultsReported = true;
    diags.push(
      refError('ref.unknown-profile', 'guardrails profile', doc.defaults.guardrails_profile, profiles, {
        range: rangeOf(root, ['defaults', 'guardrails_profile']),
      }),
    );
  }

  // Catalog entries defined by the user: profile references and transport/source consistency.
  const entryProfileReported = new Set<string>();
  const checkEntryProfile = (r: EntryRecord): void => {
    const name = r.entry.guardrails_profile;
    if (name === undefined || profiles.has(name) || entryProfileReported.has(r.entry.slug)) return;
    entryProfileReported.add(r.entry.slug);
    diags.push(
      refError('ref.unknown-profile', 'guardrails profile', name, profiles, {
        range: rangeOf(r, ['guardrails_profile']),
      }),
    );
  };
  for (const r of catalog.values()) {
    if (!r.builtin) checkEntryProfile(r);
    diags.push(...checkEntrySource(r));
  }

  // Runtimes: names, references, per-runtime sanity.
  const runtimes = doc.runtimes ?? [];
  const names = new Map<string, number>();
  const links: RuntimeLink[] = [];
  runtimes.forEach((rt, i) => {
    const loc: Located = { parsed: cfg, pointer: `/runtimes/${i}` };
    if (names.has(rt.name)) {
      diags.push(
        error('dup.runtime', `duplicate runtime name "${rt.name}"`, {
          range: rangeOf(loc, ['name']),
          detail: `Runtime ${names.get(rt.name)! + 1} is already called "${rt.name}"; runtime names must be unique.`,
        }),
      );
    } else names.set(rt.name, i);

    const entry = catalog.get(rt.catalog);
    if (!entry)
      diags.push(
        refError('ref.unknown-catalog', 'catalog entry', rt.catalog, catalog, { range: rangeOf(loc, ['catalog']) }),
      );
    const backend = ownValue(backends, rt.backend);
    if (!backend)
      diags.push(
        refError('ref.unknown-backend', 'backend', rt.backend, backendNames, { range: rangeOf(loc, ['backend']) }),
      );

    let profileName = input.defaultProfile;
    let profileFrom: RuntimeLink['profileFrom'] = 'defaults';
    if (rt.guardrails_profile !== undefined) {
      profileName = rt.guardrails_profile;
      profileFrom = 'runtime';
    } else if (entry?.entry.guardrails_profile !== undefined) {
      profileName = entry.entry.guardrails_profile;
      profileFrom = 'entry';
    }
    const profile = profiles.get(profileName);
    if (!profile) {
      if (profileFrom === 'runtime') {
        diags.push(
          refError('ref.unknown-profile', 'guardrails profile', profileName, profiles, {
            range: rangeOf(loc, ['guardrails_profile']),
          }),
        );
      } else if (profileFrom === 'entry' && entry) {
        checkEntryProfile(entry);
      } else if (!defaultsReported) {
        defaultsReported = true;
        const at =
          doc.defaults?.guardrails_profile !== undefined
            ? rangeOf(root, ['defaults', 'guardrails_profile'])
            : rangeOf(loc, ['name']);
        diags.push(
          refError('ref.unknown-profile', 'guardrails profile', profileName, profiles, {
            range: at,
            detail: `Runtimes without guardrails_profile use "${profileName}", which is not defined. Define it, set defaults.guardrails_profile, or keep include.builtin_profiles on.`,
          }),
        );
      }
    }

    if (
      rt.scale?.min !== undefined &&
      rt.scale.max !== undefined &&
      rt.scale.max !== 0 &&
      rt.scale.min > rt.scale.max
    ) {
      diags.push(
        error('scale.min-above-max', `scale.min (${rt.scale.min}) is above scale.max (${rt.scale.max})`, {
          range: rangeOf(loc, ['scale', 'min']),
          detail: 'Lower min or raise max.',
        }),
      );
    }
    if (entry) {
      for (const [name, spec] of Object.entries(entry.entry.env ?? {})) {
        if (!spec.required || spec.default !== undefined) continue;
        if (rt.env?.[name] !== undefined || rt.secrets?.[name] !== undefined) continue;
        diags.push(
          error('env.missing-required', `missing required env "${name}" for catalog entry "${entry.entry.slug}"`, {
            range: rangeOf(loc, ['catalog']),
            detail: `Set ${name} under env${spec.secret ? ' (or better, secrets, since it is secret)' : ''} of runtime "${rt.name}".`,
          }),
        );
      }
    }
    // A variable the entry does not declare but that is one typo away from one it does.
    const declared = Object.keys(entry?.entry.env ?? {});
    if (declared.length) {
      for (const group of ['env', 'secrets'] as const) {
        for (const name of Object.keys(rt[group] ?? {})) {
          if (declared.includes(name)) continue;
          const suggestion = refs.suggester.suggest(name, declared);
          if (!suggestion) continue;
          diags.push(
            warning('env.undeclared', `${group} "${name}" is not declared by catalog entry "${rt.catalog}"`, {
              range: rangeOf(loc, [group, name], 'key'),
              suggestion,
              detail: `The entry declares: ${declared.join(', ')}. The server probably ignores "${name}".`,
            }),
          );
        }
      }
    }
    links.push({ index: i, loc, entry, backendName: rt.backend, backend, profileName, profile, profileFrom });
  });

  runtimes.forEach((rt, i) => {
    (rt.depends_on ?? []).forEach((dep, j) => {
      const loc: Located = { parsed: cfg, pointer: `/runtimes/${i}` };
      if (!names.has(dep))
        diags.push(refError('ref.unknown-runtime', 'runtime', dep, names, { range: rangeOf(loc, ['depends_on', j]) }));
      else if (dep === rt.name)
        diags.push(
          error('ref.self-dependency', `runtime "${dep}" depends on itself`, {
            range: rangeOf(loc, ['depends_on', j]),
            detail: 'Remove it from depends_on.',
          }),
        );
    });
  });

  // depends_on must not form a cycle (apply could never start any of them).
  const cycle = findCycle(
    runtimes.map(
      (rt) => [rt.name, (rt.depends_on ?? []).filter((d) => names.has(d) && d !== rt.name)] as [string, string[]],
    ),
  );
  if (cycle) {
    const last = cycle[cycle.length - 2];
    const i = names.get(last)!;
    const j = (runtimes[i].depends_on ?? []).indexOf(cycle[cycle.length - 1]);
    diags.push(
      error('ref.dependency-cycle', `depends_on cycle: ${cycle.join(' -> ')}`, {
        range: rangeOf({ parsed: cfg, pointer: `/runtimes/${i}` }, ['depends_on', j]),
        detail: 'Remove one of these dependencies; runtimes in a cycle could never be started.',
      }),
    );
  }

  // Gateway virtual servers.
  const vsNames = new Set<string>();
  (doc.gateway?.servers ?? []).forEach((vs, i) => {
    const loc: Located = { parsed: cfg, pointer: `/gateway/servers/${i}` };
    if (vsNames.has(vs.name) || names.has(vs.name)) {
      diags.push(
        error('dup.virtual-server', `duplicate server name "${vs.name}"`, {
          range: rangeOf(loc, ['name']),
          detail:
            'Virtual server names share /servers/<name>/mcp with runtime names, so they must differ from every other server and runtime.',
        }),
      );
    }
    vsNames.add(vs.name);
    (vs.runtimes ?? []).forEach((ref, j) => {
      if (!names.has(ref))
        diags.push(refError('ref.unknown-runtime', 'runtime', ref, names, { range: rangeOf(loc, ['runtimes', j]) }));
    });
    // Federated names are <runtime><separator><name>: a literal runtime prefix must exist.
    const sep = doc.gateway?.separator ?? '__';
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      (vs[kind] ?? []).forEach((pattern, j) => {
        const at = pattern.indexOf(sep);
        if (at <= 0) return;
        const prefix = pattern.slice(0, at);
        if (/[*?[\]]/.test(prefix) || names.has(prefix)) return;
        diags.push(
          refError('ref.unknown-runtime', 'runtime', prefix, names, {
            range: rangeOf(loc, [kind, j]),
            detail: `"${pattern}" selects ${kind} of runtime "${prefix}", which is not defined (federated names are <runtime>${sep}<name>).`,
          }),
        );
      });
    }
  });

  // Gateway without authentication: allowed when explicit, but never quietly.
  if (doc.gateway?.auth === 'none') {
    const host = doc.gateway.host ?? '127.0.0.1';
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(host);
    diags.push(
      warning(
        'gateway.auth-none',
        loopback ? 'gateway authentication is off' : `gateway authentication is off while listening on ${host}`,
        {
          range: rangeOf(root, ['gateway', 'auth']),
          detail: loopback
            ? 'Any local process can call every server. Remove `auth: none` to use a bearer token (CONTEXTFORGE_GATEWAY_TOKEN or .contextforge/gateway.token).'
            : 'Anyone who can reach this address can call every server. Remove `auth: none` or bind to 127.0.0.1.',
        },
      ),
    );
  }

  diags.push(
    ...checkGatewayDeploy({
      doc,
      cfg,
      catalog,
      unknown: (code, what, name, known, extra) => refError(code, what, name, known, extra),
    }),
  );

  // Approval rules.
  (doc.approval?.required_for ?? []).forEach((rule, i) => {
    if (rule.guardrails_profile !== undefined && !profiles.has(rule.guardrails_profile)) {
      diags.push(
        refError('ref.unknown-profile', 'guardrails profile', rule.guardrails_profile, profiles, {
          range: rangeOf(root, ['approval', 'required_for', i, 'guardrails_profile']),
        }),
      );
    }
  });

  diags.push(...checkBackendRules({ doc, cfg, links, strict: input.strict }));
  return diags;
}

/**
 * The first dependency cycle found, as a path that ends where it starts; undefined if none.
 * Depth-first search with an explicit stack: a chain of thousands of runtimes must not
 * exhaust the call stack.
 */
export function findCycle(graph: [string, string[]][]): string[] | undefined {
  const edges = new Map(graph);
  const state = new Map<string, 'open' | 'done'>();
  for (const [start] of graph) {
    if (state.has(start)) continue;
    // path[i] is open; next[i] is the index of its next edge to follow.
    const path: string[] = [start];
    const next: number[] = [0];
    state.set(start, 'open');
    while (path.length > 0) {
      const top = path.length - 1;
      const out = edges.get(path[top]) ?? [];
      if (next[top] >= out.length) {
        state.set(path[top], 'done');
        path.pop();
        next.pop();
        continue;
      }
      const m = out[next[top]++];
      const s = state.get(m);
      if (s === 'open') return [...path.slice(path.indexOf(m)), m];
      if (s === undefined) {
        state.set(m, 'open');
        path.push(m);
        next.push(0);
      }
    }
  }
  return undefined;
}
