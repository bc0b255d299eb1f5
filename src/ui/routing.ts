// The routing page: the tree drawn as a tree, and "which receivers would get an alert with these labels?".
import { formatMatchers, groupKey, matchRoutes, parseMatchers, type Labels, type Route } from '../route/index.js';
import { html, type Html } from './html.js';
import { labelChips, labelsAsMatchers } from './format.js';
import { layout } from './layout.js';

export interface RouteTestResult {
  labels: Labels;
  routes: Route[];
  /** Silences that would mute the alert now. */
  silencedBy: { id: string; createdBy: string; comment: string }[];
  /** The held alert that would inhibit it, and the rule. */
  inhibitedBy?: { fingerprint: string; labels: Labels };
}

/** Parses the tester's label set: only `name="value"` pairs make sense for one alert. */
export function parseLabelSet(text: string): { labels?: Labels; error?: string } {
  try {
    const ms = parseMatchers(text);
    if (ms.length === 0) return { error: 'labels: give at least one label, e.g. {severity="P1"}' };
    const labels: Labels = {};
    for (const m of ms) {
      if (m.type !== '=') return { error: `labels: ${m.name}${m.type}"${m.value}" is a ${m.type} matcher; an alert has plain name="value" labels` };
      labels[m.name] = m.value;
    }
    return { labels };
  } catch (err) {
    return { error: `labels: ${(err as Error).message}` };
  }
}

/** The routes an alert with these labels would take (depth first, as Alertmanager matches). */
export function testRoute(route: Route, labels: Labels): Route[] {
  return matchRoutes(route, labels);
}

function node(r: Route, hits: ReadonlySet<string>, depth: number): Html {
  const o = r.options;
  const groupBy = o.groupBy === 'all' ? '...' : o.groupBy.join(', ');
  return html`<li><span class="node${hits.has(r.key) ? ' hit' : ''}" data-route-key="${r.key}">
${depth === 0 ? html`<strong>root</strong>` : html`<span class="mono">${formatMatchers(r.matchers)}</span>`} → <strong>${o.receiver}</strong>
<span class="muted">group_by [${groupBy}] · wait ${o.groupWaitMs / 1000}s · interval ${o.groupIntervalMs / 1000}s · repeat ${o.repeatIntervalMs / 1000}s${r.continue ? ' · continue' : ''}${r.muteTimeIntervals?.length ? ` · muted during ${r.muteTimeIntervals.join(', ')}` : ''}${r.activeTimeIntervals?.length ? ` · active during ${r.activeTimeIntervals.join(', ')}` : ''}</span></span>
${r.routes.length ? html`<ul>${r.routes.map((c) => node(c, hits, depth + 1))}</ul>` : ''}</li>`;
}

export function routingPage(input: { route: Route; labelsText: string; error?: string; result?: RouteTestResult; tokenRequired: boolean }) {
  const hits = new Set(input.result?.routes.map((r) => r.key) ?? []);
  const res = input.result;
  return layout(
    { page: 'routing', title: 'Routing', tokenRequired: input.tokenRequired },
    html`<h1>Routing</h1>
<form method="get" action="/routing" class="filter" role="search">
<label for="labels">Which receivers would get an alert with these labels?</label>
<input type="text" id="labels" name="labels" value="${input.labelsText}" placeholder='{alertname="AgentErrorRate", severity="P1", agent_id="checkout"}'>
<button type="submit">Test</button>
</form>
${input.error ? html`<div class="error" role="alert">${input.error}</div>` : ''}
${res
  ? html`<section id="route-result" aria-live="polite"><h2>Result for ${labelChips(res.labels)}</h2>
<p>Receivers: ${res.routes.length ? res.routes.map((r) => html`<strong class="receiver">${r.options.receiver}</strong> `) : html`<span class="muted">none (the root route does not match)</span>`}</p>
<ul>${res.routes.map((r) => html`<li>route <span class="mono">${r.key}</span>, group <span class="mono">${groupKey(r, res.labels)}</span></li>`)}</ul>
<p>${res.silencedBy.length ? html`Would be <strong>silenced</strong> by ${res.silencedBy.map((s) => html`<a href="/silences#silence-${s.id}">${s.createdBy}: ${s.comment}</a> `)}` : 'No silence would mute it.'}</p>
<p>${res.inhibitedBy ? html`Would be <strong>inhibited</strong> by the held alert <a href="/history?fingerprint=${res.inhibitedBy.fingerprint}">${labelsAsMatchers(res.inhibitedBy.labels)}</a>.` : 'No held alert would inhibit it.'}</p>
</section>`
  : ''}
<h2>The routing tree</h2>
<div class="tree"><ul>${node(input.route, hits, 0)}</ul></div>`,
  );
}
