export type { Alert, AlertState } from './alert.js';
export { RESOLVED_RETENTION_MS } from './alert.js';
export { AlertingRule, RuleEvaluationError, type AlertingRuleSpec, type TemplateContext } from './alerting-rule.js';
export { Group, RecordingRule, toSamples, DEFAULT_INTERVAL_MS, type GroupEvaluation, type RuleHealth, type RuleStatus } from './group.js';
export { Evaluator, SELF_GROUP, type EvaluatorOptions, type GroupLeases, type GroupState, type GroupStateStore, type AlertTransition, type Logger } from './evaluator.js';
export { backtest, type BacktestRule, type Episode, type BacktestError, type BacktestOptions, type BacktestProgress, type BacktestResult } from './backtest.js';
export { systemClock, type Clock } from './clock.js';
export { fingerprint, formatLabels } from './labels.js';
