/* global window, document, location, sessionStorage, CustomEvent, CSS, FormData, Node, URLSearchParams, prompt, alert */
// The console's web client: plain DOM code over the /api/v1 JSON API, no framework and no build
// step. Each page is a function that fetches and renders; the runtimes and approvals pages
// re-render on the live SSE stream (read with fetch, since EventSource cannot send a token).
const API = '/api/v1';
const state = { token: sessionStorage.getItem('cf-token') || '', who: undefined, stream: undefined };
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function api(path, init = {}) {
  const r = await fetch(API + path, {
    ...init,
    headers: { authorization: `Bearer ${state.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  const body = await r.json().catch(() => ({}));
  if (r.status === 401) {
    signOut('Your token was not accepted.');
    throw new Error('unauthorized');
  }
  if (!r.ok) throw Object.assign(new Error(body.error?.message || `HTTP ${r.status}`), { status: r.status, body });
  return body;
}

function badge(text, kind) {
  return el('span', { class: `badge ${kind}`, 'data-state': text }, text);
}
function stateKind(s) {
  if (s === 'running') return 'ok';
  if (s === 'starting' || s === 'not created') return 'warn';
  return 'bad';
}

function signOut(message) {
  state.token = '';
  sessionStorage.removeItem('cf-token');
  state.stream?.abort();
  $('#nav').hidden = true;
  $('#who').textContent = '';
  $('#page').replaceChildren();
  $('#login').hidden = false;
  $('#login-error').textContent = message || '';
  $('#token').focus();
}

async function signIn() {
  try {
    state.who = await api('/whoami');
  } catch {
    return;
  }
  $('#login').hidden = true;
  $('#nav').hidden = false;
  $('#who').replaceChildren(
    `${state.who.name} (${state.who.roles.join(', ')}) `,
    el('button', { type: 'button', onclick: () => signOut() }, 'Sign out'),
  );
  follow();
  route();
}

/** The live stream: runtime status changes and audit events, fanned out to the page. */
async function follow() {
  state.stream?.abort();
  const ac = new AbortController();
  state.stream = ac;
  try {
    const r = await fetch(`${API}/events/stream`, {
      headers: { authorization: `Bearer ${state.token}` },
      signal: ac.signal,
    });
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) window.dispatchEvent(new CustomEvent(`cf:${event}`, { detail: JSON.parse(data) }));
      }
    }
  } catch {
    /* aborted or dropped: reconnect below unless signed out */
  }
  if (state.stream === ac && !ac.signal.aborted && state.token) setTimeout(follow, 1000);
}

let pageCleanup = () => undefined;
function on(event, fn) {
  window.addEventListener(event, fn);
  const prev = pageCleanup;
  pageCleanup = () => {
    prev();
    window.removeEventListener(event, fn);
  };
}

async function route() {
  if (!state.token) return;
  pageCleanup();
  pageCleanup = () => undefined;
  const [, page, arg] = (location.hash || '#/runtimes').split('?')[0].split('/');
  const pages = {
    runtimes: arg ? () => runtimeDetail(decodeURIComponent(arg)) : runtimes,
    catalog,
    profiles,
    approvals,
    plan,
  };
  const root = $('#page');
  root.replaceChildren(el('p', { role: 'status' }, 'Loading…'));
  for (const a of document.querySelectorAll('#nav a'))
    a.toggleAttribute('aria-current', a.getAttribute('href') === `#/${page}`);
  try {
    root.replaceChildren(...[await (pages[page] || runtimes)()].flat());
  } catch (e) {
    if (e.message !== 'unauthorized') root.replaceChildren(el('p', { role: 'alert', class: 'error' }, e.message));
  }
}

function table(head, rows, label) {
  return el(
    'table',
    {},
    el('caption', {}, label),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        head.map((h) => el('th', { scope: 'col' }, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
}

async function runtimes() {
  const data = await api('/runtimes');
  const rowOf = (r) =>
    el(
      'tr',
      { 'data-runtime': r.name },
      el('td', {}, el('a', { href: `#/runtimes/${encodeURIComponent(r.name)}` }, r.name)),
      el('td', {}, r.backend, r.backendType ? ` (${r.backendType})` : ''),
      el('td', { class: 'status' }, badge(r.state, stateKind(r.state))),
      el('td', {}, r.health ?? '–'),
      el('td', {}, r.gateway ? badge(r.gateway.state, r.gateway.state === 'connected' ? 'ok' : 'bad') : '–'),
      el('td', {}, r.inSync ? 'in sync' : 'drift'),
      el('td', {}, r.warnings.length ? badge(`${r.warnings.length} warning(s)`, 'warn') : '–'),
    );
  const tbody = data.runtimes.map(rowOf);
  const t = table(
    ['Runtime', 'Backend', 'Status', 'Health', 'Gateway', 'Sync', 'Guardrails'],
    tbody,
    `Stack ${data.stack}`,
  );
  on('cf:runtime', (e) => {
    const r = e.detail;
    const old = t.querySelector(`tr[data-runtime="${CSS.escape(r.name)}"]`);
    if (old) old.replaceWith(rowOf(r));
    else t.tBodies[0].append(rowOf(r));
  });
  return [
    el('h1', {}, 'Runtimes'),
    t,
    ...(data.problems ?? []).map((p) => el('p', { role: 'alert', class: 'error' }, p)),
  ];
}

/** The lock's view of a runtime: pinned or not, and what the gateway sees that the lock does not pin. */
function surfaceText(r) {
  if (!r.lock) return 'no contextforge.lock';
  if (r.lock.error) return `lock unreadable: ${r.lock.error}`;
  if (!r.lock.pinned) return 'not in contextforge.lock';
  const counts = Object.entries(r.lock.surface ?? {})
    .filter(([, v]) => v.length)
    .map(([k, v]) => `${v.length} ${k}`)
    .join(', ');
  const live = r.gateway?.lock;
  const drift = live?.unpinned?.length
    ? ` — ${live.unpinned.length} listed definition(s) differ from the lock (${live.mode}): ${live.unpinned.map((u) => u.key).join(', ')}`
    : live
      ? ` — matches the lock (${live.mode})`
      : '';
  return `pinned${r.lock.artifact?.digest ? ` ${r.lock.artifact.digest}` : ''}: ${counts || 'empty surface'}${drift}`;
}

async function runtimeDetail(name) {
  const r = await api(`/runtimes/${encodeURIComponent(name)}`);
  const logBox = el('pre', { class: 'logs', 'aria-label': 'Log lines', tabindex: '0' });
  const filter = el('input', { id: 'log-filter', type: 'search' });
  const loadLogs = async () => {
    const q = filter.value ? `&filter=${encodeURIComponent(filter.value)}` : '';
    try {
      const l = await api(`/runtimes/${encodeURIComponent(name)}/logs?tail=200${q}`);
      logBox.textContent = l.lines.join('\n');
    } catch (e) {
      logBox.textContent = e.message;
    }
  };
  filter.addEventListener('change', loadLogs);
  await loadLogs();
  const controls = (r.guardrails?.controls ?? []).map((c) =>
    el(
      'tr',
      {},
      el('td', {}, c.label),
      el('td', {}, c.value),
      el('td', {}, badge(c.enforced ? 'enforced' : 'not enforced', c.enforced ? 'ok' : 'warn')),
      el('td', {}, c.note),
    ),
  );
  const dl = el(
    'dl',
    {},
    [
      ['Status', badge(r.state, stateKind(r.state))],
      ['Backend', `${r.backend}${r.backendType ? ` (${r.backendType})` : ''}`],
      ['Endpoint', r.endpoint ?? '–'],
      ['Catalog', r.catalog ?? '–'],
      ['Profile', r.profile ?? '–'],
      ['Uptime', r.uptimeSeconds !== undefined ? `${r.uptimeSeconds} s` : '–'],
      ['Restarts', r.restarts ?? '–'],
      [
        'Usage',
        r.usage
          ? `${r.usage.cpuPercent?.toFixed?.(1) ?? '?'}% CPU, ${r.usage.memoryBytes ?? '?'} / ${r.usage.memoryLimitBytes ?? '∞'} bytes`
          : '–',
      ],
      ['Spec hash', r.specHash ?? '–'],
      ['Tool surface', surfaceText(r)],
    ].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
  );
  return [
    el('h1', {}, `Runtime ${r.name}`),
    dl,
    el('h2', {}, 'Guardrail warnings'),
    r.warnings.length
      ? el(
          'ul',
          { class: 'warnings' },
          r.warnings.map((w) => el('li', {}, w)),
        )
      : el('p', {}, 'None.'),
    controls.length
      ? table(['Control', 'Asked', 'On this backend', 'Note'], controls, 'Guardrails asked vs enforced')
      : '',
    el('h2', {}, 'Logs'),
    el('label', { for: 'log-filter' }, 'Filter lines '),
    filter,
    el('button', { type: 'button', onclick: loadLogs }, 'Refresh'),
    logBox,
    el('h2', {}, 'Events'),
    el(
      'ul',
      {},
      (r.events ?? []).map((e) => el('li', {}, `${e.at} ${e.type}${e.actor ? ` by ${e.actor}` : ''}`)),
    ),
  ];
}

async function catalog() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const data = await api(`/catalog?${params}`);
  const select = (id, label, values, current) =>
    el(
      'span',
      {},
      el('label', { for: id }, label),
      el(
        'select',
        { id, name: id },
        el('option', { value: '' }, 'any'),
        values.map((v) => el('option', { value: v, selected: v === current }, v)),
      ),
    );
  const form = el(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        const q = new URLSearchParams(new FormData(e.target));
        for (const [k, v] of [...q]) if (!v) q.delete(k);
        location.hash = `#/catalog?${q}`;
      },
    },
    select('backend', 'Backend ', ['docker', 'ibm_code_engine', 'process'], params.get('backend')),
    select('category', ' Category ', data.categories, params.get('category')),
    select('tag', ' Tag ', data.tags, params.get('tag')),
    el('label', { for: 'q' }, ' Search '),
    el('input', { id: 'q', name: 'q', type: 'search', value: params.get('q') ?? '' }),
    el('button', { type: 'submit' }, 'Filter'),
  );
  const cards = data.entries.map((e) =>
    el(
      'article',
      { class: 'card', 'data-slug': e.slug },
      el('h2', {}, e.name),
      el('p', {}, e.description ?? ''),
      el(
        'p',
        {},
        e.backends.map((b) => badge(b, 'info')),
      ),
      el('p', { class: 'meta' }, `${e.slug} · ${e.source}${e.category ? ` · ${e.category}` : ''}`),
      el('button', { type: 'button', onclick: () => deployDialog(e, data.configBackends) }, `Deploy ${e.name}`),
    ),
  );
  return [
    el('h1', {}, 'Catalog'),
    form,
    el('div', { class: 'cards' }, cards.length ? cards : el('p', {}, 'No entries match.')),
  ];
}

/** The deploy dialog: choose name, backend, profile, env; the API answers the YAML and its diagnostics. */
async function deployDialog(entry, configBackends) {
  const profiles = (await api('/profiles')).profiles.map((p) => p.name);
  const usable = configBackends.filter((b) => entry.backends.includes(b.type));
  const out = el('pre', { class: 'logs', id: 'snippet', 'aria-live': 'polite' });
  const diag = el('div', { role: 'status' });
  const field = (id, label, input) => el('p', {}, el('label', { for: id }, label), ' ', input);
  const form = el(
    'form',
    { method: 'dialog' },
    el('h2', {}, `Deploy ${entry.name}`),
    field(
      'd-name',
      'Runtime name',
      el('input', { id: 'd-name', name: 'name', required: true, value: entry.slug.replace(/[^a-z0-9-]/g, '-') }),
    ),
    field(
      'd-backend',
      'Backend',
      el(
        'select',
        { id: 'd-backend', name: 'backend' },
        usable.map((b) => el('option', { value: b.name }, `${b.name} (${b.type})`)),
      ),
    ),
    field(
      'd-profile',
      'Guardrail profile',
      el(
        'select',
        { id: 'd-profile', name: 'profile' },
        el('option', { value: '' }, 'entry default'),
        profiles.map((p) => el('option', { value: p }, p)),
      ),
    ),
    field('d-env', 'Env (KEY=value per line)', el('textarea', { id: 'd-env', name: 'env', rows: 3 })),
    state.who.roles.includes('admin')
      ? field(
          'd-commit',
          'Commit on a new branch (the config must live in a git work tree)',
          el('input', { id: 'd-commit', name: 'commit', type: 'checkbox' }),
        )
      : '',
    el('button', { type: 'submit', value: 'make' }, 'Generate YAML'),
    ' ',
    el('button', { type: 'button', onclick: () => dialog.close() }, 'Close'),
    diag,
    out,
  );
  const dialog = el('dialog', { 'aria-label': `Deploy ${entry.name}` }, form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const env = Object.fromEntries(
      String(f.get('env') || '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const body = {
      name: f.get('name'),
      backend: f.get('backend'),
      ...(f.get('profile') ? { profile: f.get('profile') } : {}),
      ...(Object.keys(env).length ? { env } : {}),
      ...(f.get('commit') ? { commit: true } : {}),
    };
    try {
      const r = await api(`/catalog/${encodeURIComponent(entry.slug)}/deploy-snippet`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      out.textContent = r.yaml;
      diag.replaceChildren(
        el(
          'p',
          { 'data-valid': String(r.valid) },
          r.valid ? 'Valid: add this under runtimes: in the config.' : 'Not valid yet:',
        ),
        r.branch ? el('p', {}, `Committed ${r.commit.slice(0, 12)} on branch ${r.branch} for review.`) : '',
        ...r.diagnostics.map((d) =>
          el('p', { class: d.severity === 'error' ? 'error' : '' }, `${d.severity}: ${d.summary}`),
        ),
      );
    } catch (e) {
      diag.replaceChildren(el('p', { class: 'error' }, e.message));
    }
  });
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
}

async function profiles() {
  const data = await api('/profiles');
  const rows = data.profiles.map((p) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, p.name),
      data.backendTypes.map((t) =>
        el(
          'td',
          {},
          p.compatibility[t].length
            ? badge(`not enforced: ${p.compatibility[t].join(', ')}`, 'warn')
            : badge('all enforced', 'ok'),
        ),
      ),
    ),
  );
  return [
    el('h1', {}, 'Guardrail profiles'),
    table(['Profile', ...data.backendTypes], rows, 'Backend compatibility matrix'),
  ];
}

async function approvals() {
  const data = await api('/approvals?status=all');
  const decide = async (a, kind) => {
    const reason = kind === 'reject' ? prompt('Why is it rejected?') : undefined;
    if (kind === 'reject' && !reason) return;
    try {
      await api(`/approvals/${encodeURIComponent(a.id)}/${kind}`, {
        method: 'POST',
        body: JSON.stringify(reason ? { reason } : {}),
      });
    } catch (e) {
      alert(e.message);
    }
    route();
  };
  const rows = data.approvals.map((a) =>
    el(
      'tr',
      { 'data-approval': a.id },
      el('td', {}, a.id),
      el('td', {}, a.address),
      el('td', {}, badge(a.status, a.status === 'approved' ? 'ok' : a.status === 'pending' ? 'warn' : 'bad')),
      el('td', {}, a.reasons.join('; ')),
      el('td', {}, a.approvers.map((l) => (l.length ? l.join(' or ') : 'anyone')).join(' and ')),
      el('td', {}, a.decidedBy ? `${a.decidedBy}${a.note ? `: ${a.note}` : ''}` : ''),
      el(
        'td',
        {},
        a.canDecide
          ? [
              el('button', { type: 'button', onclick: () => decide(a, 'approve') }, 'Approve'),
              ' ',
              el('button', { type: 'button', onclick: () => decide(a, 'reject') }, 'Reject'),
            ]
          : '',
      ),
    ),
  );
  on('cf:event', (e) => {
    if (e.detail.type.startsWith('approval.')) route();
  });
  return [
    el('h1', {}, 'Approvals'),
    rows.length
      ? table(['Id', 'Runtime', 'Status', 'Why', 'Approvers', 'Decision', ''], rows, 'Approval requests')
      : el('p', {}, 'No approval requests.'),
  ];
}

async function plan() {
  const data = await api('/plan');
  const changes = (data.plan?.changes ?? []).map((c) =>
    el('tr', {}, el('td', {}, c.address), el('td', {}, c.action), el('td', {}, (c.reasons ?? [c.reason]).join(', '))),
  );
  return [
    el('h1', {}, 'Plan'),
    data.plan
      ? el(
          'p',
          {},
          `${
            data.plan.summary
              ? Object.entries(data.plan.summary)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(', ')
              : ''
          }`,
        )
      : '',
    changes.length
      ? table(['Address', 'Action', 'Why'], changes, 'Changes against live state')
      : el('p', {}, 'No changes: live state matches the config.'),
    ...(data.diagnostics ?? []).map((d) =>
      el('p', { class: d.severity === 'error' ? 'error' : '' }, `${d.severity}: ${d.summary}`),
    ),
  ];
}

$('#login').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = $('#token').value.trim();
  sessionStorage.setItem('cf-token', state.token);
  signIn();
});
window.addEventListener('hashchange', route);
if (state.token) signIn();
else signOut();
