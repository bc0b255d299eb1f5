import { parse } from 'yaml';
import {
  InhibitRuleConfigError,
  buildInhibitRule,
  buildInhibitRules,
  isInhibited,
  InhibitIndex,
  type InhibitRuleConfig,
  type InhibitSource,
} from '../../src/route/inhibit.js';

const NOW = Date.UTC(2025, 0, 6, 12, 0, 0);
const HOUR = 3_600_000;

let nextId = 0;
function alert(labels: Record<string, string>, endsAt = NOW + HOUR): InhibitSource {
  return { fingerprint: `fp${++nextId}`, labels, endsAt };
}
/** Whether the target is muted; the indexed inhibitor must give the very same answer (rule and source). */
const muted = (...args: Parameters<typeof isInhibited>) => {
  const [rules, target, sources, now] = args;
  const direct = isInhibited(rules, target, [...sources], now);
  const indexed = new InhibitIndex(rules, [...sources], now).inhibits(target);
  expect(indexed?.ruleIndex).toBe(direct?.ruleIndex);
  expect(indexed?.source).toBe(direct?.source);
  return direct !== undefined;
};

// inhibit/inhibit_test.go TestInhibitRuleHasEqual: every source qualifies (no source matchers),
// the target is told apart by a label of its own.
describe('equal labels and resolved sources (TestInhibitRuleHasEqual)', () => {
  test.each<[string, InhibitSource[], string[], Record<string, string>, boolean]>([
    ['no source alerts at all', [], [], { a: 'b' }, false],
    ['no equal labels: any source satisfies', [{ fingerprint: '1', labels: {}, endsAt: 0 }], [], { a: 'b' }, true],
    [
      'matching but already resolved',
      [alert({ a: 'b', b: 'f' }, NOW - 1000), alert({ a: 'b', b: 'c' }, NOW - 1000)],
      ['a', 'b'],
      { a: 'b', b: 'c' },
      false,
    ],
    ['matching and unresolved', [alert({ a: 'b', c: 'd' }, NOW - 1000), alert({ a: 'b', c: 'f' }, NOW + HOUR)], ['a'], { a: 'b' }, true],
    ['equal label does not match', [alert({ a: 'c', c: 'd' }, NOW - 1000), alert({ a: 'c', c: 'f' }, NOW - 1000)], ['a'], { a: 'b' }, false],
    ['a label missing on both sides is equal', [alert({ s: '1' })], ['agent_id'], { t: '1' }, true],
    ['missing on one side only is not', [alert({ s: '1', agent_id: 'x' })], ['agent_id'], { t: '1' }, false],
    ['missing equals empty', [alert({ s: '1', agent_id: '' })], ['agent_id'], { t: '1' }, true],
  ])('%s', (_name, sources, equal, target, expected) => {
    const rules = [buildInhibitRule({ target_matchers: ['is_target="yes"'], equal })];
    expect(muted(rules, { ...target, is_target: 'yes' }, sources, NOW)).toBe(expected);
  });

  test('a rule without matchers never inhibits: every alert is on both sides', () => {
    expect(muted([buildInhibitRule({})], { a: 'b' }, [alert({ a: 'b' })], NOW)).toBe(false);
  });

  test('a source resolves at its endsAt, not after', () => {
    const rules = [buildInhibitRule({ source_matchers: ['s="1"'], target_matchers: ['t="1"'] })];
    const source = alert({ s: '1' }, NOW);
    expect(muted(rules, { t: '1' }, [source], NOW - 1)).toBe(true);
    expect(muted(rules, { t: '1' }, [source], NOW)).toBe(false);
  });
});

