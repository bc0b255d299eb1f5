// The silences page (list with creator, comment, matchers, time left, state) and the silence form with its live preview.
import { formatMatchers, type Matcher, type SilenceWithState } from '../route/index.js';
import { html } from './html.js';
import { humanDuration, isoTime } from './format.js';
import { layout } from './layout.js';

const STATE_ORDER = { active: 0, pending: 1, expired: 2 } as const;

export function silencesPage(input: { silences: SilenceWithState[]; now: number; tokenRequired: boolean }) {
  return layout(
    { page: 'silences', title: 'Silences', tokenRequired: input.tokenRequired },
    html`<h1>Silences</h1>
<p><a class="button" href="/silences/new">New silence</a></p>
<div id="live" data-live="1">${silencesRegion(input.silences, input.now)}</div>`,
  );
}

/** The list, which updates without a reload. */
export function silencesRegion(silences: SilenceWithState[], now: number) {
  const list = [...silences].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.updatedAt - a.updatedAt);
  if (list.length === 0) return html`<p class="muted">No silences.</p>`;
  return html`<table id="silences"><thead><tr><th>State</th><th>Matchers</th><th>Creator</th><th>Comment</th><th>Starts</th><th>Time left</th><th>Actions</th></tr></thead><tbody>
${list.map(
  (s) => html`<tr id="silence-${s.id}" data-silence-id="${s.id}" data-state="${s.state}"><td><span class="badge">${s.state}</span></td>
<td class="mono">${formatMatchers(s.matchers)}</td><td>${s.createdBy}</td><td>${s.comment}</td><td><time datetime="${isoTime(s.startsAt)}">${isoTime(s.startsAt)}</time></td>
<td>${s.state === 'expired' ? html`<span class="muted">ended ${isoTime(s.endsAt)}</span>` : html`<time datetime="${isoTime(s.endsAt)}" title="ends ${isoTime(s.endsAt)}">${humanDuration(s.endsAt - now)}</time>`}</td>
<td>${s.state === 'expired' ? html`<a class="button" href="/silences/new?id=${s.id}&amp;recreate=1">Recreate</a>` : html`<a class="button" href="/silences/new?id=${s.id}">Edit</a> <button type="button" data-action="expire" data-silence-id="${s.id}">Expire</button>`}</td></tr>`,
)}
</tbody></table>`;
}

export interface SilenceFormInput {
  /** Editing this silence (its id goes with the post, so Alertmanager's update rules apply). */
  editing?: SilenceWithState;
  matchers: string;
  createdBy: string;
  comment: string;
  startsAt: number;
  endsAt: number;
  tokenRequired: boolean;
}

const PRESETS: [string, number][] = [
  ['1h', 3600_000],
  ['4h', 4 * 3600_000],
  ['1d', 24 * 3600_000],
  ['1w', 7 * 24 * 3600_000],
];

/** Matcher text for a silence being edited. */
export function silenceMatcherText(ms: Matcher[]): string {
  return formatMatchers(ms);
}

export function silenceFormPage(input: SilenceFormInput) {
  const title = input.editing ? 'Edit silence' : 'New silence';
  return layout(
    { page: 'silences', title, tokenRequired: input.tokenRequired },
    html`<h1>${title}</h1>
<form id="silence-form" novalidate>
${input.editing ? html`<input type="hidden" name="silenceId" value="${input.editing.id}">` : ''}
<label class="field"><span>Matchers</span><input type="text" class="mono" name="matchers" value="${input.matchers}" required placeholder='{alertname="AgentErrorRate", agent_id="checkout"}' aria-describedby="matchers-help"></label>
<span id="matchers-help" class="muted">Alertmanager matcher syntax: <code>name="value"</code>, <code>!=</code>, <code>=~</code>, <code>!~</code>, comma separated.</span>
<label class="field"><span>Starts (RFC 3339)</span><input type="text" name="startsAt" value="${isoTime(input.startsAt)}" required></label>
<label class="field"><span>Ends (RFC 3339)</span><input type="text" name="endsAt" value="${isoTime(input.endsAt)}" required></label>
<div class="presets" role="group" aria-label="Duration">${PRESETS.map(([label, ms]) => html`<button type="button" data-duration-ms="${ms}">${label}</button>`)}</div>
<label class="field"><span>Created by</span><input type="text" name="createdBy" value="${input.createdBy}" required></label>
<label class="field"><span>Comment</span><textarea name="comment" rows="2" required>${input.comment}</textarea></label>
<div id="silence-error" class="error" role="alert" hidden></div>
<p><button type="submit">${input.editing ? 'Update silence' : 'Create silence'}</button> <a href="/silences">Cancel</a></p>
<section aria-live="polite"><h2 id="preview-count">Preview</h2><ul id="preview-list" class="mono"></ul></section>
</form>`,
  );
}
