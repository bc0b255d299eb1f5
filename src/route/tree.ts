// The routing tree as Alertmanager builds and walks it (config/config.go, dispatch/route.go).

import { parseDuration } from '../promql/index.js';
import { MatcherParseError, compareStrings, isValidLabelName, formatLabelSet, formatMatchers, sortedNames, matchesAll, newMatcher, parseMatchers, sortMatchers } from './matchers.js';
import { RoutingConfigError, type Labels, type Matcher, type Route, type RouteOptions } from './types.js';

/** A route as written in vigil.yaml, in Alertmanager's words. */
export interface RouteConfig {
  receiver?: string;
  /** Label names, or `['...']` for every label. */
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  /** Each entry holds one or more matchers: `severity="P1"`, `{a="b", c=~"d"}`. */
  matchers?: string[];
  /** Deprecated in Alertmanager, still accepted: label name → exact value. */
  match?: Record<string, string>;
  /** Deprecated in Alertmanager, still accepted: label name → regex. */
  match_re?: Record<string, string>;
  continue?: boolean;
  routes?: RouteConfig[];
  /** Names from `time_intervals` during which the route notifies nothing (not inherited, as in Alertmanager). */
  mute_time_intervals?: string[];
  /** Names from `time_intervals` outside of which the route notifies nothing (not inherited). */
  active_time_intervals?: string[];
}

/** Alertmanager's defaults for the root route (dispatch.DefaultRouteOpts). */
export const DEFAULT_ROUTE_OPTIONS: Omit<RouteOptions, 'receiver'> = {
  groupBy: [],
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3600_000,
};

/** A route that cannot be built; `path` is like `route.routes[1].routes[0]`, `field` like `group_wait`. */
export class RouteConfigError extends RoutingConfigError {}

export interface BuildRouteOptions {
  /** Receiver names that exist; when given, a route naming another one is an error. */
  receivers?: Iterable<string>;
  /** Where the tree sits in the config file, for messages; `route` by default. */
  path?: string;
  /** Names defined in `time_intervals`; when given, a route naming another one is an error. */
  timeIntervals?: Iterable<string>;
}

const FIELDS = new Set([
  'receiver', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'matchers', 'match', 'match_re', 'continue', 'routes', 'mute_time_intervals', 'active_time_intervals',
]);
/** model.LabelNameRE: the names the deprecated `match`/`match_re` maps accept. */
const CLASSIC_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Builds the routing tree from the `route` section: children inherit what they leave unset,
 * the root starts from Alertmanager's defaults, and every mistake names its route and field.
 */
export function buildRouteTree(config: RouteConfig, opts: BuildRouteOptions = {}): Route {
  const path = opts.path ?? 'route';
  const receivers = opts.receivers ? new Set(opts.receivers) : undefined;
  const raw = asMapping(config, path);
  if (raw.receiver === undefined || raw.receiver === '') {
    throw new RouteConfigError(path, 'receiver', 'the root route must specify a default receiver');
  }
  if (raw.matchers !== undefined || raw.match !== undefined || raw.match_re !== undefined) {
    const field = raw.matchers !== undefined ? 'matchers' : raw.match !== undefined ? 'match' : 'match_re';
    throw new RouteConfigError(path, field, 'the root route must not have any matchers: it takes every alert');
  }
  if (raw.continue !== undefined && raw.continue !== false) {
    throw new RouteConfigError(path, 'continue', 'cannot have continue in the root route');
  }
  for (const field of ['mute_time_intervals', 'active_time_intervals']) {
    if (raw[field] !== undefined) throw new RouteConfigError(path, field, 'the root route must not have time intervals');
  }
  const intervals = opts.timeIntervals ? new Set(opts.timeIntervals) : undefined;
  return build(raw, path, undefined, undefined, receivers, intervals);
}

function asMapping(v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RouteConfigError(path, undefined, 'a route must be a mapping');
  return v as Record<string, unknown>;
}

