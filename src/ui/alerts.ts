// The alerts page: grouped as the routing tree groups them (one card per aggregation group, shared labels once) or as a flat table.
import { groupLabels, groupKey, matchRoutes, matchesAll, parseMatchers, type Labels, type Matcher, type Route, type RoutedAlert } from '../route/index.js';
import { html, safeUrl, type Html } from './html.js';
import { humanDuration, labelChips, labelsAsMatchers, since } from './format.js';
import { layout } from './layout.js';

export interface HeldAlert {
  alert: RoutedAlert;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  receivers: string[];
}

/** What the page shows beside an alert: who acked it, the verdict given. */
export interface AlertMarks {
  ackedBy?: string;
  verdict?: string;
}

export interface SilenceSummary {
  id: string;
  createdBy: string;
  comment: string;
  endsAt: number;
}

export interface TicketLink {
  id: string;
  url?: string;
  title: string;
}

export interface AlertsPageInput {
  held: HeldAlert[];
  route: Route;
  now: number;
  /** The filter bar's text, in Alertmanager's matcher syntax. */
  filter: string;
  view: 'groups' | 'table';
  /** Group cards (or table rows) drawn at most; the rest are counted. `all` draws everything. */
  limit?: number | 'all';
  silences: ReadonlyMap<string, SilenceSummary>;
  /** Keyed by fingerprint and episode start: `${fingerprint}@${startsAt}`. */
  marks: ReadonlyMap<string, AlertMarks>;
  /** Open tickets by aggregation group key. */
  tickets: ReadonlyMap<string, TicketLink>;
  tokenRequired: boolean;
}

/** What the page draws unless asked for more: a page of 10,000 alerts would take seconds to lay out. */
export const DEFAULT_GROUP_LIMIT = 100;
export const DEFAULT_ROW_LIMIT = 500;

export interface AlertGroupView {
  key: string;
  receiver: string;
  labels: Labels;
  alerts: HeldAlert[];
}

/** Parses the filter bar; the error names what is wrong and where, as the matcher parser says it. */
export function parseFilter(text: string): { matchers: Matcher[]; error?: string } {
  if (text.trim() === '') return { matchers: [] };
  try {
    return { matchers: parseMatchers(text) };
  } catch (err) {
    return { matchers: [], error: `filter: ${(err as Error).message}` };
  }
}

const SEVERITY_ORDER: Record<string, number> = { P1: 0, P2: 1, P3: 2 };
const sevRank = (labels: Labels) => SEVERITY_ORDER[labels.severity] ?? 3;

/** One card per aggregation group the alerts fall in (an alert routed with `continue` shows in each of its groups). */
export function groupAlerts(held: HeldAlert[], route: Route): AlertGroupView[] {
  const groups = new Map<string, AlertGroupView>();
  for (const h of held) {
    for (const r of matchRoutes(route, h.alert.labels)) {
      const key = groupKey(r, h.alert.labels);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { key, receiver: r.options.receiver, labels: groupLabels(r, h.alert.labels), alerts: [] }));
      g.alerts.push(h);
    }
  }
  const worst = (g: AlertGroupView) => Math.min(...g.alerts.map((a) => sevRank(a.alert.labels)));
  for (const g of groups.values()) g.alerts.sort((a, b) => b.alert.startsAt - a.alert.startsAt);
  return [...groups.values()].sort((a, b) => worst(a) - worst(b) || b.alerts.length - a.alerts.length || (a.key < b.key ? -1 : 1));
}

/** Labels every alert of the group shares: shown once on the card. */
function sharedLabels(alerts: HeldAlert[]): Labels {
  const [first, ...rest] = alerts;
  const out: Labels = {};
  for (const [k, v] of Object.entries(first.alert.labels)) if (rest.every((a) => a.alert.labels[k] === v)) out[k] = v;
  return out;
}

