/** What every datasource answers: Prometheus' query API, with times in Unix milliseconds. */

export type Labels = Record<string, string>;

/** One element of an instant vector. */
export interface Sample {
  metric: Labels;
  value: number;
}

/** One series of a range-query result. */
export interface Series {
  metric: Labels;
  /** [unix ms, value], ascending. */
  points: [number, number][];
}

export type InstantValue =
  | { resultType: 'vector'; samples: Sample[] }
  | { resultType: 'scalar'; value: number }
  | { resultType: 'string'; value: string }
  | { resultType: 'matrix'; series: Series[] };

export interface InstantQueryResult {
  value: InstantValue;
  /** Prometheus' warnings (and infos), already logged by the datasource. */
  warnings: string[];
}

export interface RangeQueryResult {
  series: Series[];
  warnings: string[];
}

export interface QueryOptions {
  signal?: AbortSignal;
}

export interface Datasource {
  /** Evaluates `expr` at one instant (unix ms). */
  instantQuery(expr: string, time: number, options?: QueryOptions): Promise<InstantQueryResult>;
  /** Evaluates `expr` at start, start+step, ... <= end (unix ms); long ranges are split transparently. */
  rangeQuery(expr: string, start: number, end: number, stepMs: number, options?: QueryOptions): Promise<RangeQueryResult>;
}

/**
 * Why a query failed. `query` means the expression itself is bad (Prometheus said
 * bad_data or execution); the others are the datasource's fault and may pass.
 */
export type DatasourceErrorKind = 'query' | 'timeout' | 'unavailable' | 'auth' | 'protocol';

export class DatasourceError extends Error {
  constructor(
    readonly kind: DatasourceErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DatasourceError';
  }
}
