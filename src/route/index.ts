// The router: pure logic with time as a parameter. `vigil serve` runs it (src/server/router.ts).
export type { Labels, Matcher, MatchType, Route, RouteOptions, RoutedAlert } from './types.js';
export { RoutingConfigError } from './types.js';
export { parseMatchers, parseMatcher, matches, matchesAll, formatMatcher, formatMatchers, MatcherParseError, isValidLabelName, isWellFormed } from './matchers.js';
export { buildRouteTree, matchRoutes, walkRoutes, groupLabels, groupKey, RouteConfigError, DEFAULT_ROUTE_OPTIONS, type RouteConfig } from './tree.js';
export { silenceState, validateSilence, isMuted, expireSilence, canUpdateSilence, type Silence, type SilenceState, type SilenceIssue } from './silence.js';
export { buildInhibitRules, isInhibited, InhibitIndex, InhibitRuleConfigError, type InhibitRule, type InhibitRuleConfig, type Inhibition } from './inhibit.js';
export {
  AggregationGroup,
  needsNotify,
  mergeAlert,
  FlapDetector,
  DEFAULT_FLAPPING_OPTIONS,
  type Notification,
  type NotificationLogEntry,
  type NotifyReason,
  type FlappingOptions,
  type MuteFn,
} from './aggregation.js';
export { RateLimiter, isStorm, type RateLimitDecision, type RateLimitOptions } from './guards.js';
export { Dispatcher, type Routing, type DispatcherOptions, type DispatcherCounters, type NotifyOutcome } from './dispatch.js';
export { Silences, SilenceError, DEFAULT_SILENCE_RETENTION_MS, matchesFilter, type SilenceInput, type SilenceWithState, type SilencesOptions } from './silences.js';
