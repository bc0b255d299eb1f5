import { parse } from 'yaml';
import {
  DEFAULT_ROUTE_OPTIONS,
  RouteConfigError,
  alertmanagerGroupKey,
  alertmanagerRouteKey,
  buildRouteTree,
  groupKey,
  groupLabels,
  matchRoutes,
  walkRoutes,
  type RouteConfig,
} from '../../src/route/tree.js';
import type { Route, RouteOptions } from '../../src/route/types.js';

const def = { ...DEFAULT_ROUTE_OPTIONS };
const opts = (receiver: string, o: Partial<RouteOptions> = {}): RouteOptions => ({ receiver, ...def, ...o });
const tree = (yaml: string, receivers?: string[]): Route => buildRouteTree(parse(yaml) as RouteConfig, { receivers });

// dispatch/route_test.go TestRouteMatch: the deprecated match/match_re forms.
const routeMatchYaml = `
receiver: 'notify-def'

routes:
- match:
    owner: 'team-A'

  receiver: 'notify-A'

  routes:
  - match:
      env: 'testing'

    receiver: 'notify-testing'
    group_by: [...]

  - match:
      env: "production"

    receiver: 'notify-productionA'
    group_wait: 1m

    continue: true

  - match_re:
      env: "produ.*"
      job: ".*"

    receiver: 'notify-productionB'
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 1h
    group_by: ['job']

- match_re:
    owner: 'team-(B|C)'

  group_by: ['foo', 'bar']
  group_wait: 2m
  receiver: 'notify-BC'

- match:
    group_by: 'role'
  group_by: ['role']

  routes:
  - match:
      env: 'testing'
    receiver: 'notify-testing'
    routes:
    - match:
        wait: 'long'
      group_wait: 2m
`;

// dispatch/route_test.go TestRouteMatchers: the same tree written with matchers.
const routeMatchersYaml = `
receiver: 'notify-def'

routes:
- matchers: ['{owner="team-A"}', '{level!="critical"}']

  receiver: 'notify-A'

  routes:
  - matchers: ['{env="testing"}', '{baz!~".*quux"}']

    receiver: 'notify-testing'
    group_by: [...]

  - matchers: ['{env="production"}']

    receiver: 'notify-productionA'
    group_wait: 1m

    continue: true

  - matchers: [ env=~"produ.*", job=~".*"]

    receiver: 'notify-productionB'
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 1h
    group_by: ['job']


- matchers: [owner=~"team-(B|C)"]

  group_by: ['foo', 'bar']
  group_wait: 2m
  receiver: 'notify-BC'

- matchers: [group_by="role"]
  group_by: ['role']

  routes:
  - matchers: ['{env="testing"}']
    receiver: 'notify-testing'
    routes:
    - matchers: [wait="long"]
      group_wait: 2m
`;

type Case = [Record<string, string>, RouteOptions[], string[]];

