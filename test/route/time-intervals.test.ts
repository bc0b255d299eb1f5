/** Alertmanager's time_intervals and the stage that applies a route's mute/active time intervals. */
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { buildRouteTree, buildTimeIntervals, intervalContains, TimeIntervalStage, type GroupFlush, type Route } from '../../src/route/index.js';

const at = (iso: string) => Date.parse(iso);

const INTERVALS = parse(`
- name: offhours
  time_intervals:
    - times: [{ start_time: "18:00", end_time: "24:00" }]
      weekdays: ["monday:friday"]
    - weekdays: [saturday, sunday]
- name: berlin-mornings
  time_intervals:
    - times: [{ start_time: "08:00", end_time: "12:00" }]
      location: Europe/Berlin
- name: month-end
  time_intervals:
    - days_of_month: ["-3:-1"]
      months: ["january:march", "12"]
      years: ["2026:2027"]
`);

describe('time intervals', () => {
  const intervals = buildTimeIntervals(INTERVALS);
  const holds = (name: string, iso: string) => intervals.get(name)!.some((i) => intervalContains(i, at(iso)));

  test('times are [start, end) in the interval\'s zone; weekday ranges; weekends', () => {
    expect(holds('offhours', '2026-11-02T17:59:00Z')).toBe(false); // a Monday
    expect(holds('offhours', '2026-11-02T18:00:00Z')).toBe(true);
    expect(holds('offhours', '2026-11-02T23:59:00Z')).toBe(true);
    expect(holds('offhours', '2026-11-03T00:00:00Z')).toBe(false);
    expect(holds('offhours', '2026-11-07T10:00:00Z')).toBe(true); // a Saturday
    // 08:00 in Berlin is 07:00 UTC in winter (CET), 06:00 UTC in summer (CEST)
    expect(holds('berlin-mornings', '2026-11-02T06:30:00Z')).toBe(false);
    expect(holds('berlin-mornings', '2026-11-02T07:00:00Z')).toBe(true);
    expect(holds('berlin-mornings', '2026-07-01T06:00:00Z')).toBe(true);
    expect(holds('berlin-mornings', '2026-07-01T10:00:00Z')).toBe(false);
  });

  test('negative days count back from the month\'s end; months and years by name or number', () => {
    expect(holds('month-end', '2026-02-26T12:00:00Z')).toBe(true); // February 2026 has 28 days
    expect(holds('month-end', '2026-02-25T12:00:00Z')).toBe(false);
    expect(holds('month-end', '2026-12-31T12:00:00Z')).toBe(true);
    expect(holds('month-end', '2026-11-30T12:00:00Z')).toBe(false); // November is not listed
    expect(holds('month-end', '2028-01-31T12:00:00Z')).toBe(false);
  });

  test('mistakes are named with their place', () => {
    const err = (yaml: string) => {
      try {
        buildTimeIntervals(parse(yaml));
      } catch (e) {
        return (e as Error).message;
      }
      return undefined;
    };
    expect(err('- name: a\n  time_intervals: [{ times: [{ start_time: "25:00", end_time: "26:00" }] }]')).toBe(
      'time_intervals[0].time_intervals[0].times[0].start_time: 25:00 is outside the day (00:00 to 24:00)',
    );
    expect(err('- name: a\n  time_intervals: [{ weekdays: [funday] }]')).toBe('time_intervals[0].time_intervals[0].weekdays[0]: "funday" is not a weekday or a range "a:b" of them');
    expect(err('- name: a\n  time_intervals: [{ location: Mars/Olympus }]')).toBe('time_intervals[0].time_intervals[0].location: unknown time zone "Mars/Olympus"');
    expect(err('- name: a\n- name: a')).toBe('time_intervals[1].name: time interval "a" is defined twice');
    expect(err('- name: a\n  time_intervals: [{ times: [{ start_time: "10:00", end_time: "09:00" }] }]')).toBe('time_intervals[0].time_intervals[0].times[0]: start_time must be before end_time');
  });

  test('the stage holds back a route\'s groups while a mute interval holds, or outside its active intervals', () => {
    const tree = buildRouteTree(
      parse(`
receiver: default
routes:
  - matchers: ['severity="P3"']
    receiver: quiet
    mute_time_intervals: [offhours]
  - matchers: ['severity="P2"']
    receiver: daytime
    active_time_intervals: [berlin-mornings]
`),
      { timeIntervals: intervals.keys() },
    );
    const stage = new TimeIntervalStage(intervals);
    const flush = (route: Route): GroupFlush => ({ groupKey: 'g', route, receiver: route.options.receiver, alerts: [], muted: new Map() });
    const [p3, p2] = tree.routes;
    const saturday = at('2026-11-07T14:00:00Z'); // 15:00 in Berlin
    const mondayMorningBerlin = at('2026-11-02T08:00:00Z');
    expect(stage.run(flush(p3), saturday)).toBeUndefined();
    expect(stage.run(flush(p3), mondayMorningBerlin)).toBeDefined();
    expect(stage.run(flush(p2), saturday)).toBeUndefined();
    expect(stage.run(flush(p2), mondayMorningBerlin)).toBeDefined();
    expect(stage.run(flush(tree), saturday)).toBeDefined(); // not inherited: the root has none
  });

  test('vigil.yaml: a route naming an undefined interval, or the root with one, is refused at its line', () => {
    const base = `datasource: { prometheus: { url: http://p:9090 } }\nreceivers: [{ name: a }]\ntime_intervals:\n  - name: weekends\n    time_intervals: [{ weekdays: [saturday, sunday] }]\n`;
    const errors = (text: string) => {
      try {
        parseConfig('vigil.yaml', text, {});
      } catch (e) {
        if (e instanceof ConfigError) return e.message.split('\n');
        throw e;
      }
      return [];
    };
    expect(errors(base + `route:\n  receiver: a\n  routes:\n    - receiver: a\n      mute_time_intervals: [weekends]\n`)).toEqual([]);
    expect(errors(base + `route:\n  receiver: a\n  routes:\n    - receiver: a\n      mute_time_intervals: [weekdays]\n`)).toEqual([
      'vigil.yaml:10:29: route.routes[0].mute_time_intervals[0]: undefined time interval "weekdays" used in route',
    ]);
    expect(errors(base + `route:\n  receiver: a\n  active_time_intervals: [weekends]\n`)).toEqual([
      'vigil.yaml:8:26: route.active_time_intervals: the root route must not have time intervals',
    ]);
    const c = parseConfig('vigil.yaml', base, {});
    expect([...c.timeIntervals.keys()]).toEqual(['weekends']);
  });
});
