// The rxgears dashboard: plain browser JavaScript, no build step. It polls GET /api/state once a second and
// draws it; the buttons call the /api endpoints with the header X-Rxgears: 1 (which a cross-site page cannot
// send). With --requirepass the password is asked once and sent as `Authorization: Bearer …`, kept in this
// tab's sessionStorage only.

const POLL_MS = 1000;
const CHART_WINDOW_MS = 5 * 60 * 1000;
const TOKEN_KEY = 'rxgears-token';

let selected = null;
let lastState = null;

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text: nothing from the server is parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'title') node.title = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

class Unauthorized extends Error {}

async function api(path, method = 'GET') {
  const headers = { 'X-Rxgears': '1' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers });
  if (response.status === 401) throw new Unauthorized('authentication required');
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

function toast(message) {
  const node = $('toast');
  node.textContent = message;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (node.hidden = true), 4000);
}

async function act(path, method) {
  try {
    await api(path, method);
    await refresh();
  } catch (error) {
    if (error instanceof Unauthorized) showLogin();
    else toast(error.message);
  }
}

const fmt = {
  int: (n) => Number(n).toLocaleString('en-US'),
  rate: (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)),
  ms: (n) =>
    n >= 1000 ? `${(n / 1000).toFixed(2)} s` : n < 1 ? `${n > 0 ? n.toFixed(2) : '<1'} ms` : `${+n.toFixed(1)} ms`,
  // Ids are `<40-hex shard id>-<n>`: the shard's first 8 hex digits tell shards apart, as redis-cli shows node ids.
  shortId: (id) => id.replace(/^([0-9a-f]{8})[0-9a-f]{32}(?=-|$)/, '$1…'),
};

/**
 * Puts `rows` (fresh <tr>s keyed by `keyAttr`) into `tbody`, keeping the rows and cells that did not change:
 * a button under the pointer is not replaced by an identical one each second, so no click is lost.
 */
function syncRows(tbody, rows, keyAttr) {
  const existing = new Map([...tbody.children].map((tr) => [tr.getAttribute(keyAttr), tr]));
  const ordered = rows.map((fresh) => {
    const old = existing.get(fresh.getAttribute(keyAttr));
    if (!old) return fresh;
    old.className = fresh.className;
    [...fresh.children].forEach((cell, i) => {
      const current = old.children[i];
      if (!current) old.append(cell);
      else if (current.outerHTML !== cell.outerHTML) current.replaceWith(cell);
    });
    return old;
  });
  ordered.forEach((tr, i) => {
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null);
  });
  while (tbody.children.length > ordered.length) tbody.lastElementChild.remove();
}

function badge(status) {
  return el('span', { class: `badge ${status}` }, status);
}

/** Per-second rates between consecutive samples: [{ t, events, executions }]. */
function rates(samples) {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0) continue;
    out.push({ t: b.t, events: (b.events - a.events) / dt, executions: (b.executions - a.executions) / dt });
  }
  return out;
}

/** The rate over the last few seconds (one second's sample is too jumpy for the big numbers). */
function recentRate(samples, key, seconds = 5) {
  if (samples.length < 2) return 0;
  const last = samples[samples.length - 1];
  let first = samples[0];
  for (const s of samples)
    if (last.t - s.t <= seconds * 1000) {
      first = s;
      break;
    }
  const dt = (last.t - first.t) / 1000;
  return dt > 0 ? (last[key] - first[key]) / dt : 0;
}

function drawChart(state) {
  const chart = $('chart');
  // Drawn at the element's own pixel size, so text and lines are not stretched.
  const W = Math.max(300, Math.round(chart.getBoundingClientRect().width));
  const H = 180;
  chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const pad = { l: 36, r: 6, t: 8, b: 18 };
  const points = rates(state.activity).filter((p) => state.now - p.t <= CHART_WINDOW_MS);
  const max = Math.max(1, ...points.map((p) => Math.max(p.events, p.executions))) * 1.15;
  const x = (t) => pad.l + ((t - (state.now - CHART_WINDOW_MS)) / CHART_WINDOW_MS) * (W - pad.l - pad.r);
  const y = (v) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  chart.replaceChildren();
  for (const f of [0, 0.5, 1]) {
    chart.append(svg('line', { class: 'grid-line', x1: pad.l, x2: W - pad.r, y1: y(max * f), y2: y(max * f) }));
    chart.append(svg('text', { class: 'axis', x: 2, y: y(max * f) + 3 }, fmt.rate(max * f)));
  }
  for (const minutes of [5, 4, 3, 2, 1, 0]) {
    const t = state.now - minutes * 60000;
    chart.append(
      svg('text', { class: 'axis', x: Math.min(x(t), W - 30), y: H - 3 }, minutes ? `-${minutes} min` : 'now'),
    );
  }
  if (points.length > 1) {
    const line = (key) => points.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    const area = `${x(points[0].t)},${y(0)} ${line('events')} ${x(points[points.length - 1].t)},${y(0)}`;
    chart.append(svg('polygon', { class: 'events-area', points: area }));
    chart.append(svg('polyline', { class: 'events', points: line('events') }));
    chart.append(svg('polyline', { class: 'executions', points: line('executions') }));
  }
  $('chart-window').textContent = '· last 5 minutes';
}

