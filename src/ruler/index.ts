// Pushing rule groups to the rulers of Mimir, Cortex and Loki (their shared configuration API), and the diff a sync shows first.
export { RulerClient, RulerError, RULER_KINDS, DEFAULT_PREFIX, type RulerKind, type RulerClientOptions, type RuleGroupObject } from './client.js';
export { diffRuleGroups, formatRuleDiff, isEmptyDiff, type RuleDiff } from './diff.js';
