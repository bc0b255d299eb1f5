// vigil's client script: live refresh of the page's #live region, writes through the API with the
// session's bearer token, the silence form's preview. No framework, no build step beyond tsc copying it.
const TOKEN_KEY = 'vigil.token'; // sessionStorage: gone when the browser session ends
const NAME_KEY = 'vigil.by';
const REFRESH_MS = 5000;

const $ = (sel, root = document) => root.querySelector(sel);

function flash(text, isError = false) {
  const box = $('#flash');
  if (!box) return;
  box.className = isError ? 'error' : 'notice';
  box.textContent = text;
}

function who() {
  return localStorage.getItem(NAME_KEY) || 'ui';
}

/** The API's error text: Alertmanager's v2 errors are a JSON string, vigil's others { message }. */
async function errorText(res) {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    if (typeof body === 'string') return body;
    return body.message || body.error || text;
  } catch {
    return text || `HTTP ${res.status}`;
  }
}

/** A write with the session's token in the Authorization header (never in a URL). */
async function write(method, url, body) {
  const headers = { 'Content-Type': 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 401) throw new Error('this needs the bearer token (server.bearer_token): enter it in the Token field above');
  if (!res.ok) throw new Error(await errorText(res));
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

// ---- identity: name and token, entered once

function setupIdentity() {
  const form = $('#identity');
  if (!form) return;
  form.by.value = localStorage.getItem(NAME_KEY) || '';
  const status = $('#identity-status');
  if (form.token && sessionStorage.getItem(TOKEN_KEY)) status.textContent = 'token set';
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (form.by.value.trim()) localStorage.setItem(NAME_KEY, form.by.value.trim());
    if (form.token && form.token.value) {
      sessionStorage.setItem(TOKEN_KEY, form.token.value);
      form.token.value = '';
    }
    status.textContent = form.token && sessionStorage.getItem(TOKEN_KEY) ? 'saved; token set' : 'saved';
  });
}

// ---- live region

let refreshing = false;
const seenP1 = new Set();

/** An action button's identity across re-renders: its action and the alert or silence it acts on. */
function focusKey(el) {
  if (!el || !el.dataset || !el.dataset.action) return undefined;
  const fingerprint = el.closest('[data-fingerprint]')?.dataset.fingerprint || '';
  return [el.dataset.action, el.dataset.verdict || '', el.dataset.silenceId || '', fingerprint].join('|');
}

function notifyNewP1(region, first) {
  const want = $('#notify-p1')?.checked && 'Notification' in window && Notification.permission === 'granted';
  for (const el of region.querySelectorAll('.alert.sev-P1.state-active, tr.alert.state-active td.sev-P1')) {
    const row = el.closest('[data-fingerprint]');
    const fp = row?.dataset.fingerprint;
    if (!fp || seenP1.has(fp)) continue;
    seenP1.add(fp);
    if (want && !first) new Notification(`P1: ${row.dataset.alertname}`, { body: 'vigil: a new P1 alert is firing', tag: fp });
  }
}

/** `restore`: the focus key of a button the user pressed (disabling it while it worked took its focus). */
async function refresh(restore) {
  const region = $('#live');
  // a hidden tab is brought up to date when it is shown again
  if (!region || refreshing || document.hidden) return;
  refreshing = true;
  try {
    const url = new URL(location.href);
    url.searchParams.set('partial', '1');
    url.hash = '';
    const res = await fetch(url, { headers: { Accept: 'text/html' } });
    if (!res.ok) return;
    // parsed off-document and compared as the browser serializes it: an unchanged list is never re-laid out
    const next = document.createElement('template');
    next.innerHTML = await res.text();
    if (next.innerHTML === region.innerHTML) return;
    const key = restore ?? focusKey(document.activeElement);
    const inside = restore !== undefined || region.contains(document.activeElement);
    region.replaceChildren(next.content);
    notifyNewP1(region, false);
    // keyboard users keep their place across updates
    if (inside && key) for (const el of region.querySelectorAll('[data-action]')) if (focusKey(el) === key) el.focus();
  } catch {
    // offline for a moment: the next tick tries again
  } finally {
    refreshing = false;
  }
}

function setupLive() {
  const region = $('#live');
  if (!region) return;
  notifyNewP1(region, true);
  setInterval(refresh, REFRESH_MS);
  document.addEventListener('visibilitychange', () => document.hidden || refresh());
  const box = $('#notify-p1');
  if (box) {
    box.checked = localStorage.getItem('vigil.notifyP1') === '1' && 'Notification' in window && Notification.permission === 'granted';
    box.addEventListener('change', async () => {
      if (box.checked && 'Notification' in window && Notification.permission !== 'granted') box.checked = (await Notification.requestPermission()) === 'granted';
      localStorage.setItem('vigil.notifyP1', box.checked ? '1' : '0');
    });
  }
}

// ---- buttons: ack, feedback, expire