function drawRegistrations(state) {
  const rows = state.registrations.map((r) => {
    const paused = r.status === 'PAUSED';
    const prefix = r.args.trigger ?? r.args.hook ?? r.args.prefix ?? '';
    const lag = r.lastEstimatedLagMS === undefined ? '–' : fmt.ms(r.lastEstimatedLagMS);
    return el(
      'tr',
      { 'data-registration': r.id },
      el(
        'td',
        { class: 'mono', title: r.id },
        fmt.shortId(r.id),
        r.desc ? el('div', { class: 'muted' }, r.desc) : null,
      ),
      el('td', {}, r.reader),
      el('td', { class: 'mono' }, prefix),
      el('td', {}, r.mode),
      el('td', { class: 'status' }, badge(r.status)),
      el('td', { class: 'num triggered' }, fmt.int(r.numTriggered)),
      el('td', { class: 'num success' }, fmt.int(r.numSuccess)),
      el('td', { class: 'num failures' }, fmt.int(r.numFailures)),
      el('td', { class: 'num' }, fmt.int(r.executionsInFlight)),
      el('td', { class: 'num' }, lag),
      el('td', { class: 'error-cell', title: r.lastError ?? '' }, r.lastError ?? ''),
      el(
        'td',
        {},
        el(
          'div',
          { class: 'actions' },
          el('button', { 'data-action': paused ? 'unpause' : 'pause', 'data-id': r.id }, paused ? 'Unpause' : 'Pause'),
          el('button', { class: 'danger', 'data-action': 'unregister', 'data-id': r.id }, 'Unregister'),
        ),
      ),
    );
  });
  syncRows($('registrations').tBodies[0], rows, 'data-registration');
  $('registrations-empty').hidden = rows.length > 0;
}

function drawExecutions(state) {
  const rows = state.executions.map((e) => {
    const status = e.status === 'done' && e.errors > 0 ? 'failed' : e.status;
    return el(
      'tr',
      { 'data-execution': e.executionId, class: e.executionId === selected ? 'selected' : '' },
      el('td', { class: 'mono', title: e.executionId }, fmt.shortId(e.executionId)),
      el(
        'td',
        { class: 'mono' },
        e.registrationId ? fmt.shortId(e.registrationId) : el('span', { class: 'muted' }, 'run'),
      ),
      el('td', {}, badge(status)),
      el('td', { class: 'num' }, fmt.ms(e.totalDurationMs)),
      el('td', { class: 'num' }, fmt.int(e.results)),
      el('td', { class: 'num' }, fmt.int(e.errors)),
    );
  });
  syncRows($('executions').tBodies[0], rows, 'data-execution');
  $('executions-empty').hidden = rows.length > 0;
}

function drawShards(state) {
  const cards = state.shards.map((s) =>
    el(
      'div',
      { class: 'shard', 'data-shard': s.id },
      el(
        'div',
        { class: 'head' },
        el('span', { class: `dot ${s.up ? 'on' : 'off'}` }),
        el('span', { class: 'mono', title: s.id }, fmt.shortId(s.id)),
      ),
      el(
        'div',
        { class: 'facts' },
        el('span', {}, 'slots ', el('b', {}, s.slots.map(([a, b]) => `${a}-${b}`).join(', '))),
        s.up ? el('span', {}, 'keys ', el('b', {}, fmt.int(s.keys))) : el('span', {}, s.error),
        s.up ? el('span', {}, 'ping ', el('b', {}, fmt.ms(s.pingMs))) : null,
      ),
    ),
  );
  $('shards').replaceChildren(...cards);
}

/** The execution's plan as boxes: reader → steps (global ones dashed) → result, each with its record counts. */
function drawPlan(detail) {
  const nodes = [];
  const read = detail.steps.length > 0 ? detail.steps[0].recordsIn : detail.results;
  nodes.push(
    el(
      'div',
      { class: 'node reader' },
      el('div', { class: 'op' }, detail.reader),
      el('div', { class: 'kind' }, 'reader'),
      el('div', { class: 'counts' }, `${fmt.int(read)} read`),
    ),
  );
  detail.steps.forEach((step, index) => {
    const global = step.type === 'collect' || step.type === 'repartition';
    nodes.push(el('span', { class: 'arrow' }, '→'));
    nodes.push(
      el(
        'div',
        { class: `node${global ? ' global' : ''}`, 'data-step': index },
        el('div', { class: 'op' }, step.op),
        el('div', { class: 'kind' }, step.op === step.type ? `step ${index}` : step.type),
        el('div', { class: 'counts' }, `${fmt.int(step.recordsIn)} → ${fmt.int(step.recordsOut)}`),
      ),
    );
  });
  nodes.push(el('span', { class: 'arrow' }, '→'));
  nodes.push(
    el(
      'div',
      { class: 'node result' },
      el('div', { class: 'op' }, 'result'),
      el('div', { class: 'kind' }, 'initiator'),
      el('div', { class: 'counts' }, `${fmt.int(detail.results)} records`),
    ),
  );
  $('plan').replaceChildren(...nodes);
}