function build(
  raw: Record<string, unknown>,
  path: string,
  parent: { options: RouteOptions; amKey: string; key: string } | undefined,
  position: number | undefined,
  receivers: Set<string> | undefined,
  intervals?: Set<string>,
): Route {
  const fail = (field: string | undefined, reason: string): never => {
    throw new RouteConfigError(path, field, reason);
  };
  for (const k of Object.keys(raw)) {
    if (!FIELDS.has(k)) fail(k, `unknown field (expected one of ${[...FIELDS].join(', ')})`);
  }

  const options: RouteOptions = parent ? { ...parent.options } : { receiver: '', ...DEFAULT_ROUTE_OPTIONS };

  if (raw.receiver !== undefined) {
    if (typeof raw.receiver !== 'string') fail('receiver', 'must be a string');
    const receiver = raw.receiver as string;
    if (receiver !== '') {
      if (receivers && !receivers.has(receiver)) fail('receiver', `undefined receiver ${JSON.stringify(receiver)} used in route`);
      options.receiver = receiver;
    }
  }

  if (raw.group_by !== undefined) {
    if (!Array.isArray(raw.group_by)) fail('group_by', 'must be a list of label names');
    const names: string[] = [];
    let all = false;
    (raw.group_by as unknown[]).forEach((v, i) => {
      if (typeof v !== 'string') fail(`group_by[${i}]`, 'must be a label name');
      const name = v as string;
      if (name === '...') all = true;
      else if (!isValidLabelName(name)) fail(`group_by[${i}]`, `invalid label name ${JSON.stringify(name)} in group_by list`);
      else if (names.includes(name)) fail(`group_by[${i}]`, `duplicated label ${JSON.stringify(name)} in group_by`);
      else names.push(name);
    });
    if (all && names.length > 0) fail('group_by', "cannot have wildcard group_by ('...') and other labels at the same time");
    options.groupBy = all ? 'all' : names;
  }

  const duration = (field: 'group_wait' | 'group_interval' | 'repeat_interval'): number | undefined => {
    const v = raw[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return fail(field, `must be a duration string such as "5m", not ${JSON.stringify(v)}`);
    let ms: number;
    try {
      ms = parseDuration(v);
    } catch (err) {
      return fail(field, (err as Error).message);
    }
    if (ms === 0 && field !== 'group_wait') fail(field, `${field} cannot be zero`);
    return ms;
  };
  options.groupWaitMs = duration('group_wait') ?? options.groupWaitMs;
  options.groupIntervalMs = duration('group_interval') ?? options.groupIntervalMs;
  options.repeatIntervalMs = duration('repeat_interval') ?? options.repeatIntervalMs;

  const sorted = configMatchers(raw, ['matchers', 'match', 'match_re'], fail);

  if (raw.continue !== undefined && typeof raw.continue !== 'boolean') fail('continue', 'must be true or false');

  const children = raw.routes ?? [];
  if (!Array.isArray(children)) fail('routes', 'must be a list of routes');
  // Alertmanager's Route.Key() is the matchers of the path; its ID() adds the route's own position.
  // vigil's key puts the position after every step, so it is unique in the tree.
  const matcherText = formatMatchers(sorted);
  const amKey = parent ? `${parent.amKey}/${matcherText}` : matcherText;
  const key = parent ? `${parent.key}/${matcherText}/${position}` : matcherText;
  const route: Route = { options, matchers: sorted, continue: raw.continue === true, routes: [], key };
  for (const [field, prop] of [['mute_time_intervals', 'muteTimeIntervals'], ['active_time_intervals', 'activeTimeIntervals']] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    if (!Array.isArray(v)) fail(field, 'must be a list of time interval names');
    route[prop] = (v as unknown[]).map((name, i) => {
      if (typeof name !== 'string') return fail(`${field}[${i}]`, 'must be a time interval name');
      if (intervals && !intervals.has(name)) fail(`${field}[${i}]`, `undefined time interval ${JSON.stringify(name)} used in route`);
      return name;
    });
  }
  alertmanagerKeys.set(route, amKey);
  const self = { options, amKey, key };
  route.routes = (children as unknown[]).map((child, i) => {
    const childPath = `${path}.routes[${i}]`;
    return build(asMapping(child, childPath), childPath, self, i, receivers, intervals);
  });
  return route;
}

const alertmanagerKeys = new WeakMap<Route, string>();

/** Alertmanager's Route.Key() of a built route: the matchers along its path, e.g. `{}/{a="1"}/{b="2"}`. */
export function alertmanagerRouteKey(route: Route): string {
  // A route made by hand: at depth 0 or 1 the key is Alertmanager's ID, its position last.
  return alertmanagerKeys.get(route) ?? route.key.replace(/\/\d+$/, '');
}

/**
 * The matchers of a config section, sorted as Alertmanager sorts them: the `matchers` list (each
 * entry one or more matchers) and the deprecated exact (`match`) and regex (`match_re`) maps.
 * `fields` names the three keys (`source_matchers`, `source_match`, ... in inhibit rules).
 */
export function configMatchers(
  raw: Record<string, unknown>,
  [listField, matchField, matchReField]: readonly [string, string, string],
  fail: (field: string, reason: string) => never,
): Matcher[] {
  const matchers: Matcher[] = [];
  for (const field of [matchField, matchReField]) {
    const map = raw[field];
    if (map === undefined) continue;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) fail(field, 'must be a mapping of label names to values');
    for (const [name, value] of Object.entries(map as Record<string, unknown>)) {
      if (!CLASSIC_LABEL_NAME.test(name)) fail(`${field}.${name}`, `invalid label name ${JSON.stringify(name)}`);
      if (typeof value !== 'string') fail(`${field}.${name}`, 'must be a string');
      if (field === matchField) {
        matchers.push({ name, type: '=', value: value as string });
        continue;
      }
      // match_re values are compiled anchored, and keys show them that way.
      try {
        matchers.push(newMatcher('=~', name, `^(?:${value as string})$`));
      } catch (err) {
        fail(`${field}.${name}`, `invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message}`);
      }
    }
  }
  const list = raw[listField];
  if (list !== undefined) {
    if (!Array.isArray(list)) fail(listField, `must be a list of matchers such as 'severity="P1"'`);
    (list as unknown[]).forEach((line, i) => {
      if (typeof line !== 'string') fail(`${listField}[${i}]`, `must be a string such as 'severity="P1"'`);
      try {
        matchers.push(...parseMatchers(line as string));
      } catch (err) {
        if (!(err instanceof MatcherParseError)) throw err;
        fail(`${listField}[${i}]`, `${JSON.stringify(line)}: ${err.message}`);
      }
    });
  }
  return sortMatchers(matchers);
}

