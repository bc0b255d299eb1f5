// The storage the PromQL engine reads: series selected by matchers over a time range.
export type MatchType = '=' | '!=' | '=~' | '!~';

export interface SeriesMatcher {
  type: MatchType;
  name: string;
  /** For =~ and !~ a RE2 pattern, fully anchored as Prometheus anchors it. */
  value: string;
}

export interface SeriesData {
  /** All labels, __name__ included. */
  labels: Readonly<Record<string, string>>;
  /** Sample times in milliseconds since the epoch, ascending. */
  timestamps: Float64Array;
  /** Sample values; a staleness marker is NaN here and 1 in `stale`. */
  values: Float64Array;
  /** 1 where the sample is a staleness marker; absent when the series has none. */
  stale?: Uint8Array;
}

export interface Queryable {
  /** True when select() answers in Prometheus' label order already (the engine then does not sort). */
  readonly sortedByLabels?: boolean;
  /** Series matching every matcher with at least one sample in [mint, maxt] (ms, inclusive); samples outside the range may be included. */
  select(matchers: readonly SeriesMatcher[], mint: number, maxt: number): SeriesData[];
  /** The labels alone of the series select() would return (a storage with an index answers without decoding samples). */
  selectLabels?(matchers: readonly SeriesMatcher[], mint: number, maxt: number): Readonly<Record<string, string>>[];
}
