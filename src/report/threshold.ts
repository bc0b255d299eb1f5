/** How many fires a raised threshold would have avoided: the rule's group backtested twice against Prometheus, as is and with the var raised. */
import type { Datasource } from '../datasource/index.js';
import { backtest } from '../eval/index.js';
import { loadRuleFile } from '../rules/index.js';
import type { RuleSource } from './rule-source.js';

export interface ThresholdBacktest {
  current: number;
  raised: number;
  /** Firing episodes that started in the window with each value. */
  firesNow: number;
  firesRaised: number;
}

const firesOf = async (source: RuleSource, group: RuleSource['group'], datasource: Datasource, from: number, to: number): Promise<number> => {
  const { episodes } = await backtest([{ ...group, rules: group.rules.filter((r) => r.kind === 'alerting' && r.alert === source.rule.alert) }], datasource, { from, to });
  return episodes.filter((e) => e.firedAt !== undefined && e.firedAt >= from && e.firedAt < to).length;
};

/** Rounded to 4 significant digits so the suggestion reads like a value a person would write. */
export const raisedValue = (v: number, factor: number): number => Number((v * factor).toPrecision(4));

export async function backtestRaisedThreshold(source: RuleSource, datasource: Datasource, from: number, to: number, factor: number): Promise<ThresholdBacktest> {
  const name = source.thresholdVar as string;
  const current = source.vars[name];
  const raised = raisedValue(current, factor);
  const reloaded = await loadRuleFile(source.group.source.file, { vars: new Map([[name, raised]]) });
  const group = reloaded.file?.groups.find((g) => g.name === source.group.name);
  if (!group) throw new Error(`cannot reload ${source.group.source.file} with ${name}=${raised}`);
  return { current, raised, firesNow: await firesOf(source, source.group, datasource, from, to), firesRaised: await firesOf(source, group, datasource, from, to) };
}
