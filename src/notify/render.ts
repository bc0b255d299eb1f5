/** Text both PagerDuty and Slack show: severity, titles, the headline, storm and rate-limit notices. */
import type { Labels, RoutedAlert } from '../route/index.js';
import type { Delivery } from './types.js';

export type Severity = 'P1' | 'P2' | 'P3';
const RANK: Record<Severity, number> = { P1: 3, P2: 2, P3: 1 };

export function severityOf(alert: RoutedAlert): Severity | undefined {
  const s = alert.labels.severity;
  return s === 'P1' || s === 'P2' || s === 'P3' ? s : undefined;
}

/** The most severe P1/P2/P3 among the alerts; undefined when none carries one. */
export function highestSeverity(alerts: readonly RoutedAlert[]): Severity | undefined {
  let best: Severity | undefined;
  for (const a of alerts) {
    const s = severityOf(a);
    if (s && (!best || RANK[s] > RANK[best])) best = s;
  }
  return best;
}

/** Cuts `s` to at most `max` characters, ending with … when cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, Math.max(0, max - 1)) + '…';
}

/** `k=v k=v`, without the omitted names. */
export function formatLabels(labels: Labels, omit: readonly string[] = []): string {
  return Object.keys(labels)
    .filter((k) => !omit.includes(k))
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(' ');
}

/** Labels all `alerts` share with the same value (Alertmanager's commonLabels). */
export function commonLabels(maps: readonly Labels[]): Labels {
  if (maps.length === 0) return {};
  const first = maps[0];
  // names narrowed first and the result built once: `delete` on the copy made every later read slow
  let names = Object.keys(first);
  for (let i = 1; i < maps.length && names.length > 0; i++) {
    const m = maps[i];
    if (names.some((k) => m[k] !== first[k])) names = names.filter((k) => m[k] === first[k]);
  }
  const out: Labels = {};
  for (const k of names) out[k] = first[k];
  return out;
}

/** What names the alerts: the group's alertname, the one they share, or how many names. */
export function alertNames(delivery: Delivery): string {
  const n = delivery.notification;
  if (n.groupLabels.alertname) return n.groupLabels.alertname;
  const names = [...new Set([...n.firing, ...n.resolved].map((a) => a.labels.alertname ?? 'alert'))];
  return names.length === 1 ? names[0] : `${names.length} alerts`;
}

/** "[P1] ErrorSpike agent_id=checkout: 3 firing (1 new)", or "... resolved" when nothing fires. */
export function headline(delivery: Delivery): string {
  const n = delivery.notification;
  const firing = n.firing.length > 0;
  const sev = highestSeverity(firing ? n.firing : n.resolved);
  const group = formatLabels(n.groupLabels, ['alertname', 'severity']);
  const title = `${sev ? `[${sev}] ` : ''}${alertNames(delivery)}${group ? ' ' + group : ''}`;
  if (!firing) return `${title}: ${n.resolved.length} resolved`;
  const parts = [`${n.changes.new.length} new`];
  if (n.changes.resolved.length > 0) parts.push(`${n.changes.resolved.length} resolved`);
  if (n.flapping.length > 0) parts.push(`${n.flapping.length} flapping`);
  if (n.isRepeat) parts.push('repeat');
  return `${title}: ${n.firing.length} firing (${parts.join(', ')})`;
}

/** How many alerts per alertname and the agents with most alerts: what a storm shows instead of a list. */
export function stormCounts(alerts: readonly RoutedAlert[], top = 5): { byAlertname: [string, number][]; topAgents: [string, number][] } {
  const count = (key: (a: RoutedAlert) => string | undefined) => {
    const m = new Map<string, number>();
    for (const a of alerts) {
      const k = key(a);
      if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return [...m].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  };
  return { byAlertname: count((a) => a.labels.alertname ?? 'alert'), topAgents: count((a) => a.labels.agent_id).slice(0, top) };
}

/** A sentence about the receiver's rate limit, or undefined when it does not matter for this message. */
export function rateLimitNotice(delivery: Delivery): string | undefined {
  const r = delivery.rateLimit;
  if (!r) return undefined;
  const parts: string[] = [];
  if (r.suppressed > 0) parts.push(`${r.suppressed} notification(s) were held back by the rate limit`);
  if (r.remaining === 0) parts.push(`this is the last notification allowed (${r.max} per ${Math.round(r.perMs / 1000)}s) until ${new Date(r.resumesAt).toISOString()}`);
  return parts.length > 0 ? `Rate limit: ${parts.join('; ')}.` : undefined;
}

/** The flapping re-fire count of an alert in this notification, if it flaps. */
export function refiresOf(delivery: Delivery, fingerprint: string): number | undefined {
  return delivery.notification.flapping.find((f) => f.fingerprint === fingerprint)?.refires;
}

/** http(s) URLs only: a label or annotation must not smuggle another scheme into a link. */
export function safeURL(u: string | undefined): string | undefined {
  if (!u) return undefined;
  try {
    const p = new URL(u);
    return p.protocol === 'http:' || p.protocol === 'https:' ? p.toString() : undefined;
  } catch {
    return undefined;
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
