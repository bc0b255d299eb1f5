/**
 * How many notifications one turn of a flush pass may start. A turn's time budget covers its
 * flushes, but the sends it starts run their first steps (the stages, the body, the write to a
 * connection) in the microtasks right after it. At 10,000 due groups one turn started 1,200 sends,
 * and the event loop then went 150–550 ms without reading a response or a POST: the pages already
 * out waited behind the ones being started (bench/README.md, "A flush pass paced by the event loop").
 * So each turn is sized from the whole loop turn before it, the sends' steps and the I/O included.
 */
export class TurnPacer {
  private size: number;

  constructor(
    /** How long one turn of the event loop should take, the turn and its sends' first steps together. */
    private readonly targetMs: number,
    private readonly min = 8,
    private readonly max = 4096,
    initial = 64,
  ) {
    this.size = Math.min(max, Math.max(min, initial));
  }

  /** The notifications the next turn may start. */
  get limit(): number {
    return this.size;
  }

  /** The last turn started `sent` notifications, and `tookMs` passed from its start to the next turn's. */
  observe(sent: number, tookMs: number): void {
    if (sent === 0) return; // a turn of idle flushes says nothing about what a send costs
    if (tookMs > this.targetMs) this.size = Math.max(this.min, Math.floor((sent * this.targetMs) / tookMs));
    else if (sent >= this.size) this.size = Math.min(this.max, Math.ceil(this.size * 1.25)); // grows only when it was the bound
  }
}