/**
 * The routes an alert goes to, exactly as Alertmanager's Route.Match: depth first; the first
 * matching child ends the search among its siblings unless it has `continue: true`; a route
 * none of whose children match takes the alert itself. Empty when the root does not match.
 */
export function matchRoutes(root: Route, labels: Labels): Route[] {
  return matchRoute(root, labels) ?? [];
}

function matchRoute(r: Route, labels: Labels): Route[] | undefined {
  if (!matchesAll(r.matchers, labels)) return undefined;
  const all: Route[] = [];
  for (const child of r.routes) {
    const found = matchRoute(child, labels);
    if (found === undefined) continue;
    all.push(...found);
    if (!child.continue) break;
  }
  if (all.length === 0) all.push(r);
  return all;
}

/** Every route, parent before children, in config order (Alertmanager's Route.Walk). */
export function walkRoutes(root: Route, visit: (route: Route) => void): void {
  visit(root);
  for (const child of root.routes) walkRoutes(child, visit);
}

/** The labels an alert is grouped by on this route: the `group_by` ones it has, or all of them. */
export function groupLabels(route: Route, labels: Labels): Labels {
  const { groupBy } = route.options;
  const out: Labels = {};
  if (groupBy === 'all') {
    for (const name of sortedNames(labels)) out[name] = labels[name];
    return out;
  }
  let names = sortedGroupBy.get(groupBy);
  if (!names) sortedGroupBy.set(groupBy, (names = [...groupBy].sort(compareStrings)));
  for (const name of names) if (Object.hasOwn(labels, name)) out[name] = labels[name];
  return out;
}

/** Each route's group_by in label order, sorted once rather than for every alert. */
const sortedGroupBy = new WeakMap<readonly string[], string[]>();

/**
 * The aggregation group's identity: route key and group labels, as Alertmanager's
 * `routeKey:{a="1", b="2"}`. vigil's route key carries each route's position, so two routes with
 * the same matchers (a `continue` fan-out) never share a group.
 */
export function groupKey(route: Route, labels: Labels): string {
  // joined, not concatenated: every group and log entry keeps its key, as one flat string rather than a rope
  return [route.key, formatLabelSet(groupLabels(route, labels))].join(':');
}

/**
 * The group key exactly as Alertmanager prints it (Route.Key() and the group labels), e.g. for
 * matching dedup keys or notification logs written by an Alertmanager.
 */
export function alertmanagerGroupKey(route: Route, labels: Labels): string {
  return `${alertmanagerRouteKey(route)}:${formatLabelSet(groupLabels(route, labels))}`;
}
