/** The report's figures, computed from episodes and notification records: pure, time passed in. */
import type { NotificationRecord } from '../store/index.js';
import type { EpisodeHistory } from './history.js';
import { durationStats, share, topCounts, unionLength } from './stats.js';
import type { DayFires, PeriodTotals, ReceiverFigures, RuleFigures, WorkingHours } from './types.js';
import { daysOf, inWorkingHours, zonedParts } from './zoned.js';

export interface Window {
  from: number;
  to: number;
}

/** ≥ this many starts of one alert within FLAP_WINDOW_MS make each of them flapping (the router's default flapping rule). */
export const FLAP_STARTS = 3;
export const FLAP_WINDOW_MS = 3_600_000;
/** A rule firing at least this share of the window "always fires". */
export const ALWAYS_FIRING_SHARE = 0.9;

const inWindow = (t: number, w: Window) => t >= w.from && t < w.to;

/** Episodes that started firing in the window. */
export function firedIn(episodes: Iterable<EpisodeHistory>, w: Window): EpisodeHistory[] {
  return [...episodes].filter((e) => e.fired && inWindow(e.startsAt, w));
}

/** The latest verdict given for the episode, if any. */
export const verdictOf = (e: EpisodeHistory): string | undefined => e.feedback[e.feedback.length - 1]?.verdict;

/** Nobody acknowledged it or gave feedback before it resolved on its own. */
export function selfResolved(e: EpisodeHistory): boolean {
  if (e.resolvedAt === undefined) return false;
  const r = e.resolvedAt;
  return !e.acks.some((t) => t <= r) && !e.feedback.some((f) => f.at <= r);
}

/** Keys of episodes that are one of ≥ FLAP_STARTS starts of the same fingerprint within FLAP_WINDOW_MS. */
export function flappingEpisodes(episodes: Iterable<EpisodeHistory>): Set<EpisodeHistory> {
  const byFp = new Map<string, EpisodeHistory[]>();
  for (const e of episodes) if (e.fired) byFp.set(e.fingerprint, [...(byFp.get(e.fingerprint) ?? []), e]);
  const flapping = new Set<EpisodeHistory>();
  for (const list of byFp.values()) {
    list.sort((a, b) => a.startsAt - b.startsAt);
    for (let i = 0; i < list.length; i++) {
      const inHour = list.filter((e) => e.startsAt >= list[i].startsAt && e.startsAt < list[i].startsAt + FLAP_WINDOW_MS);
      if (inHour.length >= FLAP_STARTS) inHour.forEach((e) => flapping.add(e));
    }
  }
  return flapping;
}

/** The successful deliveries of the window; failed and suppressed ones reached nobody. */
export function delivered(records: NotificationRecord[], w: Window): NotificationRecord[] {
  return records.filter((r) => r.outcome === 'success' && inWindow(r.at, w));
}

const isPage = (r: NotificationRecord) => r.integration === 'pagerduty';

/** Alertnames a record notified about (firing or resolved), or paged for (firing only: a resolve is no page). */
function alertnamesOf(fps: string[], names: Map<string, string>): Set<string> {
  return new Set(fps.map((fp) => names.get(fp)).filter((n): n is string => n !== undefined));
}

export interface RuleInput {
  episodes: EpisodeHistory[];
  records: NotificationRecord[];
  window: Window;
  timeZone: string;
  workingHours: WorkingHours;
}