describe('two-sided matches (TestInhibitRuleMatches, TestInhibitRuleMatchers)', () => {
  const sourceAlert1 = alert({ s1: '1', t1: '2', e: '1' }); // source of rule 1 only
  const sourceAlert2 = alert({ s2: '1', t2: '1', e: '1' }); // source and target of rule 2

  describe('deprecated match', () => {
    const rules = buildInhibitRules([
      { source_match: { s1: '1' }, target_match: { t1: '1' }, equal: ['e'] },
      { source_match: { s2: '1' }, target_match: { t2: '1' }, equal: ['e'] },
    ]);
    test.each<[Record<string, string>, boolean]>([
      [{ t1: '1', e: '1' }, true], // target of rule 1
      [{ t2: '1', e: '1' }, true], // target of rule 2
      [{ t1: '1', t3: '1', e: '1' }, true], // plus noise
      [{ t1: '1', t2: '1', e: '1' }, true], // targets of both
      [{ t1: '0', e: '1' }, false], // no target
      [{ s1: '1', t1: '1', e: '1' }, true], // both sides of rule 1; sourceAlert1 is source only
      [{ s2: '1', t2: '1', e: '1' }, false], // both sides of rule 2, as is its only source
      [{ t1: '1', e: '0' }, false], // equal label differs
    ])('%j', (target, expected) => {
      expect(muted(rules, target, [sourceAlert1, sourceAlert2], NOW)).toBe(expected);
    });
  });

  describe('matchers', () => {
    const rules = buildInhibitRules([
      { source_matchers: ['s1="1"'], target_matchers: ['t1!="1"'], equal: ['e'] },
      { source_matchers: ['s2="1"'], target_matchers: ['t2="1"'], equal: ['e'] },
    ]);
    test.each<[Record<string, string>, boolean]>([
      [{ t1: '1', e: '1' }, false],
      [{ t2: '1', e: '1' }, true],
      [{ t1: '1', t3: '1', e: '1' }, false],
      [{ t1: '1', t2: '1', e: '1' }, true],
      [{ t1: '0', e: '1' }, true],
      [{ s1: '1', t1: '1', e: '1' }, false],
      [{ s2: '1', t2: '1', e: '1' }, true],
      [{ t1: '1', e: '0' }, false],
    ])('%j', (target, expected) => {
      expect(muted(rules, target, [sourceAlert1, sourceAlert2], NOW)).toBe(expected);
    });
  });
});

// inhibit/inhibit_test.go TestInhibit: the source must be firing.
describe('source alerts must be firing (TestInhibit)', () => {
  const rules = [buildInhibitRule({ source_match: { s: '1' }, target_match: { t: '1' }, equal: ['e'] })];
  const alertOne = alert({ t: '1', e: 'f' });
  const alertTwo = (resolved: boolean) => alert({ s: '1', e: 'f' }, resolved ? NOW - 1000 : NOW + HOUR);
  test.each<[string, InhibitSource[], [Record<string, string>, boolean][]]>([
    ['source has not fired', [alertOne], [[{ t: '1', e: 'f' }, false]]],
    ['source fires', [alertOne, alertTwo(false)], [[{ t: '1', e: 'f' }, true], [{ s: '1', e: 'f' }, false]]],
    ['source resolved', [alertOne, alertTwo(true)], [[{ t: '1', e: 'f' }, false], [{ s: '1', e: 'f' }, false]]],
  ])('%s', (_name, alerts, expectations) => {
    for (const [labels, expected] of expectations) expect(muted(rules, labels, alerts, NOW)).toBe(expected);
  });
});

