export type { Diagnostic } from '../yaml/index.js';
export { formatDiagnostic, hasErrors } from '../yaml/index.js';
export type { AlertingRule, RecordingRule, Rule, RuleFile, RuleGroup, Severity, SourceLocation } from './types.js';
export { SEVERITIES } from './types.js';
export { parseRuleFile, loadRuleFile, DEFAULT_RUNBOOK_BASE_URL, type LoadOptions, type LoadResult } from './load.js';
export { findRuleFiles, loadRuleFiles, type LoadAllResult } from './files.js';
export { generateRuleFile, prometheusGroups, GENERATE_FORMATS, type GenerateFormat, type GenerateOptions, type GeneratedFile } from './generate.js';
export { parseVarOverride, renderVar, type VarValue, type Vars } from './vars.js';
export { loadProfile, profilePath, type Profile } from './profile.js';
