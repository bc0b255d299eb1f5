import { html, type Html } from './html.js';

/** "3h 5m", "<1m": how long ago or how long left, at a glance; to the minute, so a live page changes at most once a minute. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return '<1m';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A <time> whose text is relative and whose title is exact. */
export function since(ms: number, now: number): Html {
  return html`<time datetime="${isoTime(ms)}" title="${isoTime(ms)}">${humanDuration(now - ms)} ago</time>`;
}

export function labelChips(labels: Record<string, string>, skip: ReadonlySet<string> = new Set()): Html[] {
  return Object.keys(labels)
    .sort()
    .filter((k) => !skip.has(k))
    .map((k) => html`<span class="label mono">${k}="${labels[k]}"</span>`);
}

/** Matcher text for a label set, as the filter bar and the silence form take it. */
export function labelsAsMatchers(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}
