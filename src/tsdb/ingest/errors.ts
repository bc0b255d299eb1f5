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

