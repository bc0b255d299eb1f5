/** buildReport: one window of history (and the window before it) in, a plain Report out. */
import type { Datasource } from '../datasource/index.js';
import type { RuleGroup } from '../rules/index.js';
import type { Store } from '../store/index.js';
import { ALWAYS_FIRING_SHARE, firesPerDay, periodTotals, receiverFigures, ruleFigures } from './collect.js';
import { foldEpisodes, readEvents, readNotifications } from './history.js';
import { recommend } from './recommend.js';
import { ruleSources } from './rule-source.js';
import type { Report, WorkingHours } from './types.js';

/** Episodes that began this long before the window are still seen (a rule firing all week began before it). */
export const LOOKBACK_MS = 30 * 86_400_000;

export interface BuildReportOptions {
  from: number;
  to: number;
  now: number;
  timeZone: string;
  workingHours: WorkingHours;
  /** The loaded rule groups: to name rules that never fired, and for `for`/vars in recommendations. */
  rules?: RuleGroup[];
  /** Backtest raised thresholds against this datasource; factor defaults to 1.5. */
  backtest?: { datasource: Datasource; factor?: number };
}

export async function buildReport(store: Store, options: BuildReportOptions): Promise<Report> {
  const { from, to, timeZone, workingHours } = options;
  const window = { from, to };
  const previousWindow = { from: from - (to - from), to: from };
  const episodes = [...foldEpisodes(await readEvents(store, previousWindow.from - LOOKBACK_MS, to)).values()];
  const records = await readNotifications(store, previousWindow.from, to);

  const rules = ruleFigures({ episodes, records, window, timeZone, workingHours });
  const alerting = (options.rules ?? []).flatMap((g) => g.rules.flatMap((r) => (r.kind === 'alerting' ? [r.alert] : [])));
  const firing = new Set(rules.filter((r) => r.firingMs > 0).map((r) => r.alertname));
  const alwaysFiring = rules.filter((r) => r.firingShare >= ALWAYS_FIRING_SHARE).map((r) => r.alertname);
  const sources = await ruleSources(options.rules ?? []);

  return {
    from,
    to,
    generatedAt: options.now,
    timeZone,
    workingHours,
    rules,
    neverFired: [...new Set(alerting.filter((a) => !firing.has(a)))].sort(),
    alwaysFiring,
    receivers: receiverFigures(records, window),
    totals: periodTotals(episodes, records, window),
    previous: periodTotals(episodes, records, previousWindow),
    firesPerDay: firesPerDay(episodes, window, timeZone),
    recommendations: await recommend({ figures: rules, episodes, window, alwaysFiring, sources, timeZone, workingHours, backtest: options.backtest }),
  };
}

/** The report's default period: a week. */
export const WEEK_MS = 7 * 86_400_000;
