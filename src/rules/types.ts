/** Rule files as vigil holds them after loading: extensions compiled away, vars substituted. */

export interface SourceLocation {
  file: string;
  line: number;
}

export interface AlertingRule {
  kind: 'alerting';
  alert: string;
  expr: string;
  for?: string;
  keepFiringFor?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  source: SourceLocation;
}

export interface RecordingRule {
  kind: 'recording';
  record: string;
  expr: string;
  labels: Record<string, string>;
  source: SourceLocation;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  limit?: number;
  queryOffset?: string;
  rules: Rule[];
  source: SourceLocation;
}

export interface RuleFile {
  /** The path the file was read from, as given. */
  file: string;
  groups: RuleGroup[];
}

export const SEVERITIES = ['P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];