function mutedBy(h: HeldAlert, input: AlertsPageInput, byFingerprint: ReadonlyMap<string, HeldAlert>): Html {
  const silences = h.status.silencedBy.map((id) => {
    const s = input.silences.get(id);
    return html`<span class="badge">silenced by <a href="/silences#silence-${id}">${s ? `${s.createdBy}: ${s.comment}` : id}</a>${s ? ` (${humanDuration(s.endsAt - input.now)} left)` : ''}</span> `;
  });
  const inhibitors = h.status.inhibitedBy.map((fp) => {
    const src = byFingerprint.get(fp);
    return html`<span class="badge">inhibited by <a href="/history?fingerprint=${fp}">${src ? `${src.alert.labels.alertname ?? fp} ${labelsAsMatchers(src.alert.labels)}` : fp}</a></span> `;
  });
  return html`${silences}${inhibitors}`;
}

function actions(h: HeldAlert, input: AlertsPageInput): Html {
  const a = h.alert;
  const runbook = safeUrl(a.annotations.runbook_url);
  const marks = input.marks.get(`${a.fingerprint}@${a.startsAt}`);
  return html`<div class="actions">
${runbook ? html`<a class="button" href="${runbook}">Runbook</a>` : ''}
<a class="button" href="/history?fingerprint=${a.fingerprint}">History</a>
<button type="button" data-action="ack">Ack</button>
<button type="button" data-action="feedback" data-verdict="actionable">Actionable</button>
<button type="button" data-action="feedback" data-verdict="noise">Noise</button>
<a class="button" href="/silences/new?matchers=${encodeURIComponent(labelsAsMatchers(a.labels))}">Silence</a>
${marks?.ackedBy ? html`<span class="badge ack">acknowledged by ${marks.ackedBy}</span>` : ''}
${marks?.verdict ? html`<span class="badge verdict">marked ${marks.verdict}</span>` : ''}
</div>`;
}

function alertRow(h: HeldAlert, shared: ReadonlySet<string>, input: AlertsPageInput, byFp: ReadonlyMap<string, HeldAlert>): Html {
  const a = h.alert;
  return html`<div class="alert sev-${a.labels.severity ?? 'none'} state-${h.status.state}" data-fingerprint="${a.fingerprint}" data-alertname="${a.labels.alertname ?? ''}">
<span class="sev">${a.labels.severity ?? ''}</span> <strong>${a.labels.alertname ?? '(no alertname)'}</strong>
<span class="muted">since ${since(a.startsAt, input.now)}</span> <span class="badge state">${h.status.state}</span>
${a.annotations.summary ? html`<div>${a.annotations.summary}</div>` : ''}
<div>${labelChips(a.labels, shared)}</div>
${mutedBy(h, input, byFp)}
${actions(h, input)}
</div>`;
}

function groupCard(g: AlertGroupView, input: AlertsPageInput, byFp: ReadonlyMap<string, HeldAlert>): Html {
  const shared = sharedLabels(g.alerts);
  const sev = Object.values(g.alerts).map((a) => a.alert.labels.severity).sort()[0] ?? 'none';
  const ticket = input.tickets.get(g.key);
  const silenceText = labelsAsMatchers(Object.keys(g.labels).length ? g.labels : shared);
  return html`<section class="group sev-${sev}" aria-label="group ${g.key}">
<div class="head"><strong>${g.receiver}</strong> <span class="muted">${g.alerts.length} alert${g.alerts.length === 1 ? '' : 's'}</span>
${labelChips(shared)}
${ticket ? html`<a class="badge" href="${safeUrl(ticket.url) ?? `/api/v1/tickets/${encodeURIComponent(ticket.id)}`}">ticket ${ticket.title}</a>` : ''}
<a class="button" href="/silences/new?matchers=${encodeURIComponent(silenceText)}">Silence this group</a></div>
${g.alerts.map((h) => alertRow(h, new Set(Object.keys(shared)), input, byFp))}
</section>`;
}

