import { TurnPacer } from '../../src/dispatch/pacer.js';

describe('TurnPacer', () => {
  it('shrinks a turn that overran the target in proportion to what it started', () => {
    const pacer = new TurnPacer(5, 8, 4096, 64);
    pacer.observe(64, 20); // four times the target: a quarter of the sends
    expect(pacer.limit).toBe(16);
    pacer.observe(16, 5.5);
    expect(pacer.limit).toBe(14);
  });

  it('grows by a quarter while the limit is what ended the turns, up to its bound', () => {
    const pacer = new TurnPacer(5, 8, 100, 64);
    pacer.observe(64, 3);
    expect(pacer.limit).toBe(80);
    pacer.observe(80, 3);
    expect(pacer.limit).toBe(100);
    pacer.observe(100, 1);
    expect(pacer.limit).toBe(100);
  });

  it('keeps its size when the turns ended for another reason, and after turns of idle flushes', () => {
    const pacer = new TurnPacer(5, 8, 4096, 64);
    pacer.observe(10, 1); // the time budget or the due groups ended it: no evidence that more fit
    expect(pacer.limit).toBe(64);
    pacer.observe(0, 50); // nothing was sent: the turn's time says nothing about a send's cost
    expect(pacer.limit).toBe(64);
  });

  it('never goes below its least size, however slow a turn was', () => {
    const pacer = new TurnPacer(5, 8, 4096, 64);
    pacer.observe(64, 10_000);
    expect(pacer.limit).toBe(8);
  });
});
