// Inhibition as Alertmanager has it (inhibit/inhibit.go): a firing source alert mutes the target
// alerts whose `equal` labels carry the same values.

import { isValidLabelName, matchesAll } from './matchers.js';
import { configMatchers } from './tree.js';
import { RoutingConfigError, type Labels, type Matcher, type RoutedAlert } from './types.js';

/** An entry of `inhibit_rules` in vigil.yaml, in Alertmanager's words. */
export interface InhibitRuleConfig {
  /** Optional, shown in the UI and the history. */
  name?: string;
  source_matchers?: string[];
  target_matchers?: string[];
  /** Label names whose values must be the same on source and target (a label both lack counts as equal). */
  equal?: string[];
  /** Deprecated in Alertmanager, still accepted. */
  source_match?: Record<string, string>;
  source_match_re?: Record<string, string>;
  target_match?: Record<string, string>;
  target_match_re?: Record<string, string>;
}

export interface InhibitRule {
  name?: string;
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

/** An inhibit rule that cannot be built; `path` like `inhibit_rules[2]`, `field` like `equal[0]`. */
export class InhibitRuleConfigError extends RoutingConfigError {}

const FIELDS = new Set(['name', 'source_matchers', 'target_matchers', 'equal', 'source_match', 'source_match_re', 'target_match', 'target_match_re']);

export function buildInhibitRule(config: InhibitRuleConfig, path = 'inhibit_rules[0]'): InhibitRule {
  const fail = (field: string | undefined, reason: string): never => {
    throw new InhibitRuleConfigError(path, field, reason);
  };
  if (config === null || typeof config !== 'object' || Array.isArray(config)) fail(undefined, 'an inhibit rule must be a mapping');
  const raw = config as Record<string, unknown>;
  for (const k of Object.keys(raw)) {
    if (!FIELDS.has(k)) fail(k, `unknown field (expected one of ${[...FIELDS].join(', ')})`);
  }
  if (raw.name !== undefined && typeof raw.name !== 'string') fail('name', 'must be a string');
  const equal: string[] = [];
  if (raw.equal !== undefined) {
    if (!Array.isArray(raw.equal)) fail('equal', 'must be a list of label names');
    (raw.equal as unknown[]).forEach((v, i) => {
      if (typeof v !== 'string' || !isValidLabelName(v)) fail(`equal[${i}]`, `invalid label name ${JSON.stringify(v)} in equal list`);
      if (!equal.includes(v as string)) equal.push(v as string);
    });
  }
  const rule: InhibitRule = {
    sourceMatchers: configMatchers(raw, ['source_matchers', 'source_match', 'source_match_re'], fail),
    targetMatchers: configMatchers(raw, ['target_matchers', 'target_match', 'target_match_re'], fail),
    equal,
  };
  if (typeof raw.name === 'string' && raw.name !== '') rule.name = raw.name;
  return rule;
}

export function buildInhibitRules(configs: readonly InhibitRuleConfig[], path = 'inhibit_rules'): InhibitRule[] {
  if (!Array.isArray(configs)) throw new InhibitRuleConfigError(path, undefined, 'must be a list of inhibit rules');
  return configs.map((c, i) => buildInhibitRule(c, `${path}[${i}]`));
}

/** What the inhibitor needs of a source alert. */
export type InhibitSource = Pick<RoutedAlert, 'fingerprint' | 'labels' | 'endsAt'>;

/** Why an alert is inhibited: the first rule (in config order) that mutes it, and one source. */
export interface Inhibition<A extends InhibitSource = RoutedAlert> {
  rule: InhibitRule;
  ruleIndex: number;
  /** Of the sources that qualify under that rule, the one that will keep inhibiting longest. */
  source: A;
}

/** Alertmanager's Alert.ResolvedAt: an end at or before now; an end of 0 means none yet. */
function resolvedAt(a: InhibitSource, now: number): boolean {
  return a.endsAt !== 0 && a.endsAt <= now;
}

function equalLabels(equal: readonly string[], a: Labels, b: Labels): boolean {
  for (const name of equal) if ((a[name] ?? '') !== (b[name] ?? '')) return false;
  return true;
}

/**
 * Whether an alert with `targetLabels` is inhibited at `now`, and by what. A rule mutes it when
 * the target matchers match it and some source alert matches the source matchers, has not
 * resolved, and has the same values for the `equal` labels (a missing label is the empty string).
 * When the target also matches the rule's source side, sources that also match the target side
 * do not count — so alerts of one class never inhibit each other (nor themselves).
 * Silenced source alerts still inhibit, as in Alertmanager.
 */
export function isInhibited<A extends InhibitSource>(
  rules: readonly InhibitRule[],
  targetLabels: Labels,
  sourceAlerts: Iterable<A>,
  now: number,
): Inhibition<A> | undefined {
  const sources = Array.isArray(sourceAlerts) ? (sourceAlerts as A[]) : [...sourceAlerts];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!matchesAll(rule.targetMatchers, targetLabels)) continue;
    const excludeTwoSided = matchesAll(rule.sourceMatchers, targetLabels);
    let best: A | undefined;
    for (const a of sources) {
      if (resolvedAt(a, now)) continue;
      if (!matchesAll(rule.sourceMatchers, a.labels)) continue;
      if (!equalLabels(rule.equal, a.labels, targetLabels)) continue;
      if (excludeTwoSided && matchesAll(rule.targetMatchers, a.labels)) continue;
      if (best === undefined || lastsLonger(a, best)) best = a;
    }
    if (best !== undefined) return { rule, ruleIndex: i, source: best };
  }
  return undefined;
}

function lastsLonger(a: InhibitSource, b: InhibitSource): boolean {
  if (b.endsAt === 0) return false;
  return a.endsAt === 0 || a.endsAt > b.endsAt;
}

/**
 * isInhibited over many targets at one instant: the sources of each rule are indexed once by
 * their `equal` label values, so a flush of many alerts costs one lookup per target and rule
 * instead of a scan of every alert. Same answers as isInhibited.
 */
export class InhibitIndex<A extends InhibitSource = RoutedAlert> {
  private readonly byRule: Map<string, A[]>[];

  constructor(
    private readonly rules: readonly InhibitRule[],
    sourceAlerts: Iterable<A>,
    private readonly now: number,
  ) {
    this.byRule = rules.map(() => new Map());
    if (rules.length === 0) return;
    for (const a of sourceAlerts) {
      if (resolvedAt(a, now)) continue;
      rules.forEach((rule, i) => {
        if (!matchesAll(rule.sourceMatchers, a.labels)) return;
        const key = equalKey(rule.equal, a.labels);
        const list = this.byRule[i].get(key);
        if (list) list.push(a);
        else this.byRule[i].set(key, [a]);
      });
    }
  }

  inhibits(targetLabels: Labels): Inhibition<A> | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (!matchesAll(rule.targetMatchers, targetLabels)) continue;
      const sources = this.byRule[i].get(equalKey(rule.equal, targetLabels));
      if (!sources) continue;
      const excludeTwoSided = matchesAll(rule.sourceMatchers, targetLabels);
      let best: A | undefined;
      for (const a of sources) {
        if (excludeTwoSided && matchesAll(rule.targetMatchers, a.labels)) continue;
        if (best === undefined || lastsLonger(a, best)) best = a;
      }
      if (best !== undefined) return { rule, ruleIndex: i, source: best };
    }
    return undefined;
  }
}

function equalKey(equal: readonly string[], labels: Labels): string {
  return JSON.stringify(equal.map((name) => labels[name] ?? ''));
}
