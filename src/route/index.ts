// The router: pure logic with time as a parameter, and the group and delivery stages of the notify pipeline. src/dispatch drives it.
export type { Labels, Matcher, MatchType, Route, RouteOptions, RoutedAlert } from './types.js';
export { RoutingConfigError } from './types.js';
export { parseMatchers, parseMatcher, matches, matchesAll, formatMatcher, formatMatchers, MatcherParseError, isValidLabelName, isWellFormed } from './matchers.js';
export { buildRouteTree, matchRoutes, walkRoutes, groupLabels, groupKey, RouteConfigError, DEFAULT_ROUTE_OPTIONS, type RouteConfig } from './tree.js';
export { silenceState, validateSilence, isMuted, expireSilence, canUpdateSilence, type Silence, type SilenceState, type SilenceIssue } from './silence.js';
export { buildInhibitRules, isInhibited, InhibitIndex, InhibitRuleConfigError, type InhibitRule, type InhibitRuleConfig, type Inhibition } from './inhibit.js';
export {
  AggregationGroup,
  needsNotify,
  decideForIntegration,
  type IntegrationDecision,
  mergeAlert,
  FlapDetector,
  DEFAULT_FLAPPING_OPTIONS,
  type Notification,
  type NotificationLogEntry,
  type IntegrationLogEntry,
  type NotifyReason,
  type FlappingOptions,
  type MuteFn,
} from './aggregation.js';
export { RateLimiter, isStorm, type RateLimitDecision, type RateLimitOptions } from './guards.js';
export { Dispatcher, type Routing, type DispatcherOptions, type DispatcherCounters, type NotifyOutcome } from './dispatch.js';
export { Silences, SilenceError, type SilenceStore, DEFAULT_SILENCE_RETENTION_MS, matchesFilter, type SilenceInput, type SilenceWithState, type SilencesOptions } from './silences.js';
export { MuteStage, type SilenceMatcher, type HeldAlerts } from './mute.js';
export { RateLimitStage, StormStage, RateLimiters } from './guards.js';
export { runGroupStages, runDeliveryStages, type Stage, type GroupStage, type DeliveryStage, type GroupFlush, type Muting, type Delivery } from './stage.js';
export { TimeIntervalStage, buildTimeIntervals, intervalContains, namedIntervalActive, TimeIntervalConfigError, type TimeInterval, type TimeIntervals } from './time-intervals.js';