async function drawDetail() {
  $('detail-empty').hidden = selected !== null;
  $('detail-body').hidden = selected === null;
  $('detail-abort').disabled = $('detail-drop').disabled = selected === null;
  if (selected === null) return;
  let detail;
  try {
    detail = await api(`/api/executions/${encodeURIComponent(selected)}`);
  } catch (error) {
    if (error instanceof Unauthorized) throw error;
    selected = null; // dropped or evicted
    return drawDetail();
  }
  const finished = detail.status === 'done' || detail.status === 'aborted';
  $('detail-id').textContent = fmt.shortId(detail.executionId);
  $('detail-id').title = detail.executionId;
  $('detail-abort').disabled = finished;
  $('detail-drop').disabled = !finished;
  const meta = [
    el('span', {}, badge(detail.status === 'done' && detail.errors.length > 0 ? 'failed' : detail.status)),
    el(
      'span',
      {},
      'registration ',
      el('b', {}, detail.registrationId ? fmt.shortId(detail.registrationId) : 'none (run)'),
    ),
    el('span', {}, 'duration ', el('b', {}, fmt.ms(detail.totalDurationMs))),
    el('span', {}, 'read ', el('b', {}, fmt.ms(detail.readDurationMs))),
    el('span', {}, 'shards ', el('b', {}, `${detail.shardsCompleted}/${detail.shards.length}`)),
  ];
  if (detail.desc) meta.push(el('span', {}, el('b', {}, detail.desc)));
  $('detail-meta').replaceChildren(...meta);
  drawPlan(detail);
  const more = detail.results - detail.resultsShown.length;
  $('results-count').textContent =
    `${fmt.int(detail.results)}${more > 0 ? ` (first ${detail.resultsShown.length} shown)` : ''}`;
  $('results').replaceChildren(...detail.resultsShown.map((r) => el('li', {}, r)));
  $('errors').replaceChildren(
    ...(detail.errors.length ? detail.errors.map((e) => el('li', {}, e)) : [el('li', { class: 'muted' }, 'none')]),
  );
}

async function refresh() {
  const state = await api('/api/state');
  lastState = state;
  const kinds = { memory: 'embedded store', redis: 'Redis', cluster: 'Redis Cluster' };
  $('topology').textContent =
    `${kinds[state.kind] ?? state.kind} · ${state.shards.length} shard${state.shards.length === 1 ? '' : 's'}`;
  $('stat-events').textContent = fmt.rate(recentRate(state.activity, 'events'));
  $('stat-executions').textContent = fmt.rate(recentRate(state.activity, 'executions'));
  $('stat-running').textContent = fmt.int(
    state.executions.filter((e) => e.status === 'running' || e.status === 'pending_cluster').length,
  );
  $('stat-registrations').textContent = fmt.int(state.registrations.length);
  drawChart(state);
  drawRegistrations(state);
  drawExecutions(state);
  drawShards(state);
  await drawDetail();
}

function live(on, text) {
  $('live-dot').className = `dot ${on ? 'on' : 'off'}`;
  $('live-text').textContent = text;
}

function showLogin(message = '') {
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('password').focus();
}

async function loop() {
  try {
    await refresh();
    live(true, 'live');
  } catch (error) {
    if (error instanceof Unauthorized) {
      live(false, 'signed out');
      if ($('login').hidden) showLogin(sessionStorage.getItem(TOKEN_KEY) ? 'wrong password' : '');
      sessionStorage.removeItem(TOKEN_KEY);
    } else live(false, `disconnected: ${error.message}`);
  }
  setTimeout(loop, POLL_MS);
}

$('registrations').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const id = encodeURIComponent(button.dataset.id);
  const action = button.dataset.action;
  if (action === 'unregister') {
    if (!confirm(`Unregister ${button.dataset.id}?`)) return;
    void act(`/api/registrations/${id}`, 'DELETE');
  } else void act(`/api/registrations/${id}/${action}`, 'POST');
});

$('executions').addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-execution]');
  if (!row) return;
  selected = row.dataset.execution;
  if (lastState) drawExecutions(lastState);
  void drawDetail().catch((error) => toast(error.message));
});

$('detail-abort').addEventListener(
  'click',
  () => selected && act(`/api/executions/${encodeURIComponent(selected)}/abort`, 'POST'),
);
$('detail-drop').addEventListener('click', () => {
  if (!selected) return;
  const id = selected;
  selected = null;
  void act(`/api/executions/${encodeURIComponent(id)}`, 'DELETE');
});

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('password').value);
  try {
    await refresh();
    $('login').hidden = true;
    $('password').value = '';
    live(true, 'live');
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('login-error').textContent = error instanceof Unauthorized ? 'wrong password' : error.message;
  }
});

void loop();
