// An alert's timeline: pending, firing, notifications with their receivers, acks, feedback, tickets, resolved.
import type { AlertEvent, NotificationRecord, TicketRecord } from '../store/index.js';
import { html, safeUrl, type Html } from './html.js';
import { isoTime, labelChips } from './format.js';
import { layout } from './layout.js';

interface Entry {
  at: number;
  what: Html;
}

function eventText(e: AlertEvent): Html {
  const d = e.detail ?? {};
  switch (e.kind) {
    case 'acknowledged':
      return html`<strong>acknowledged</strong> by ${String(d.by ?? '?')}${d.comment ? `: ${String(d.comment)}` : ''} <span class="muted">(${e.source})</span>`;
    case 'feedback':
      return html`<strong>marked ${String(d.verdict ?? '?')}</strong>${d.by ? ` by ${String(d.by)}` : ''} <span class="muted">(${e.source})</span>`;
    case 'silenced':
      return html`<strong>silenced</strong> <span class="muted">${JSON.stringify(d)}</span>`;
    case 'inhibited':
      return html`<strong>inhibited</strong> <span class="muted">${JSON.stringify(d)}</span>`;
    default:
      return html`<strong>${e.kind}</strong> <span class="muted">(${e.source})</span>`;
  }
}

export function historyPage(input: { fingerprint: string; events: AlertEvent[]; notifications: NotificationRecord[]; tickets: TicketRecord[]; tokenRequired: boolean }) {
  const first = input.events.at(-1);
  const entries: Entry[] = [
    ...input.events.map((e) => ({ at: e.at, what: eventText(e) })),
    ...input.notifications.map((n) => ({
      at: n.at,
      what: html`<strong>notified</strong> ${n.receiver} via ${n.integration}: ${n.outcome}${n.attempts > 1 ? ` after ${n.attempts} attempts` : ''}${n.error ? html` <span class="muted">${n.error}</span>` : ''} <span class="muted">(${n.reason})</span>`,
    })),
    ...input.tickets.map((t) => ({ at: t.createdAt, what: html`<strong>ticket</strong> ${safeUrl(t.url) ? html`<a href="${safeUrl(t.url)}">${t.title}</a>` : t.title} <span class="muted">${t.status}</span>` })),
  ].sort((a, b) => a.at - b.at);
  return layout(
    { page: 'history', title: 'History', tokenRequired: input.tokenRequired },
    html`<h1>History of ${first?.alertname ?? input.fingerprint}</h1>
${first ? html`<p>${labelChips(first.labels)}</p>` : ''}
<p class="muted mono">fingerprint ${input.fingerprint}</p>
${entries.length === 0 ? html`<p class="muted">Nothing recorded for this alert.</p>` : ''}
<ol class="timeline" id="timeline">${entries.map((e) => html`<li><time datetime="${isoTime(e.at)}">${isoTime(e.at)}</time> ${e.what}</li>`)}</ol>`,
  );
}
