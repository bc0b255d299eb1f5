/** The weekly alert review as a plain value: what the renderers print and `--format json` emits. Times are unix ms. */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface WorkingHours {
  /** 'HH:MM' in the report's time zone. */
  start: string;
  end: string;
  days: Weekday[];
}

/** Median and p90 (nearest rank) of a duration; undefined when nothing was measured. */
export interface DurationStats {
  count: number;
  medianMs?: number;
  p90Ms?: number;
}

export interface LabelCount {
  value: string;
  count: number;
}

export interface RuleFigures {
  alertname: string;
  severity: string;
  /** Firing episodes that started in the window. */
  fired: number;
  /** Sum of firing episode durations clipped to the window (a still-firing one counts until `to`). */
  firingMs: number;
  /** Share of the window during which at least one alert of the rule was firing (0–1). */
  firingShare: number;
  /** Successful notifications (any integration) whose firing or resolved alerts include the rule's. */
  notifications: number;
  /** Successful PagerDuty notifications whose firing alerts include the rule's. */
  pages: number;
  /** Pages sent outside working hours in the report's time zone. */
  pagesOutsideHours: number;
  /** Episodes by their latest feedback verdict. */
  actionable: number;
  noise: number;
  /** actionable / (actionable + noise); undefined without feedback. */
  actionableShare?: number;
  /** Resolved with no acknowledgement and no feedback before the resolution. */
  selfResolved: number;
  /** Episodes notified with reason 'flapping', or one of ≥3 starts of the same alert within 1h. */
  flapping: number;
  timeToAcknowledge: DurationStats;
  timeToResolve: DurationStats;
  topLabels: { agent_id: LabelCount[]; tool_name: LabelCount[] };
}

export interface ReceiverFigures {
  receiver: string;
  notifications: number;
  pages: number;
}

/** The figures compared week over week. */
export interface PeriodTotals {
  from: number;
  to: number;
  fires: number;
  pages: number;
  notifications: number;
  actionable: number;
  noise: number;
  /** noise / (actionable + noise); undefined without feedback. */
  noiseShare?: number;
}

export interface DayFires {
  /** YYYY-MM-DD in the report's time zone. */
  day: string;
  bySeverity: Record<string, number>;
}

export type RecommendationKind = 'raise-for' | 'raise-threshold' | 'delete' | 'demote' | 'volume-guard';

export interface Recommendation {
  kind: RecommendationKind;
  alertname: string;
  /** One line a person can act on. */
  action: string;
  /** Why, with the numbers. */
  evidence: string;
  /** The numbers behind the evidence, for programs. */
  figures: Record<string, number | string>;
}

export interface Report {
  from: number;
  to: number;
  generatedAt: number;
  timeZone: string;
  workingHours: WorkingHours;
  /** Rules that fired or were notified in the window, most fires first. */
  rules: RuleFigures[];
  /** Alerting rules of the loaded rule files with no firing in the window (empty when no rules were given). */
  neverFired: string[];
  /** Rules firing at least 90% of the window. */
  alwaysFiring: string[];
  /** Receivers by successful notifications, most first. */
  receivers: ReceiverFigures[];
  totals: PeriodTotals;
  /** The same figures for the window of the same length just before. */
  previous: PeriodTotals;
  firesPerDay: DayFires[];
  recommendations: Recommendation[];
}