async function onAction(btn) {
  const { action, verdict, silenceId } = btn.dataset;
  const fingerprint = btn.closest('[data-fingerprint]')?.dataset.fingerprint;
  const key = focusKey(btn);
  btn.disabled = true;
  try {
    if (action === 'ack') {
      const r = await write('POST', '/api/v1/alerts/ack', { fingerprint, by: who() });
      flash(`acknowledged ${r.acknowledged} alert${r.acknowledged === 1 ? '' : 's'}`);
    } else if (action === 'feedback') {
      await write('POST', '/api/v1/alerts/feedback', { fingerprint, verdict, by: who() });
      flash(`marked ${verdict}`);
    } else if (action === 'expire') {
      await write('DELETE', `/api/v2/silence/${encodeURIComponent(silenceId)}`);
      flash(`silence ${silenceId} expired`);
    }
    await refresh(key);
  } catch (err) {
    flash(`${action} failed: ${err.message}`, true);
  } finally {
    btn.disabled = false;
    // the list did not change (or the write failed): the button itself gets its focus back
    if (btn.isConnected && (document.activeElement === document.body || !document.activeElement)) btn.focus();
  }
}

function setupActions() {
  document.addEventListener('click', (ev) => {
    const btn = ev.target.closest('button[data-action]');
    if (btn) onAction(btn);
  });
}

// ---- the silence form

async function preview(form) {
  const res = await fetch(`/api/v1/silences/preview?${new URLSearchParams({ matchers: form.matchers.value })}`);
  if (!res.ok) return { error: await errorText(res) };
  return res.json();
}

let formErrorBy = '';
/** The form's inline message; the live preview only ever clears a message of its own, never a refused save's. */
function showFormError(text, by = 'submit') {
  if (!text && by === 'preview' && formErrorBy !== 'preview') return;
  const box = $('#silence-error');
  box.textContent = text;
  box.hidden = !text;
  formErrorBy = text ? by : '';
}

function setupSilenceForm() {
  const form = $('#silence-form');
  if (!form) return;
  if (!form.createdBy.value) form.createdBy.value = localStorage.getItem(NAME_KEY) || '';
  let timer;
  const update = async () => {
    const p = await preview(form);
    const list = $('#preview-list');
    list.textContent = '';
    if (p.error) {
      $('#preview-count').textContent = 'Preview';
      showFormError(p.error, 'preview');
      return;
    }
    showFormError('', 'preview');
    $('#preview-count').textContent = `Affects ${p.count} alert${p.count === 1 ? '' : 's'}`;
    for (const a of p.alerts) {
      const li = document.createElement('li');
      li.textContent = a.text;
      list.append(li);
    }
  };
  form.matchers.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
  if (form.matchers.value) update();
  for (const b of form.querySelectorAll('[data-duration-ms]')) {
    b.addEventListener('click', () => {
      const start = Date.parse(form.startsAt.value);
      const from = Number.isNaN(start) ? Date.now() : Math.max(start, Date.now());
      form.endsAt.value = new Date(from + Number(b.dataset.durationMs)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    });
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const p = await preview(form);
    if (p.error) return showFormError(p.error);
    if (p.matchers.length === 0) return showFormError('matchers: give at least one matcher, so that not every alert is silenced');
    const body = {
      ...(form.silenceId ? { id: form.silenceId.value } : {}),
      matchers: p.matchers,
      startsAt: form.startsAt.value.trim(),
      endsAt: form.endsAt.value.trim(),
      createdBy: form.createdBy.value.trim(),
      comment: form.comment.value.trim(),
    };
    try {
      const r = await write('POST', '/api/v2/silences', body);
      location.assign(`/silences#silence-${r.silenceID}`);
    } catch (err) {
      showFormError(err.message);
    }
  });
}

// ---- the rule page's graph, from vigil's own Prometheus query API

const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1565c0', '#c62828', '#2e7d32', '#e65100', '#6a1b9a', '#00838f', '#5d4037', '#ad1457'];

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

async function setupGraph() {
  const fig = $('#rule-graph');
  if (!fig) return;
  const end = Date.now() / 1000;
  const start = end - Number(fig.dataset.hours) * 3600;
  const step = Math.max(15, Math.round((end - start) / 240));
  const res = await fetch(`/api/v1/query_range?${new URLSearchParams({ query: fig.dataset.query, start: String(start), end: String(end), step: String(step) })}`);
  const body = await res.json().catch(() => ({}));
  const box = fig.querySelector('.graph');
  if (!res.ok || body.status !== 'success') {
    box.textContent = `no graph: ${body.error || `HTTP ${res.status}`}`;
    return;
  }
  const series = body.data.result.slice(0, COLOURS.length);
  if (series.length === 0) {
    box.textContent = 'The expression returned nothing over these hours.';
    return;
  }
  const values = series.flatMap((s) => s.values.map(([, v]) => Number(v)).filter(Number.isFinite));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const W = 900;
  const H = 220;
  const x = (t) => 40 + ((t - start) / (end - start)) * (W - 50);
  const y = (v) => 10 + (1 - (v - lo) / (hi - lo)) * (H - 30);
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' });
  for (const [v, at] of [[hi, y(hi)], [lo, y(lo)]]) {
    const t = svgEl('text', { x: 2, y: at + 4 });
    t.textContent = String(Number(v.toPrecision(4)));
    svg.append(t);
  }
  const legend = fig.querySelector('.legend');
  series.forEach((s, i) => {
    const points = s.values.map(([t, v]) => [Number(t), Number(v)]).filter(([, v]) => Number.isFinite(v));
    svg.append(svgEl('polyline', { points: points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' '), stroke: COLOURS[i] }));
    const li = document.createElement('li');
    li.style.color = COLOURS[i];
    li.textContent = `{${Object.entries(s.metric).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
    legend.append(li);
  });
  box.append(svg);
}

setupIdentity();
setupGraph();
setupLive();
setupActions();
setupSilenceForm();