describe("the default pack's rule: an agent's P1 inhibits its P2/P3", () => {
  const rules = buildInhibitRules(
    parse(`
- { source_matchers: ['severity="P1"'], target_matchers: ['severity=~"P2|P3"'], equal: [agent_id] }
- name: storm
  source_matchers: ['alertname="AgentDown"']
  target_matchers: ['alertname!="AgentDown"']
  equal: [agent_id]
`) as InhibitRuleConfig[],
  );
  const p1 = { fingerprint: 'p1', labels: { alertname: 'ErrorSpike', severity: 'P1', agent_id: 'checkout' }, endsAt: NOW + HOUR, annotations: {} };
  const p1Longer = { ...p1, fingerprint: 'p1-long', labels: { ...p1.labels, alertname: 'LatencyHigh' }, endsAt: NOW + 2 * HOUR };
  const down = { fingerprint: 'down', labels: { alertname: 'AgentDown', severity: 'P1', agent_id: 'checkout' }, endsAt: 0, annotations: {} };

  test('reports the rule and the source that lasts longest', () => {
    const target = { alertname: 'TokenCost', severity: 'P2', agent_id: 'checkout' };
    const found = isInhibited(rules, target, [p1, p1Longer], NOW);
    expect(found?.ruleIndex).toBe(0);
    expect(found?.rule.name).toBeUndefined();
    expect(found?.source.fingerprint).toBe('p1-long');
    expect(found?.source.annotations).toEqual({}); // the caller's alert, as given
  });

  test('the first rule in config order wins', () => {
    const target = { alertname: 'TokenCost', severity: 'P2', agent_id: 'checkout' };
    const found = isInhibited(rules, target, [down, p1], NOW);
    expect([found?.ruleIndex, found?.source.fingerprint]).toEqual([0, 'down']);
    const p1Target = { alertname: 'ErrorSpike', severity: 'P1', agent_id: 'checkout' };
    const byStorm = isInhibited(rules, p1Target, [down, p1], NOW);
    expect([byStorm?.ruleIndex, byStorm?.rule.name, byStorm?.source.fingerprint]).toEqual([1, 'storm', 'down']);
  });

  test('other agents, P1s themselves and resolved P1s are not inhibited', () => {
    expect(isInhibited(rules, { severity: 'P2', agent_id: 'search' }, [p1], NOW)).toBeUndefined();
    expect(isInhibited(rules, { severity: 'P1', agent_id: 'checkout' }, [p1], NOW)).toBeUndefined();
    expect(isInhibited(rules, { severity: 'P3', agent_id: 'checkout' }, [{ ...p1, endsAt: NOW }], NOW)).toBeUndefined();
  });

  test('an alert never inhibits itself', () => {
    const both = buildInhibitRules([{ source_matchers: ['severity=~"P1|P2"'], target_matchers: ['severity=~"P1|P2"'], equal: ['agent_id'] }]);
    const a = { fingerprint: 'a', labels: { severity: 'P1', agent_id: 'x' }, endsAt: NOW + HOUR };
    expect(isInhibited(both, a.labels, [a], NOW)).toBeUndefined();
  });
});

describe('buildInhibitRule', () => {
  test('builds sorted matchers from every form', () => {
    expect(
      buildInhibitRule({
        name: 'p1',
        source_matchers: ['{severity="P1", team=~"a|b"}'],
        source_match: { env: 'prod' },
        target_match_re: { severity: 'P2|P3' },
        equal: ['agent_id', 'agent_id'],
      }),
    ).toEqual({
      name: 'p1',
      sourceMatchers: [
        { name: 'env', type: '=', value: 'prod' },
        { name: 'severity', type: '=', value: 'P1' },
        { name: 'team', type: '=~', value: 'a|b' },
      ],
      targetMatchers: [{ name: 'severity', type: '=~', value: '^(?:P2|P3)$' }],
      equal: ['agent_id'],
    });
  });

  test.each<[unknown, string]>([
    [[{ source_matchers: ['severity="P1"'] }, { target_matchers: ['severity=~"("'] }], 'inhibit_rules[1].target_matchers[0]: "severity=~\\"(\\"": failed to create matcher: invalid regular expression "(": missing closing )'],
    [[{ equal: ['agent_id', ''] }], 'inhibit_rules[0].equal[1]: invalid label name "" in equal list'],
    [[{ equal: 'agent_id' }], 'inhibit_rules[0].equal: must be a list of label names'],
    [[{ source_match: { 'a-b': 'c' } }], 'inhibit_rules[0].source_match.a-b: invalid label name "a-b"'],
    [[{ sources: [] }], 'inhibit_rules[0].sources: unknown field (expected one of name, source_matchers, target_matchers, equal, source_match, source_match_re, target_match, target_match_re)'],
    [['x'], 'inhibit_rules[0]: an inhibit rule must be a mapping'],
    [{}, 'inhibit_rules: must be a list of inhibit rules'],
  ])('rejects %j', (config, message) => {
    let err: unknown;
    try {
      buildInhibitRules(config as InhibitRuleConfig[]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InhibitRuleConfigError);
    expect((err as Error).message).toBe(message);
  });
});
