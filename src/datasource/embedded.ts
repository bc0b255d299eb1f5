/**
 * The embedded datasource: vigil's own PromQL engine over a storage it is given (the in-memory
 * store today, the persistent TSDB later), answering as the Prometheus datasource answers.
 */
import { instantQuery, PromQLError, rangeQuery, type EngineOptions, type Queryable, type QueryValue } from '../promql/index.js';
import { DatasourceError, type Datasource, type InstantQueryResult, type InstantValue, type QueryOptions, type RangeQueryResult, type Series } from './types.js';

export interface EmbeddedDatasourceOptions extends EngineOptions {
  /** Receives the engine's warnings and infos, as the Prometheus datasource logs Prometheus'. */
  onWarnings?: (expr: string, warnings: string[]) => void;
}

export class EmbeddedDatasource implements Datasource {
  constructor(
    private readonly storage: Queryable,
    private readonly options: EmbeddedDatasourceOptions = {},
  ) {}

  async instantQuery(expr: string, time: number, options?: QueryOptions): Promise<InstantQueryResult> {
    options?.signal?.throwIfAborted();
    if (!Number.isFinite(time)) throw new DatasourceError('query', `query time must be a finite unix time in ms, got ${time}`);
    const r = this.run(() => instantQuery(this.storage, expr, time, this.engineOptions()));
    const warnings = [...r.warnings, ...r.infos];
    if (warnings.length) this.options.onWarnings?.(expr, warnings);
    return { value: toInstantValue(r.value), warnings };
  }

  async rangeQuery(expr: string, start: number, end: number, stepMs: number, options?: QueryOptions): Promise<RangeQueryResult> {
    options?.signal?.throwIfAborted();
    if (!(stepMs > 0) || !Number.isFinite(stepMs)) throw new DatasourceError('query', `range query step must be a positive number of milliseconds, got ${stepMs}`);
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw new DatasourceError('query', 'range query start and end must be finite unix times in ms');
    if (end < start) throw new DatasourceError('query', `range query end (${new Date(end).toISOString()}) is before its start (${new Date(start).toISOString()})`);
    const r = this.run(() => rangeQuery(this.storage, expr, start, end, stepMs, this.engineOptions()));
    const warnings = [...r.warnings, ...r.infos];
    if (warnings.length) this.options.onWarnings?.(expr, warnings);
    const value = toInstantValue(r.value);
    if (value.resultType !== 'matrix') throw new DatasourceError('protocol', `the engine answered a range query with a ${value.resultType}`);
    return { series: value.series, warnings };
  }

  private engineOptions(): EngineOptions {
    const { onWarnings: _, ...engine } = this.options;
    return engine;
  }

  /** Engine errors become the datasource errors the Prometheus datasource raises for the same answer. */
  private run<T>(query: () => T): T {
    try {
      return query();
    } catch (err) {
      if (err instanceof PromQLError) {
        const kind = err.kind === 'timeout' ? 'timeout' : 'query';
        throw new DatasourceError(kind, `the embedded engine rejected the query (${err.kind}): ${err.message}`);
      }
      throw err;
    }
  }
}

function toInstantValue(v: QueryValue): InstantValue {
  switch (v.type) {
    case 'vector':
      return { resultType: 'vector', samples: v.samples.map((s) => ({ metric: s.labels, value: s.value })) };
    case 'scalar':
      return { resultType: 'scalar', value: v.value };
    case 'string':
      return { resultType: 'string', value: v.value };
    case 'matrix':
      return {
        resultType: 'matrix',
        series: v.series.map((s): Series => {
          const points: [number, number][] = new Array(s.timestamps.length);
          for (let i = 0; i < s.timestamps.length; i++) points[i] = [s.timestamps[i], s.values[i]];
          return { metric: s.labels, points };
        }),
      };
  }
}
