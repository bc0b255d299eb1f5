/** The router's words, as Alertmanager has them. Times are unix ms. */

export type Labels = Record<string, string>;

export type MatchType = '=' | '!=' | '=~' | '!~';

/** One label matcher, e.g. severity="P1" or agent_id=~"checkout-.*". */
export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
}

/**
 * An alert as the router holds it, whatever its source (vigil's evaluator,
 * POST /api/v2/alerts, an Alertmanager webhook).
 */
export interface RoutedAlert {
  fingerprint: string;
  labels: Labels;
  annotations: Record<string, string>;
  startsAt: number;
  /** When it resolved, or when it is considered resolved unless re-sent (resolve_timeout). */
  endsAt: number;
  generatorURL?: string;
  /** Last time a source sent or updated it. */
  updatedAt: number;
  /** The rule group (evaluator key) that evaluated it; evaluated alerts only. */
  ruleGroup?: string;
}

/** The timing and grouping a route gives the alerts it takes; children inherit what they do not set. */
export interface RouteOptions {
  receiver: string;
  /** Label names to group by; `all` is Alertmanager's `group_by: ['...']` (every label). */
  groupBy: string[] | 'all';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface Route {
  options: RouteOptions;
  matchers: Matcher[];
  continue: boolean;
  routes: Route[];
  /** Stable identity in the tree, as Alertmanager's route key: e.g. `{}/{severity="P1"}/0`. */
  key: string;
  /** Names of `time_intervals` during which this route notifies nothing (not inherited). */
  muteTimeIntervals?: string[];
  /** Names of `time_intervals` outside of which this route notifies nothing (not inherited). */
  activeTimeIntervals?: string[];
}

/** A part of vigil.yaml's routing config that cannot be built; `path` like `route.routes[1]`, `field` like `group_wait`. */
export class RoutingConfigError extends Error {
  constructor(
    readonly path: string,
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super(`${field === undefined ? path : `${path}.${field}`}: ${reason}`);
    this.name = new.target.name;
  }
}
