// The rules page: every group and rule with state, health, last evaluation, duration, last error and the alerts it holds.
import { html, safeUrl } from './html.js';
import { labelChips } from './format.js';
import { layout } from './layout.js';

/** A rule as GET /api/v1/rules shows it (Prometheus' shape). */
export interface RuleView {
  name: string;
  query: string;
  type: string;
  state?: string;
  health: string;
  lastError: string;
  evaluationTime: number;
  lastEvaluation: string;
  duration?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  alerts?: { labels: Record<string, string>; state: string; activeAt: string; value: string }[];
}

export interface RuleGroupView {
  name: string;
  file: string;
  interval: number;
  evaluationTime: number;
  lastEvaluation: string;
  rules: RuleView[];
}

const ruleHref = (group: string, rule: string) => `/rules/detail?${new URLSearchParams({ group, rule })}`;
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;

export function rulesPage(input: { groups: RuleGroupView[]; tokenRequired: boolean }) {
  return layout(
    { page: 'rules', title: 'Rules', tokenRequired: input.tokenRequired },
    html`<h1>Rules</h1>
${input.groups.length === 0 ? html`<p class="muted">No rule groups loaded.</p>` : ''}
${input.groups.map(
  (g) => html`<h2 id="group-${g.name}">${g.name} <span class="muted">${g.file} · every ${g.interval}s · last evaluation ${g.lastEvaluation} in ${ms(g.evaluationTime)}</span></h2>
<table><thead><tr><th>Rule</th><th>State</th><th>Health</th><th>Last evaluation</th><th>Duration</th><th>Alerts</th><th>Last error</th></tr></thead><tbody>
${g.rules.map(
  (r) => html`<tr data-rule="${r.name}"><td><a href="${ruleHref(g.name, r.name)}">${r.name}</a> <span class="muted">${r.type}</span></td><td>${r.state ?? '—'}</td>
<td><span class="badge">${r.health}</span></td><td>${r.lastEvaluation}</td><td>${ms(r.evaluationTime)}</td><td>${r.alerts?.length ?? '—'}</td><td>${r.lastError}</td></tr>`,
)}
</tbody></table>`,
)}`,
  );
}

/** `graph`: vigil serves Prometheus' query API on its embedded storage, so the page can draw the expression. */
export function rulePage(input: { group: RuleGroupView; rule: RuleView; tokenRequired: boolean; graph?: boolean }) {
  const { group, rule } = input;
  return layout(
    { page: 'rules', title: rule.name, tokenRequired: input.tokenRequired },
    html`<h1>${rule.name} <span class="muted">in ${group.name}</span></h1>
<table class="rule"><tbody>
<tr><th>Expression</th><td><pre class="mono" id="rule-query">${rule.query}</pre></td></tr>
<tr><th>Type</th><td>${rule.type}</td></tr>
${rule.state ? html`<tr><th>State</th><td>${rule.state}</td></tr>` : ''}
<tr><th>Health</th><td>${rule.health}</td></tr>
<tr><th>For</th><td>${rule.duration ?? 0}s</td></tr>
<tr><th>Last evaluation</th><td>${rule.lastEvaluation} in ${ms(rule.evaluationTime)}</td></tr>
<tr><th>Last error</th><td>${rule.lastError || html`<span class="muted">none</span>`}</td></tr>
<tr><th>Labels</th><td>${labelChips(rule.labels ?? {})}</td></tr>
${Object.entries(rule.annotations ?? {}).map(([k, v]) => html`<tr><th>${k}</th><td>${k === 'runbook_url' && safeUrl(v) ? html`<a href="${safeUrl(v)}">${v}</a>` : v}</td></tr>`)}
</tbody></table>
${input.graph ? html`<figure id="rule-graph" data-query="${rule.query}" data-hours="6"><figcaption>The expression over the last 6 hours (vigil's embedded storage)</figcaption><div class="graph" role="img" aria-label="graph of the expression over the last 6 hours"></div><ul class="legend mono"></ul></figure>` : ''}
<h2>Alerts it holds (${rule.alerts?.length ?? 0})</h2>
${rule.alerts?.length
  ? html`<table><thead><tr><th>Labels</th><th>State</th><th>Active since</th><th>Value</th></tr></thead><tbody>${rule.alerts.map(
      (a) => html`<tr><td>${labelChips(a.labels)}</td><td>${a.state}</td><td>${a.activeAt}</td><td class="mono">${a.value}</td></tr>`,
    )}</tbody></table>`
  : html`<p class="muted">None.</p>`}
<p><a href="/rules">All rules</a></p>`,
  );
}
