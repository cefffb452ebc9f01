// Parses a compose file with `yaml` (positions kept) and checks it against the supported subset
// (model.ts): every key outside it is a diagnostic naming the key at its line, never ignored.
// Pure: the caller reads the file and supplies how offsets map to SourceRanges (an inline
// compose_file lives inside contextforge.yaml, indented under a block scalar).

import { error, type Diagnostic, type Result, type SourceRange } from '../../diag/diagnostic.js';
import { joinPointer } from '../pointer.js';
import { parseYaml, spanAt } from '../yaml-source.js';
import {
  parseComposeDuration,
  splitCommand,
  startOrder,
  type ComposeModel,
  type ComposePort,
  type ComposeService,
  type DependsCondition,
} from './model.js';

export interface ComposeText {
  text: string;
  /** File the diagnostics point into (the compose file, or the config for inline YAML). */
  file: string;
  /** Maps a [start, end) offset pair of `text` to a range in `file`. */
  toRange(start: number, end: number): SourceRange;
}

const TOP_KEYS = new Set(['services', 'volumes', 'networks', 'version', 'name']);
const SERVICE_KEYS = new Set([
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'ports',
  'depends_on',
  'healthcheck',
  'volumes',
  'networks',
]);
const BUILD_KEYS = new Set(['context', 'dockerfile', 'args']);
const HEALTH_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'disable']);
const PORT_KEYS = new Set(['target', 'published', 'host_ip', 'protocol']);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks `src`; `mainService` (when given) must name a service. */
export function parseCompose(src: ComposeText, mainService?: string): Result<ComposeModel> {
  const parsed = parseYaml(src.text, src.file);
  const diags: Diagnostic[] = parsed.diags.map((d) =>
    d.range ? { ...d, range: src.toRange(d.range.start.offset, d.range.end.offset) } : d,
  );
  if (diags.some((d) => d.severity === 'error')) return { diags };
  const at = (segs: (string | number)[], prefer: 'key' | 'value' = 'value'): SourceRange => {
    const span = spanAt(parsed.spans, joinPointer('', ...segs));
    const r = span ? (prefer === 'key' && span.key ? span.key : span.value) : undefined;
    return r ? src.toRange(r.start.offset, r.end.offset) : src.toRange(0, 0);
  };
  const bad = (
    segs: (string | number)[],
    summary: string,
    detail?: string,
    prefer: 'key' | 'value' = 'value',
  ): void => {
    diags.push(error('compose.invalid', summary, { range: at(segs, prefer), detail }));
  };
  const unsupported = (segs: (string | number)[], keys: Set<string>, where: string): void => {
    diags.push(
      error('compose.unsupported-key', `Compose key ${segs.join('.')} is not supported`, {
        range: at(segs, 'key'),
        detail: `contextforge runs a subset of Compose; ${where} may use: ${[...keys].join(', ')}. Remove the key, or run this server from an image with a docker source.`,
      }),
    );
  };
  const checkKeys = (o: Obj, segs: (string | number)[], keys: Set<string>, where: string): void => {
    for (const k of Object.keys(o)) if (!keys.has(k)) unsupported([...segs, k], keys, where);
  };
  const strings = (v: unknown, segs: (string | number)[], what: string): string[] | undefined => {
    if (typeof v === 'string') return splitCommand(v);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
    bad(segs, `${what} must be a string or a list of strings`);
    return undefined;
  };
  const stringMap = (v: unknown, segs: (string | number)[], what: string): Record<string, string> => {
    const out: Record<string, string> = {};
    if (v === null || v === undefined) return out;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (typeof item !== 'string') return bad([...segs, i], `Entries of ${what} must be KEY=value strings`);
        const eq = item.indexOf('=');
        if (eq <= 0)
          return bad(
            [...segs, i],
            `${what} entry ${item} has no value`,
            'Write KEY=value; contextforge does not pass variables through from the host.',
          );
        out[item.slice(0, eq)] = item.slice(eq + 1);
      });
      return out;
    }
    if (!isObj(v)) {
      bad(segs, `${what} must be a list of KEY=value or a mapping`);
      return out;
    }
    for (const [k, x] of Object.entries(v)) {
      if (x === null || isObj(x) || Array.isArray(x)) bad([...segs, k], `${what} ${k} needs a scalar value`);
      else out[k] = String(x);
    }
    return out;
  };

  const doc = parsed.value;
  if (!isObj(doc)) {
    bad([], 'A compose file must be a mapping with services:');
    return { diags };
  }
  checkKeys(doc, [], TOP_KEYS, 'the top level');
  const names = (v: unknown, key: 'volumes' | 'networks'): string[] => {
    if (v === undefined || v === null) return [];
    if (!isObj(v)) {
      bad([key], `Top-level ${key} must be a mapping of names`);
      return [];
    }
    for (const [n, def] of Object.entries(v)) {
      if (!NAME.test(n)) bad([key, n], `${key} name ${n} is not valid`, undefined, 'key');
      if (def !== null && !(isObj(def) && Object.keys(def).length === 0)) {
        for (const k of isObj(def) ? Object.keys(def) : [])
          unsupported([key, n, k], new Set(), `a ${key.slice(0, -1)} definition (only empty: {} or no value)`);
        if (!isObj(def)) bad([key, n], `${key} ${n} must be empty`);
      }
    }
    return Object.keys(v).sort();
  };
  const volumes = names(doc.volumes, 'volumes');
  const networks = names(doc.networks, 'networks');

  const services: Record<string, ComposeService> = {};
  if (!isObj(doc.services) || Object.keys(doc.services).length === 0) {
    bad(doc.services === undefined ? [] : ['services'], 'A compose file needs at least one service under services:');
    return { diags };
  }
  for (const [name, raw] of Object.entries(doc.services)) {
    const segs = ['services', name];
    if (!NAME.test(name))
      bad(segs, `Service name ${name} is not valid`, 'Use letters, digits, dot, dash and underscore.', 'key');
    if (!isObj(raw)) {
      bad(segs, `Service ${name} must be a mapping`);
      continue;
    }
    checkKeys(raw, segs, SERVICE_KEYS, 'a service');
    const svc: ComposeService = { environment: {}, ports: [], dependsOn: {}, volumes: [], networks: [] };
    if (raw.image !== undefined) {
      if (typeof raw.image === 'string' && raw.image) svc.image = raw.image;
      else bad([...segs, 'image'], `image of service ${name} must be a string`);
    }
    if (raw.build !== undefined) {
      if (typeof raw.build === 'string') svc.build = { context: raw.build, args: {} };
      else if (isObj(raw.build)) {
        checkKeys(raw.build, [...segs, 'build'], BUILD_KEYS, 'build');
        const context = typeof raw.build.context === 'string' ? raw.build.context : '.';
        const dockerfile = typeof raw.build.dockerfile === 'string' ? raw.build.dockerfile : undefined;
        svc.build = { context, dockerfile, args: stringMap(raw.build.args, [...segs, 'build', 'args'], 'build.args') };
      } else bad([...segs, 'build'], `build of service ${name} must be a path or a mapping`);
    }
    if (!svc.image && !svc.build)
      bad(segs, `Service ${name} has neither image nor build`, 'Add image: or build:.', 'key');
    if (raw.command !== undefined) svc.command = strings(raw.command, [...segs, 'command'], 'command');
    if (raw.entrypoint !== undefined) svc.entrypoint = strings(raw.entrypoint, [...segs, 'entrypoint'], 'entrypoint');
    svc.environment = stringMap(raw.environment, [...segs, 'environment'], 'environment');
    if (raw.ports !== undefined) {
      if (!Array.isArray(raw.ports)) bad([...segs, 'ports'], 'ports must be a list');
      else
        raw.ports.forEach((p, i) => {
          const port = parsePort(p);
          if (typeof port === 'string') {
            if (isObj(p))
              for (const k of Object.keys(p))
                if (!PORT_KEYS.has(k)) unsupported([...segs, 'ports', i, k], PORT_KEYS, 'a port');
            bad([...segs, 'ports', i], `Port ${JSON.stringify(p)} of service ${name}: ${port}`);
          } else svc.ports.push(port);
        });
    }
    if (raw.depends_on !== undefined) {
      const dep = raw.depends_on;
      if (Array.isArray(dep)) for (const d of dep) svc.dependsOn[String(d)] = 'service_started';
      else if (isObj(dep)) {
        for (const [d, cond] of Object.entries(dep)) {
          const c = isObj(cond) ? (cond.condition ?? 'service_started') : cond;
          if (isObj(cond))
            for (const k of Object.keys(cond))
              if (k !== 'condition') unsupported([...segs, 'depends_on', d, k], new Set(['condition']), 'depends_on');
          if (c === 'service_started' || c === 'service_healthy') svc.dependsOn[d] = c as DependsCondition;
          else
            bad(
              [...segs, 'depends_on', d, 'condition'],
              `depends_on condition ${String(c)} is not supported`,
              'Use service_started or service_healthy.',
            );
        }
      } else bad([...segs, 'depends_on'], 'depends_on must be a list or a mapping');
      for (const d of Object.keys(svc.dependsOn)) {
        const i = Array.isArray(dep) ? dep.indexOf(d) : d;
        if (!(d in (doc.services as Obj)))
          bad(
            [...segs, 'depends_on', i],
            `Service ${name} depends on unknown service ${d}`,
            undefined,
            Array.isArray(dep) ? 'value' : 'key',
          );
      }
    }
    if (raw.healthcheck !== undefined) {
      const h = raw.healthcheck;
      if (!isObj(h)) bad([...segs, 'healthcheck'], 'healthcheck must be a mapping');
      else {
        checkKeys(h, [...segs, 'healthcheck'], HEALTH_KEYS, 'healthcheck');
        if (h.disable === true) svc.healthcheck = { test: ['NONE'] };
        else {
          let test: string[] | undefined;
          if (typeof h.test === 'string') test = ['CMD-SHELL', h.test];
          else if (
            Array.isArray(h.test) &&
            h.test.length > 0 &&
            ['CMD', 'CMD-SHELL', 'NONE'].includes(String(h.test[0]))
          )
            test = h.test.map(String);
          else
            bad(
              [...segs, 'healthcheck', 'test'],
              'healthcheck.test must be a string or a list starting with CMD, CMD-SHELL or NONE',
            );
          const dur = (k: string): number | undefined => {
            if (h[k] === undefined) return undefined;
            const ms = parseComposeDuration(h[k]);
            if (ms === undefined)
              bad([...segs, 'healthcheck', k], `healthcheck.${k} is not a duration such as 5s or 1m30s`);
            return ms;
          };
          if (test) {
            svc.healthcheck = {
              test,
              intervalMs: dur('interval'),
              timeoutMs: dur('timeout'),
              startPeriodMs: dur('start_period'),
            };
            if (h.retries !== undefined) {
              if (typeof h.retries === 'number' && Number.isInteger(h.retries) && h.retries >= 0)
                svc.healthcheck.retries = h.retries;
              else bad([...segs, 'healthcheck', 'retries'], 'healthcheck.retries must be a whole number');
            }
            for (const k of Object.keys(svc.healthcheck) as Array<keyof typeof svc.healthcheck>)
              if (svc.healthcheck[k] === undefined) delete svc.healthcheck[k];
          }
        }
      }
    }
    if (raw.volumes !== undefined) {
      if (!Array.isArray(raw.volumes)) bad([...segs, 'volumes'], 'volumes must be a list');
      else
        raw.volumes.forEach((v, i) => {
          const m = typeof v === 'string' ? /^([^:]+):([^:]+)(?::(ro|rw))?$/.exec(v) : null;
          if (!m)
            return bad(
              [...segs, 'volumes', i],
              'Volumes are written name:/path or name:/path:ro',
              'Only named volumes of the top-level volumes: are supported.',
            );
          if (m[1].startsWith('/') || m[1].startsWith('.') || m[1].startsWith('~')) {
            return bad(
              [...segs, 'volumes', i],
              `Bind mount ${m[1]} is not supported`,
              'Use a named volume declared under the top-level volumes:; host paths are not mounted into compose services.',
            );
          }
          if (!volumes.includes(m[1]))
            return bad([...segs, 'volumes', i], `Volume ${m[1]} is not declared under the top-level volumes:`);
          if (!m[2].startsWith('/')) return bad([...segs, 'volumes', i], `Mount path ${m[2]} must be absolute`);
          svc.volumes.push({ source: m[1], target: m[2], readOnly: m[3] === 'ro' });
        });
    }
    if (raw.networks !== undefined) {
      const list = Array.isArray(raw.networks)
        ? raw.networks.map(String)
        : isObj(raw.networks)
          ? Object.keys(raw.networks)
          : undefined;
      if (!list) bad([...segs, 'networks'], 'networks must be a list or a mapping');
      if (isObj(raw.networks)) {
        for (const [n, def] of Object.entries(raw.networks)) {
          if (def !== null && !(isObj(def) && Object.keys(def).length === 0))
            for (const k of isObj(def) ? Object.keys(def) : ['(value)'])
              unsupported([...segs, 'networks', n, k], new Set(), 'a service network entry (no settings)');
        }
      }
      for (const n of list ?? []) {
        if (n !== 'default' && !networks.includes(n))
          bad([...segs, 'networks'], `Network ${n} of service ${name} is not declared under the top-level networks:`);
      }
      svc.networks = (list ?? []).filter((n) => n !== 'default').sort();
    }
    services[name] = svc;
  }
  const model: ComposeModel = { services, volumes, networks };
  if (mainService !== undefined && !services[mainService]) {
    diags.push(
      error('compose.main-service-unknown', `main_service ${mainService} is not a service of the compose file`, {
        range: at(['services'], 'key'),
        detail: `Services: ${Object.keys(services).join(', ')}.`,
      }),
    );
  }
  if (!diags.some((d) => d.severity === 'error') && !startOrder(model)) {
    bad(['services'], 'The depends_on of the services form a cycle', 'Remove one dependency of the cycle.', 'key');
  }
  return diags.some((d) => d.severity === 'error') ? { diags } : { value: model, diags };
}

