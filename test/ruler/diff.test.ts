import { diffRuleGroups, formatRuleDiff } from '../../src/ruler/index.js';

const local = [
  {
    name: 'a',
    interval: '1m',
    rules: [
      { alert: 'X', expr: 'up == 0', for: '5m', labels: { severity: 'P1', team: 'x' }, annotations: { summary: 's' } },
      { record: 'job:up:sum', expr: 'sum by (job) (up)' },
    ],
  },
  { name: 'b', rules: [{ alert: 'Y', expr: 'y > 1' }] },
];

describe('diffRuleGroups', () => {
  test("a ruler's re-serialization is no change: 60s is 1m, key order, trailing newlines, zero for/limit", () => {
    const remote = [
      {
        name: 'a',
        interval: '60s',
        limit: 0,
        source_tenants: [],
        rules: [
          { alert: 'X', expr: 'up == 0\n', for: '300s', labels: { team: 'x', severity: 'P1' }, annotations: { summary: 's' } },
          { record: 'job:up:sum', expr: 'sum by (job) (up)', for: '0s' },
        ],
      },
      { name: 'b', rules: [{ alert: 'Y', expr: 'y > 1', labels: {} }] },
    ];
    const d = diffRuleGroups(local, remote);
    expect(d).toEqual({ added: [], changed: [], deleted: [], unchanged: ['a', 'b'] });
    expect(formatRuleDiff(d)).toBe('0 to add, 0 to change, 0 to delete, 2 unchanged\n');
  });

  test('what differs is named per rule; new, gone and reordered rules and groups are seen', () => {
    const remote = [
      {
        name: 'a',
        interval: '2m',
        rules: [
          { record: 'job:up:sum', expr: 'sum by (job) (up)' },
          { alert: 'X', expr: 'up == 1', for: '5m', labels: { severity: 'P2', team: 'x' }, annotations: { summary: 's' } },
          { alert: 'Old', expr: 'old' },
        ],
      },
      { name: 'b', rules: [{ record: 'r', expr: 'x' }] },
      { name: 'gone', rules: [{ alert: 'Z', expr: 'z' }] },
    ];
    const d = diffRuleGroups([...local, { name: 'new', rules: [{ alert: 'N', expr: 'n' }] }], remote);
    expect(formatRuleDiff(d)).toBe(
      [
        '+ new (1 rules)',
        '~ a',
        '    group interval',
        '    rule X: expr, labels',
        '    rule Old deleted',
        '~ b',
        '    rule Y added',
        '    rule record r deleted',
        '- gone',
        '1 to add, 2 to change, 1 to delete, 0 unchanged',
        '',
      ].join('\n'),
    );
    const reordered = diffRuleGroups([local[0]], [{ ...local[0], rules: [...local[0].rules].reverse() }]);
    expect(reordered.changed).toEqual([{ local: local[0], details: ['rule order'] }]);
  });
});
