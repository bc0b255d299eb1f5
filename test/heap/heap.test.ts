import { TimeHeap } from '../../src/heap/index.js';

describe('TimeHeap', () => {
  test('pops in time order, whatever the order of pushes and pops, ties included', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const heap = new TimeHeap<number>();
    const reference: { at: number; id: number }[] = [];
    let id = 0;
    for (let round = 0; round < 5_000; round++) {
      if (random() < 0.6 || reference.length === 0) {
        const at = Math.floor(random() * 200);
        heap.push(at, id);
        reference.push({ at, id: id++ });
      } else {
        const earliest = Math.min(...reference.map((r) => r.at));
        expect(heap.peek()).toBe(earliest);
        const popped = heap.peekValue() as number;
        const i = reference.findIndex((r) => r.id === popped);
        expect(reference[i].at).toBe(earliest); // a value queued at the earliest time, not another one
        reference.splice(i, 1);
        heap.pop();
      }
      expect(heap.size).toBe(reference.length);
    }
  });

  test('empty: nothing to peek, and a pop does nothing', () => {
    const heap = new TimeHeap<string>();
    heap.pop();
    expect([heap.size, heap.peek(), heap.peekValue()]).toEqual([0, undefined, undefined]);
    heap.push(5, 'a');
    heap.pop();
    expect([heap.size, heap.peek(), heap.peekValue()]).toEqual([0, undefined, undefined]);
  });
});