describe('matchRoutes (Alertmanager dispatch/route_test.go TestRouteMatch)', () => {
  const root = tree(routeMatchYaml);
  test.each<Case>([
    [{ owner: 'team-A' }, [opts('notify-A')], ['{}/{owner="team-A"}']],
    [{ owner: 'team-A', env: 'unset' }, [opts('notify-A')], ['{}/{owner="team-A"}']],
    [{ owner: 'team-C' }, [opts('notify-BC', { groupBy: ['foo', 'bar'], groupWaitMs: 120_000 })], ['{}/{owner=~"^(?:team-(B|C))$"}']],
    [{ owner: 'team-A', env: 'testing' }, [opts('notify-testing', { groupBy: 'all' })], ['{}/{owner="team-A"}/{env="testing"}']],
    [
      { owner: 'team-A', env: 'production' },
      [
        opts('notify-productionA', { groupWaitMs: 60_000 }),
        opts('notify-productionB', { groupBy: ['job'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000 }),
      ],
      ['{}/{owner="team-A"}/{env="production"}', '{}/{owner="team-A"}/{env=~"^(?:produ.*)$",job=~"^(?:.*)$"}'],
    ],
    [{ group_by: 'role' }, [opts('notify-def', { groupBy: ['role'] })], ['{}/{group_by="role"}']],
    [{ env: 'testing', group_by: 'role' }, [opts('notify-testing', { groupBy: ['role'] })], ['{}/{group_by="role"}/{env="testing"}']],
    [
      { env: 'testing', group_by: 'role', wait: 'long' },
      [opts('notify-testing', { groupBy: ['role'], groupWaitMs: 120_000 })],
      ['{}/{group_by="role"}/{env="testing"}/{wait="long"}'],
    ],
    [{ owner: 'team-Z' }, [opts('notify-def')], ['{}']],
  ])('%j', (labels, options, amKeys) => {
    const routes = matchRoutes(root, labels);
    expect(routes.map((r) => r.options)).toEqual(options);
    expect(routes.map(alertmanagerRouteKey)).toEqual(amKeys);
  });
});

describe('matchRoutes (Alertmanager dispatch/route_test.go TestRouteMatchers)', () => {
  const root = tree(routeMatchersYaml);
  test.each<Case>([
    [{ owner: 'team-A' }, [opts('notify-A')], ['{}/{level!="critical",owner="team-A"}']],
    [{ owner: 'team-A', env: 'unset' }, [opts('notify-A')], ['{}/{level!="critical",owner="team-A"}']],
    [{ owner: 'team-C' }, [opts('notify-BC', { groupBy: ['foo', 'bar'], groupWaitMs: 120_000 })], ['{}/{owner=~"team-(B|C)"}']],
    [
      { owner: 'team-A', env: 'testing' },
      [opts('notify-testing', { groupBy: 'all' })],
      ['{}/{level!="critical",owner="team-A"}/{baz!~".*quux",env="testing"}'],
    ],
    [
      { owner: 'team-A', env: 'production' },
      [
        opts('notify-productionA', { groupWaitMs: 60_000 }),
        opts('notify-productionB', { groupBy: ['job'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000 }),
      ],
      ['{}/{level!="critical",owner="team-A"}/{env="production"}', '{}/{level!="critical",owner="team-A"}/{env=~"produ.*",job=~".*"}'],
    ],
    [{ group_by: 'role' }, [opts('notify-def', { groupBy: ['role'] })], ['{}/{group_by="role"}']],
    [{ env: 'testing', group_by: 'role' }, [opts('notify-testing', { groupBy: ['role'] })], ['{}/{group_by="role"}/{env="testing"}']],
    [
      { env: 'testing', group_by: 'role', wait: 'long' },
      [opts('notify-testing', { groupBy: ['role'], groupWaitMs: 120_000 })],
      ['{}/{group_by="role"}/{env="testing"}/{wait="long"}'],
    ],
    // level="critical" fails team A's level!="critical"; no other child matches: the root takes it.
    [{ owner: 'team-A', level: 'critical' }, [opts('notify-def')], ['{}']],
  ])('%j', (labels, options, amKeys) => {
    const routes = matchRoutes(root, labels);
    expect(routes.map((r) => r.options)).toEqual(options);
    expect(routes.map(alertmanagerRouteKey)).toEqual(amKeys);
  });
});

describe('buildRouteTree', () => {
  test('walks in Alertmanager order (TestRouteWalk)', () => {
    const receivers: string[] = [];
    walkRoutes(tree(routeMatchYaml), (r) => receivers.push(r.options.receiver));
    expect(receivers).toEqual([
      'notify-def',
      'notify-A',
      'notify-testing',
      'notify-productionA',
      'notify-productionB',
      'notify-BC',
      'notify-def',
      'notify-testing',
      'notify-testing',
    ]);
  });

  test("children inherit group_by: ['...'] unless they set their own (TestInheritParentGroupByAll)", () => {
    const root = tree(`
receiver: r
routes:
- matchers: ['env="parent"']
  group_by: ['...']
  routes:
  - matchers: ['env="child1"']
  - matchers: ['env="child2"']
    group_by: ['foo']
`);
    const parent = root.routes[0];
    expect(parent.options.groupBy).toBe('all');
    expect(parent.routes[0].options.groupBy).toBe('all');
    expect(parent.routes[1].options.groupBy).toEqual(['foo']);
  });

  test('an explicit empty group_by resets grouping to one group per route', () => {
    const root = tree(`
receiver: r
group_by: [alertname]
routes:
- { matchers: ['a="1"'], group_by: [] }
- { matchers: ['a="2"'] }
`);
    expect(root.routes[0].options.groupBy).toEqual([]);
    expect(root.routes[1].options.groupBy).toEqual(['alertname']);
  });

  test('defaults at the root, inheritance below (the issue 4 tree)', () => {
    const root = tree(
      `
receiver: observe
group_by: [alertname, agent_id]
group_wait: 10s
routes:
  - { matchers: ['severity="P1"'], receiver: page, repeat_interval: 1h }
  - { matchers: ['severity="P2"'], receiver: triage }
  - { matchers: ['severity="P3"'], receiver: observe, group_interval: 15m }
`,
      ['page', 'triage', 'observe'],
    );
    expect(root.key).toBe('{}');
    expect(root.options).toEqual({ receiver: 'observe', groupBy: ['alertname', 'agent_id'], groupWaitMs: 10_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 });
    expect(root.routes.map((r) => [r.key, r.options])).toEqual([
      ['{}/{severity="P1"}/0', { receiver: 'page', groupBy: ['alertname', 'agent_id'], groupWaitMs: 10_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000 }],
      ['{}/{severity="P2"}/1', { receiver: 'triage', groupBy: ['alertname', 'agent_id'], groupWaitMs: 10_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 }],
      ['{}/{severity="P3"}/2', { receiver: 'observe', groupBy: ['alertname', 'agent_id'], groupWaitMs: 10_000, groupIntervalMs: 900_000, repeatIntervalMs: 14_400_000 }],
    ]);
    const labels = { alertname: 'ErrorSpike', agent_id: 'checkout', severity: 'P1' };
    expect(matchRoutes(root, labels).map((r) => r.options.receiver)).toEqual(['page']);
    expect(matchRoutes(root, { ...labels, severity: 'P4' }).map((r) => r.options.receiver)).toEqual(['observe']);
  });

  test('root defaults are Alertmanager’s', () => {
    expect(tree('receiver: r').options).toEqual({ receiver: 'r', groupBy: [], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 });
  });

  test('continue fans out to later siblings; without it the first match wins', () => {
    const root = tree(`
receiver: default
routes:
  - { matchers: ['severity="P1"'], receiver: page, continue: true }
  - { matchers: ['severity="P1"'], receiver: slack }
  - { matchers: ['severity=~"P."'], receiver: never }
`);
    const routes = matchRoutes(root, { severity: 'P1' });
    expect(routes.map((r) => r.options.receiver)).toEqual(['page', 'slack']);
    // same matchers, distinct identities
    expect(routes.map((r) => r.key)).toEqual(['{}/{severity="P1"}/0', '{}/{severity="P1"}/1']);
    expect(matchRoutes(root, { severity: 'P2' }).map((r) => r.options.receiver)).toEqual(['never']);
  });

  test('a matching child with no matching grandchildren takes the alert; a non-matching root takes none', () => {
    const root = tree(`
receiver: default
routes:
  - matchers: ['team="a"']
    receiver: a
    routes: [{ matchers: ['env="prod"'], receiver: a-prod }]
`);
    expect(matchRoutes(root, { team: 'a', env: 'dev' }).map((r) => r.options.receiver)).toEqual(['a']);
    expect(matchRoutes(root, { team: 'a', env: 'prod' }).map((r) => r.options.receiver)).toEqual(['a-prod']);
    expect(matchRoutes(root.routes[0], { team: 'b' })).toEqual([]);
  });

  test('route keys: matchers and position at every step, so unique in the tree', () => {
    const keys: string[] = [];
    walkRoutes(tree(routeMatchYaml), (r) => keys.push(r.key));
    expect(keys).toEqual([
      '{}',
      '{}/{owner="team-A"}/0',
      '{}/{owner="team-A"}/0/{env="testing"}/0',
      '{}/{owner="team-A"}/0/{env="production"}/1',
      '{}/{owner="team-A"}/0/{env=~"^(?:produ.*)$",job=~"^(?:.*)$"}/2',
      '{}/{owner=~"^(?:team-(B|C))$"}/1',
      '{}/{group_by="role"}/2',
      '{}/{group_by="role"}/2/{env="testing"}/0',
      '{}/{group_by="role"}/2/{env="testing"}/0/{wait="long"}/0',
    ]);
  });

  test('same matchers in two subtrees (continue): distinct keys, one Alertmanager key', () => {
    const root = tree(`
receiver: default
routes:
  - { matchers: ['team="a"'], continue: true, routes: [{ matchers: ['severity="P1"'], receiver: pager }] }
  - { matchers: ['team="a"'], routes: [{ matchers: ['severity="P1"'], receiver: slack }] }
`);
    const routes = matchRoutes(root, { team: 'a', severity: 'P1' });
    expect(routes.map((r) => [r.options.receiver, r.key, alertmanagerRouteKey(r)])).toEqual([
      ['pager', '{}/{team="a"}/0/{severity="P1"}/0', '{}/{team="a"}/{severity="P1"}'],
      ['slack', '{}/{team="a"}/1/{severity="P1"}/0', '{}/{team="a"}/{severity="P1"}'],
    ]);
    expect(new Set(routes.map((r) => groupKey(r, { team: 'a' }))).size).toBe(2);
  });

  test('several matchers in one entry, and across entries, are all required (and sorted in the key)', () => {
    const root = tree(`
receiver: default
routes:
  - { matchers: ['{team="a", env="prod"}', 'tier!="batch"'], receiver: x }
`);
    expect(root.routes[0].key).toBe('{}/{env="prod",team="a",tier!="batch"}/0');
    expect(matchRoutes(root, { team: 'a', env: 'prod' })[0].options.receiver).toBe('x');
    expect(matchRoutes(root, { team: 'a', env: 'prod', tier: 'batch' })[0].options.receiver).toBe('default');
  });

  test.each<[string, string[] | undefined, string]>([
    ['routes: []', undefined, 'route.receiver: the root route must specify a default receiver'],
    ["receiver: r\nmatchers: ['a=\"b\"']", undefined, 'route.matchers: the root route must not have any matchers: it takes every alert'],
    ['receiver: r\nmatch: { a: b }', undefined, 'route.match: the root route must not have any matchers: it takes every alert'],
    ['receiver: r\ncontinue: true', undefined, 'route.continue: cannot have continue in the root route'],
    ['receiver: r\ngroup_wait: 5x', undefined, 'route.group_wait: "5x" is not a duration (e.g. 5m, 1h30m)'],
    ['receiver: r\ngroup_wait: 30', undefined, 'route.group_wait: must be a duration string such as "5m", not 30'],
    ['receiver: r\ngroup_interval: 0s', undefined, 'route.group_interval: group_interval cannot be zero'],
    ['receiver: r\nroutes: [{ repeat_interval: 0s }]', undefined, 'route.routes[0].repeat_interval: repeat_interval cannot be zero'],
    ["receiver: r\ngroup_by: ['...', alertname]", undefined, "route.group_by: cannot have wildcard group_by ('...') and other labels at the same time"],
    ['receiver: r\ngroup_by: [a, b, a]', undefined, 'route.group_by[2]: duplicated label "a" in group_by'],
    ["receiver: r\ngroup_by: ['']", undefined, 'route.group_by[0]: invalid label name "" in group_by list'],
    [
      "receiver: r\nroutes:\n  - receiver: a\n  - receiver: b\n    routes: [{ matchers: ['severity=\"P1\"', 'agent_id=~\"(\"'] }]",
      undefined,
      'route.routes[1].routes[0].matchers[1]: "agent_id=~\\"(\\"": failed to create matcher: invalid regular expression "(": missing closing )',
    ],
    ["receiver: r\nroutes: [{ matchers: ['a!b'] }]", undefined, `route.routes[0].matchers[0]: "a!b": 1:2: !: expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'`],
    ["receiver: r\nroutes: [{ matchers: 'a=\"b\"' }]", undefined, `route.routes[0].matchers: must be a list of matchers such as 'severity="P1"'`],
    ['receiver: r\nroutes: [{ match_re: { a: "(" } }]', undefined, 'route.routes[0].match_re.a: invalid regular expression "(": missing closing )'],
    ['receiver: r\nroutes: [{ match: { "a.b": c } }]', undefined, 'route.routes[0].match.a.b: invalid label name "a.b"'],
    ['receiver: r\nroutes: [{ receiver: nope }]', ['r'], 'route.routes[0].receiver: undefined receiver "nope" used in route'],
    ['receiver: nope', ['r'], 'route.receiver: undefined receiver "nope" used in route'],
    ['receiver: r\nmute_time_intervals: [night]', undefined, 'route.mute_time_intervals: the root route must not have time intervals'],
    ['receiver: r\nroutes: [{ recevier: x }]', undefined, 'route.routes[0].recevier: unknown field (expected one of receiver, group_by, group_wait, group_interval, repeat_interval, matchers, match, match_re, continue, routes, mute_time_intervals, active_time_intervals)'],
    ['receiver: r\nroutes: [{ continue: "yes" }]', undefined, 'route.routes[0].continue: must be true or false'],
    ['receiver: r\nroutes: [null]', undefined, 'route.routes[0]: a route must be a mapping'],
  ])('rejects %j', (yaml, receivers, message) => {
    let err: unknown;
    try {
      tree(yaml, receivers);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RouteConfigError);
    expect((err as Error).message).toBe(message);
  });

  test('errors carry the route path and field apart', () => {
    try {
      buildRouteTree(parse('receiver: r\nroutes: [{}, { routes: [{ group_wait: 1 }] }]'), { path: 'vigil.yaml:route' });
      throw new Error('expected an error');
    } catch (err) {
      expect(err).toBeInstanceOf(RouteConfigError);
      expect((err as RouteConfigError).path).toBe('vigil.yaml:route.routes[1].routes[0]');
      expect((err as RouteConfigError).field).toBe('group_wait');
    }
  });
});

describe('group labels and keys', () => {
  const root = tree(`
receiver: observe
group_by: [alertname, agent_id]
routes:
  - { matchers: ['severity="P1"'], receiver: page }
  - { matchers: ['severity="P2"'], receiver: triage, group_by: ['...'] }
  - { matchers: ['severity="P3"'], receiver: observe, group_by: [] }
`);
  const [p1, p2, p3] = root.routes;
  const alert = { alertname: 'ErrorSpike', agent_id: 'checkout', severity: 'P1', instance: 'a:9090' };

  test('group_by picks the labels the alert has', () => {
    expect(groupLabels(p1, alert)).toEqual({ agent_id: 'checkout', alertname: 'ErrorSpike' });
    expect(groupLabels(p1, { alertname: 'ErrorSpike' })).toEqual({ alertname: 'ErrorSpike' });
    expect(groupLabels(p2, alert)).toEqual(alert);
    expect(groupLabels(p3, alert)).toEqual({});
  });

  test('group_by in any order gives the labels in label order; a name of Object.prototype is a label like any other', () => {
    const r = tree(`receiver: observe\ngroup_by: [severity, constructor, alertname]\n`);
    expect(Object.keys(groupLabels(r, alert))).toEqual(['alertname', 'severity']);
    expect(Object.entries(groupLabels(r, { ...alert, constructor: 'x' }))).toEqual([['alertname', 'ErrorSpike'], ['constructor', 'x'], ['severity', 'P1']]);
    expect(groupKey(r, alert)).toBe(groupKey(r, { severity: 'P1', instance: 'b', alertname: 'ErrorSpike' }));
  });

  test('keys are the route key and the group labels, as Alertmanager prints them', () => {
    expect(groupKey(p1, alert)).toBe('{}/{severity="P1"}/0:{agent_id="checkout", alertname="ErrorSpike"}');
    expect(alertmanagerGroupKey(p1, alert)).toBe('{}/{severity="P1"}:{agent_id="checkout", alertname="ErrorSpike"}');
    expect(groupKey(p2, alert)).toBe('{}/{severity="P2"}/1:{agent_id="checkout", alertname="ErrorSpike", instance="a:9090", severity="P1"}');
    expect(groupKey(p3, alert)).toBe('{}/{severity="P3"}/2:{}');
    expect(groupKey(root, alert)).toBe('{}:{agent_id="checkout", alertname="ErrorSpike"}');
    expect(alertmanagerGroupKey(root, alert)).toBe('{}:{agent_id="checkout", alertname="ErrorSpike"}');
  });

  test('keys are stable: label order does not matter, values are Go-quoted', () => {
    const a = groupKey(p1, { agent_id: 'x"y\n', alertname: 'A', other: '1' });
    const b = groupKey(p1, { other: '2', alertname: 'A', agent_id: 'x"y\n' });
    expect(a).toBe(b);
    expect(a).toBe('{}/{severity="P1"}/0:{agent_id="x\\"y\\n", alertname="A"}');
  });
});