function table(sorted: HeldAlert[], input: AlertsPageInput, byFp: ReadonlyMap<string, HeldAlert>): Html {
  return html`<table><thead><tr><th>Severity</th><th>Alert</th><th>Labels</th><th>Since</th><th>State</th><th>Receivers</th><th>Actions</th></tr></thead><tbody>
${sorted.map((h) => {
  const a = h.alert;
  return html`<tr class="alert state-${h.status.state}" data-fingerprint="${a.fingerprint}" data-alertname="${a.labels.alertname ?? ''}"><td class="sev-${a.labels.severity ?? 'none'}">${a.labels.severity ?? ''}</td>
<td><strong>${a.labels.alertname ?? ''}</strong>${a.annotations.summary ? html`<div>${a.annotations.summary}</div>` : ''}</td>
<td>${labelChips(a.labels, new Set(['alertname', 'severity']))}</td><td>${since(a.startsAt, input.now)}</td>
<td><span class="badge state">${h.status.state}</span> ${mutedBy(h, input, byFp)}</td><td>${h.receivers.join(', ')}</td><td>${actions(h, input)}</td></tr>`;
})}
</tbody></table>`;
}

/** The part of the page that updates without a reload. */
export function alertsRegion(input: AlertsPageInput): Html {
  const { matchers, error } = parseFilter(input.filter);
  const live = input.held.filter((h) => h.alert.endsAt >= input.now);
  const shown = error ? [] : live.filter((h) => matchesAll(matchers, h.alert.labels));
  const byFp = new Map(live.map((h) => [h.alert.fingerprint, h]));
  const muted = shown.filter((h) => h.status.state === 'suppressed').length;
  const summary = html`<p class="muted" id="alerts-summary">${shown.length} of ${live.length} alerts match, ${muted} silenced or inhibited.</p>`;
  if (error) return html`<div class="error" role="alert" id="filter-error">${error}</div>`;
  const all = `/?${new URLSearchParams({ ...(input.filter ? { filter: input.filter } : {}), view: input.view, limit: 'all' })}`;
  const more = (drawn: number, total: number, what: string) =>
    drawn < total ? html`<p class="notice" id="alerts-more">Showing the first ${drawn} of ${total} ${what}, most severe first. Narrow the filter, or <a href="${all}">show all</a>.</p>` : '';
  if (input.view === 'table') {
    const limit = input.limit === 'all' ? Infinity : (input.limit ?? DEFAULT_ROW_LIMIT);
    const sorted = [...shown].sort((a, b) => sevRank(a.alert.labels) - sevRank(b.alert.labels) || b.alert.startsAt - a.alert.startsAt);
    return html`${summary}${table(sorted.slice(0, limit), input, byFp)}${more(Math.min(limit, sorted.length), sorted.length, 'alerts')}`;
  }
  const limit = input.limit === 'all' ? Infinity : (input.limit ?? DEFAULT_GROUP_LIMIT);
  const groups = groupAlerts(shown, input.route);
  return html`${summary}${groups.slice(0, limit).map((g) => groupCard(g, input, byFp))}${more(Math.min(limit, groups.length), groups.length, 'groups')}`;
}

export function alertsPage(input: AlertsPageInput): Html {
  const other = input.view === 'table' ? 'groups' : 'table';
  const q = (view: string) => `/?${new URLSearchParams({ ...(input.filter ? { filter: input.filter } : {}), view })}`;
  return layout(
    { page: 'alerts', title: 'Alerts', tokenRequired: input.tokenRequired },
    html`<h1>Alerts</h1>
<form class="filter" method="get" action="/" role="search">
<label for="filter" class="muted">Filter</label>
<input type="text" id="filter" name="filter" value="${input.filter}" placeholder='{severity="P1", agent_id=~"checkout-.*"}' aria-describedby="filter-help">
<input type="hidden" name="view" value="${input.view}">
<button type="submit">Apply</button>
<a class="button" href="${q(other)}">${other === 'table' ? 'Flat table' : 'Grouped'}</a>
${input.filter ? html`<a class="button" href="/silences/new?matchers=${encodeURIComponent(input.filter)}">Silence from current filter</a>` : ''}
<label><input type="checkbox" id="notify-p1"> Notify me of new P1 alerts</label>
<span id="filter-help" class="muted">Alertmanager matcher syntax; the filter is kept in the URL to share the view.</span>
</form>
<div id="live" data-live="1">${alertsRegion(input)}</div>`,
  );
}