function parsePort(p: unknown): ComposePort | string {
  const num = (s: string): number | undefined =>
    /^\d{1,5}$/.test(s) && Number(s) > 0 && Number(s) < 65536 ? Number(s) : undefined;
  if (typeof p === 'number') return num(String(p)) !== undefined ? { container: p } : 'not a port number';
  if (typeof p === 'string') {
    const [spec, proto] = p.split('/');
    if (proto && proto !== 'tcp') return 'only tcp ports are supported';
    const parts = spec.split(':');
    if (parts.length > 3 || parts.some((x) => x.includes('-')))
      return 'write [host_ip:][host_port:]container_port (no ranges)';
    const container = num(parts[parts.length - 1]);
    if (container === undefined) return 'not a port number';
    if (parts.length === 1) return { container };
    const host = parts[parts.length - 2] === '' ? undefined : num(parts[parts.length - 2]);
    if (parts[parts.length - 2] !== '' && host === undefined) return 'the host port is not a port number';
    return parts.length === 3 ? { container, host, hostIp: parts[0] } : { container, host };
  }
  if (isObj(p)) {
    for (const k of Object.keys(p)) if (!PORT_KEYS.has(k)) return `key ${k} is not supported`;
    if (p.protocol !== undefined && p.protocol !== 'tcp') return 'only tcp ports are supported';
    const container = typeof p.target === 'number' ? p.target : undefined;
    if (!container) return 'target must be a port number';
    const host = p.published === undefined ? undefined : Number(p.published);
    if (host !== undefined && !(host > 0 && host < 65536)) return 'published must be a port number';
    return { container, host, hostIp: typeof p.host_ip === 'string' ? p.host_ip : undefined };
  }
  return 'not a port';
}
