/** Input that ingestion refuses: `status` is the HTTP answer (400 bad data, 415 wrong media type). */
export class IngestError extends Error {
  constructor(
    readonly status: 400 | 415,
    message: string,
    /** What was refused, for vigil's counters: `decode`, `labels`, `out_of_order`, `histogram`, `media_type`. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

/** Prometheus' staleness marker is the NaN 0x7ff0000000000002; the CPU may set the quiet bit on the way. */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  scratch[0] = v;
  return words[0] === 2 && (words[1] & 0x7ff7ffff) === 0x7ff00000;
}
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
