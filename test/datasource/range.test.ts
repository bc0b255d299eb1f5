import { labelsKey, mergeSeries, planChunks, PROMETHEUS_MAX_POINTS } from '../../src/datasource/range.js';

function timestamps(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let t = start; t <= end; t += step) out.push(t);
  return out;
}

describe('planChunks', () => {
  test('a range within the limit is one chunk', () => {
    expect(planChunks(0, 10_999 * 10, 10)).toEqual([{ start: 0, end: 109_990 }]);
  });

  test('chunks hold at most maxPoints timestamps, start on the step grid, and cover each timestamp once', () => {
    const start = 1_700_000_000_123;
    const step = 10_000;
    const end = start + 2 * 86_400_000 + 7_777; // not on the grid: the last point is the last grid time <= end
    const chunks = planChunks(start, end, step);
    expect(chunks).toHaveLength(2);
    const covered = chunks.flatMap((c) => {
      expect((c.start - start) % step).toBe(0);
      expect((c.end - c.start) / step + 1).toBeLessThanOrEqual(PROMETHEUS_MAX_POINTS);
      return timestamps(c.start, c.end, step);
    });
    expect(covered).toEqual(timestamps(start, end, step));
  });

  test('exact multiples and tiny chunks', () => {
    expect(planChunks(0, 5, 1, 3)).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 5 },
    ]);
    expect(planChunks(0, 6, 1, 3)).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 5 },
      { start: 6, end: 6 },
    ]);
    expect(planChunks(7, 7, 1000)).toEqual([{ start: 7, end: 7 }]);
  });
});

describe('mergeSeries', () => {
  test('joins series by label set whatever the key order, points ascending, one per timestamp', () => {
    const merged = mergeSeries([
      [
        { metric: { b: '2', a: '1' }, points: [[1, 1], [2, 2]] },
        { metric: { a: '0' }, points: [[1, 9]] },
      ],
      [
        { metric: { a: '1', b: '2' }, points: [[2, 2], [3, 3]] },
        { metric: { a: '2' }, points: [[3, 7]] },
      ],
    ]);
    expect(merged).toEqual([
      { metric: { a: '0' }, points: [[1, 9]] },
      { metric: { b: '2', a: '1' }, points: [[1, 1], [2, 2], [3, 3]] },
      { metric: { a: '2' }, points: [[3, 7]] },
    ]);
  });

  test('out-of-order parts are sorted; the first point at a timestamp wins', () => {
    const merged = mergeSeries([[{ metric: {}, points: [[5, 5]] }], [{ metric: {}, points: [[1, 1], [5, 6]] }]]);
    expect(merged).toEqual([{ metric: {}, points: [[1, 1], [5, 5]] }]);
  });

  test('labelsKey ignores key order and cannot be confused by separators in values', () => {
    expect(labelsKey({ a: '1', b: '2' })).toBe(labelsKey({ b: '2', a: '1' }));
    expect(labelsKey({ a: '1,b=2' })).not.toBe(labelsKey({ a: '1', b: '2' }));
  });
});
