/** What the loaded RuleGroup no longer says: the group's raw `vars` and where the expr compares them, read back from its file. */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { AlertingRule, RuleGroup } from '../rules/index.js';

export interface RuleSource {
  group: RuleGroup;
  rule: AlertingRule;
  /** Numeric vars of the group. */
  vars: Record<string, number>;
  /** The numeric var the rule fires above (`> ${name}`), if any: the one to raise. */
  thresholdVar?: string;
  /** The group declares a volume guard var (min_…_rate). */
  hasVolumeGuard: boolean;
}

const VOLUME_GUARD = /^min_.*rate$/;

export async function ruleSources(groups: RuleGroup[]): Promise<Map<string, RuleSource>> {
  const out = new Map<string, RuleSource>();
  const raw = new Map<string, unknown>();
  for (const group of groups) {
    if (!raw.has(group.source.file)) raw.set(group.source.file, await readFile(group.source.file, 'utf8').then((t) => parse(t) as unknown, () => undefined));
    const doc = raw.get(group.source.file) as { groups?: { name?: string; vars?: Record<string, unknown>; rules?: { alert?: string; expr?: string }[] }[] } | undefined;
    const rawGroup = doc?.groups?.find((g) => g.name === group.name);
    const vars: Record<string, number> = {};
    for (const [k, v] of Object.entries(rawGroup?.vars ?? {})) if (typeof v === 'number') vars[k] = v;
    for (const rule of group.rules) {
      if (rule.kind !== 'alerting') continue;
      const expr = rawGroup?.rules?.find((r) => r.alert === rule.alert)?.expr ?? '';
      // vars the expr fires above; a volume guard also gates firing but is not the threshold
      const above = Object.keys(vars).filter((name) => new RegExp(`>=?\\s*\\$\\{${name}\\}`).test(expr));
      const thresholdVar = above.find((n) => n.includes('threshold')) ?? above.find((n) => !VOLUME_GUARD.test(n));
      out.set(rule.alert, { group, rule, vars, thresholdVar, hasVolumeGuard: Object.keys(vars).some((n) => VOLUME_GUARD.test(n)) });
    }
  }
  return out;
}