export function ruleFigures({ episodes, records, window: w, timeZone, workingHours }: RuleInput): RuleFigures[] {
  const names = new Map(episodes.map((e) => [e.fingerprint, e.alertname]));
  const flapping = flappingEpisodes(episodes);
  const sent = delivered(records, w);
  const byRule = new Map<string, EpisodeHistory[]>();
  for (const e of episodes) byRule.set(e.alertname, [...(byRule.get(e.alertname) ?? []), e]);

  const rules: RuleFigures[] = [];
  for (const [alertname, all] of byRule) {
    const fired = firedIn(all, w);
    // clipped firing intervals of every episode overlapping the window, including ones that began before it
    const intervals = all
      .filter((e) => e.fired && e.startsAt < w.to && (e.resolvedAt ?? Infinity) > w.from)
      .map((e): [number, number] => [Math.max(e.startsAt, w.from), Math.min(e.resolvedAt ?? w.to, w.to)]);
    const notified = sent.filter((r) => alertnamesOf([...r.firing, ...r.resolved], names).has(alertname));
    const pages = sent.filter((r) => isPage(r) && alertnamesOf(r.firing, names).has(alertname));
    const verdicts = fired.map(verdictOf);
    const actionable = verdicts.filter((v) => v === 'actionable').length;
    const noise = verdicts.filter((v) => v === 'noise').length;
    if (fired.length === 0 && intervals.length === 0 && notified.length === 0) continue;
    rules.push({
      alertname,
      severity: all[all.length - 1].severity,
      fired: fired.length,
      firingMs: intervals.reduce((s, [a, b]) => s + (b - a), 0),
      firingShare: unionLength(intervals) / (w.to - w.from),
      notifications: notified.length,
      pages: pages.length,
      pagesOutsideHours: pages.filter((r) => !inWorkingHours(r.at, timeZone, workingHours)).length,
      actionable,
      noise,
      actionableShare: share(actionable, actionable + noise),
      selfResolved: fired.filter(selfResolved).length,
      flapping: fired.filter((e) => flapping.has(e)).length,
      timeToAcknowledge: durationStats(fired.filter((e) => e.acks.length).map((e) => e.acks[0] - e.startsAt)),
      timeToResolve: durationStats(fired.filter((e) => e.resolvedAt !== undefined).map((e) => (e.resolvedAt as number) - e.startsAt)),
      topLabels: {
        agent_id: topCounts(fired.map((e) => e.labels.agent_id).filter((v): v is string => v !== undefined)),
        tool_name: topCounts(fired.map((e) => e.labels.tool_name).filter((v): v is string => v !== undefined)),
      },
    });
  }
  return rules.sort((a, b) => b.fired - a.fired || b.firingMs - a.firingMs || a.alertname.localeCompare(b.alertname));
}

export function receiverFigures(records: NotificationRecord[], w: Window): ReceiverFigures[] {
  const byReceiver = new Map<string, ReceiverFigures>();
  for (const r of delivered(records, w)) {
    const f = byReceiver.get(r.receiver) ?? { receiver: r.receiver, notifications: 0, pages: 0 };
    f.notifications++;
    if (isPage(r) && r.firing.length) f.pages++;
    byReceiver.set(r.receiver, f);
  }
  return [...byReceiver.values()].sort((a, b) => b.notifications - a.notifications || a.receiver.localeCompare(b.receiver));
}

export function periodTotals(episodes: EpisodeHistory[], records: NotificationRecord[], w: Window): PeriodTotals {
  const fired = firedIn(episodes, w);
  const sent = delivered(records, w);
  const actionable = fired.filter((e) => verdictOf(e) === 'actionable').length;
  const noise = fired.filter((e) => verdictOf(e) === 'noise').length;
  return {
    from: w.from,
    to: w.to,
    fires: fired.length,
    pages: sent.filter((r) => isPage(r) && r.firing.length).length,
    notifications: sent.length,
    actionable,
    noise,
    noiseShare: share(noise, actionable + noise),
  };
}

export function firesPerDay(episodes: EpisodeHistory[], w: Window, timeZone: string): DayFires[] {
  const days = new Map(daysOf(w.from, w.to, timeZone).map((d): [string, DayFires] => [d, { day: d, bySeverity: {} }]));
  for (const e of firedIn(episodes, w)) {
    const d = days.get(zonedParts(e.startsAt, timeZone).day);
    if (d) d.bySeverity[e.severity] = (d.bySeverity[e.severity] ?? 0) + 1;
  }
  return [...days.values()];
}
