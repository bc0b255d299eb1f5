import { Counter, type Registry } from 'prom-client';

export type IngestionEndpoint = 'remote_write' | 'otlp';

/** What metrics ingestion took and refused, on vigil's own /metrics. */
export class IngestionMetrics {
  private readonly samples: Counter<'endpoint'>;
  private readonly refused: Counter<'endpoint' | 'reason'>;
  private readonly dropped: Counter<'endpoint' | 'reason'>;

  constructor(registry: Registry) {
    this.samples = new Counter({
      name: 'vigil_ingested_samples_total',
      help: 'Samples appended to the embedded TSDB by remote write and OTLP.',
      labelNames: ['endpoint'],
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'vigil_ingest_requests_refused_total',
      help: 'Remote-write and OTLP requests answered 4xx, by reason (decode, labels, out_of_order, histogram, media_type, too_large).',
      labelNames: ['endpoint', 'reason'],
      registers: [registry],
    });
    this.dropped = new Counter({
      name: 'vigil_ingest_points_dropped_total',
      help: 'OTLP data points dropped (reported in partialSuccess), by reason (delta_temporality, exponential_histogram, invalid_name, no_data).',
      labelNames: ['endpoint', 'reason'],
      registers: [registry],
    });
  }

  appended(endpoint: IngestionEndpoint, n: number): void {
    if (n > 0) this.samples.inc({ endpoint }, n);
  }

  refusedRequest(endpoint: IngestionEndpoint, reason: string): void {
    this.refused.inc({ endpoint, reason });
  }

  droppedPoints(endpoint: IngestionEndpoint, reason: string, n: number): void {
    if (n > 0) this.dropped.inc({ endpoint, reason }, n);
  }
}
