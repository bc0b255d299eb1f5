/**
 * What a sync would change in one namespace: groups to add, change and delete, compared in
 * meaning (durations by length, maps by content, keys outside Prometheus' rule format ignored), so
 * a ruler's re-serialization of a group does not show as a change.
 */
import { parseDuration } from '../promql/index.js';
import type { RuleGroupObject } from './client.js';

export interface GroupChange {
  name: string;
  /** What differs, in words: "rule AgentX: expr, for", "rule AgentY added". */
  details: string[];
}

export interface RuleDiff {
  added: RuleGroupObject[];
  changed: { local: RuleGroupObject; details: string[] }[];
  deleted: string[];
  unchanged: string[];
}

const GROUP_FIELDS = ['interval', 'query_offset', 'limit'] as const;
const RULE_FIELDS = ['expr', 'for', 'keep_firing_for', 'labels', 'annotations'] as const;
const DURATIONS = new Set(['interval', 'query_offset', 'for', 'keep_firing_for']);

/** Local groups against the ruler's, by group name. */
export function diffRuleGroups(local: readonly RuleGroupObject[], remote: readonly RuleGroupObject[]): RuleDiff {
  const theirs = new Map(remote.map((g) => [g.name, g]));
  const diff: RuleDiff = { added: [], changed: [], deleted: [], unchanged: [] };
  for (const g of local) {
    const r = theirs.get(g.name);
    if (!r) diff.added.push(g);
    else {
      const details = groupDifferences(g, r);
      if (details.length) diff.changed.push({ local: g, details });
      else diff.unchanged.push(g.name);
    }
  }
  const ours = new Set(local.map((g) => g.name));
  for (const g of remote) if (!ours.has(g.name)) diff.deleted.push(g.name);
  return diff;
}

export function isEmptyDiff(d: RuleDiff): boolean {
  return d.added.length === 0 && d.changed.length === 0 && d.deleted.length === 0;
}

/** The diff as mimirtool prints one: a line per group, + to add, ~ to change, - to delete. */
export function formatRuleDiff(d: RuleDiff): string {
  const lines: string[] = [];
  for (const g of d.added) lines.push(`+ ${g.name} (${rulesOf(g).length} rules)`);
  for (const c of d.changed) {
    lines.push(`~ ${c.local.name}`);
    for (const detail of c.details) lines.push(`    ${detail}`);
  }
  for (const name of d.deleted) lines.push(`- ${name}`);
  lines.push(`${d.added.length} to add, ${d.changed.length} to change, ${d.deleted.length} to delete, ${d.unchanged.length} unchanged`);
  return lines.join('\n') + '\n';
}

function groupDifferences(local: RuleGroupObject, remote: RuleGroupObject): string[] {
  const out: string[] = [];
  for (const f of GROUP_FIELDS) if (canonical(f, local[f]) !== canonical(f, remote[f])) out.push(`group ${f}`);
  const theirs = new Map(rulesOf(remote).map((r) => [ruleName(r), r]));
  const seen = new Set<string>();
  for (const r of rulesOf(local)) {
    const name = ruleName(r);
    seen.add(name);
    const t = theirs.get(name);
    if (!t) {
      out.push(`rule ${name} added`);
      continue;
    }
    const fields = RULE_FIELDS.filter((f) => canonical(f, r[f]) !== canonical(f, t[f]));
    if (fields.length) out.push(`rule ${name}: ${fields.join(', ')}`);
  }
  for (const name of theirs.keys()) if (!seen.has(name)) out.push(`rule ${name} deleted`);
  // Same rules in another order: Prometheus evaluates a group's rules in order, so it counts.
  if (out.length === 0 && rulesOf(local).map(ruleName).join('\n') !== rulesOf(remote).map(ruleName).join('\n')) out.push('rule order');
  return out;
}

function rulesOf(g: RuleGroupObject): Record<string, unknown>[] {
  return Array.isArray(g.rules) ? (g.rules as Record<string, unknown>[]) : [];
}

/** A rule's identity within its group: its alert name, or its recorded name. */
function ruleName(r: Record<string, unknown>): string {
  return typeof r.alert === 'string' ? r.alert : `record ${String(r.record)}`;
}

/** A field's value in a form where equal meanings compare equal. */
function canonical(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  if (DURATIONS.has(field) && typeof value === 'string') {
    try {
      const ms = parseDuration(value);
      return ms === 0 ? '' : String(ms);
    } catch {
      return value;
    }
  }
  if (field === 'limit') return Number(value) === 0 ? '' : String(value);
  if (field === 'expr') return String(value).trim();
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length ? JSON.stringify(entries.map(([k, v]) => [k, String(v)])) : '';
  }
  return String(value);
}
