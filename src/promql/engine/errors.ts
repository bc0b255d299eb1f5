// Prometheus' API error types: bad_data for a query that cannot run, execution for one that failed.
export class PromQLError extends Error {
  constructor(message: string, readonly kind: 'bad_data' | 'execution' | 'timeout' = 'execution') {
    super(message);
    this.name = 'PromQLError';
  }
}

export const DUPLICATE_LABELSET = 'vector cannot contain metrics with the same labelset';
