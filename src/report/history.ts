/** Reads the alert history and notification log of a window from the Store and folds events into episodes. */
import type { AlertEvent, HistoryQuery, NotificationRecord, Page, Store } from '../store/index.js';

/** One firing of one alert (fingerprint + startsAt), with what people did about it. */
export interface EpisodeHistory {
  fingerprint: string;
  startsAt: number;
  alertname: string;
  severity: string;
  labels: Record<string, string>;
  /** A 'firing' event was written (pending-only episodes have none). */
  fired: boolean;
  resolvedAt?: number;
  /** Times of 'acknowledged' events, ascending. */
  acks: number[];
  /** Feedback in the order it was given. */
  feedback: { at: number; verdict: string }[];
}

/** The Store pages newest first with a `before` cursor; a report needs every entry of the window. */
export async function pageAll<T>(query: (q: HistoryQuery) => Promise<Page<T>>, q: HistoryQuery): Promise<T[]> {
  const all: T[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await query({ ...q, limit: 1000, before });
    all.push(...page.items);
    if (page.next === undefined) return all;
    before = page.next;
  }
}

export async function readEvents(store: Store, from: number, to: number): Promise<AlertEvent[]> {
  // oldest first (by time, then by id) so that "latest verdict" and "first ack" are plain folds
  return (await pageAll((q) => store.queryAlertEvents(q), { from, to })).sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
}

export async function readNotifications(store: Store, from: number, to: number): Promise<NotificationRecord[]> {
  return (await pageAll((q) => store.queryNotifications(q), { from, to })).sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
}

export const episodeKey = (fingerprint: string, startsAt: number): string => `${fingerprint}@${startsAt}`;

export function foldEpisodes(events: AlertEvent[]): Map<string, EpisodeHistory> {
  const episodes = new Map<string, EpisodeHistory>();
  for (const e of events) {
    const key = episodeKey(e.fingerprint, e.startsAt);
    let ep = episodes.get(key);
    if (!ep) {
      ep = { fingerprint: e.fingerprint, startsAt: e.startsAt, alertname: e.alertname, severity: e.severity, labels: e.labels, fired: false, acks: [], feedback: [] };
      episodes.set(key, ep);
    }
    if (e.kind === 'firing') ep.fired = true;
    else if (e.kind === 'resolved') ep.resolvedAt = e.at;
    else if (e.kind === 'acknowledged') ep.acks.push(e.at);
    else if (e.kind === 'feedback' && typeof e.detail?.verdict === 'string') ep.feedback.push({ at: e.at, verdict: e.detail.verdict });
  }
  return episodes;
}
