// Prometheus' HTTP query API over the embedded engine (GET and form-encoded POST, as Prometheus
// takes them), in Prometheus' shapes and error bodies, so that promtool and Grafana's Prometheus
// datasource read vigil as they read Prometheus.
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  compareLabels, formatPrometheusJSON, instantQuery, parsePromQL, PromQLError, rangeQuery,
  type EngineOptions, type Queryable, type QueryResult, type SeriesMatcher,
} from '../promql/index.js';
import { durationParam, MAX_TIME_MS, MIN_TIME_MS, ParamError, timeParam } from './prom-params.js';

export interface PromQueryDeps {
  /** The storage queries read (the embedded TSDB), read per request; undefined → these paths are not found (a reload moved to a Prometheus). */
  storage: () => Queryable | undefined;
  /** Engine options (lookback, 2.x semantics) with the defaults of an API query: its timeout and max samples. */
  engine: EngineOptions & { timeoutMs: number; maxSamples: number };
  /** Reported by /api/v1/status/buildinfo. */
  version: string;
  /** Largest form body accepted. */
  maxRequestBytes: number;
  now?: () => number;
  /** Runs queries off the event loop (a QueryPool over the same storage); without one they run here. */
  engineRunner?: QueryRunner;
}

/** Where /api/v1/query and /api/v1/query_range run the engine. */
export interface QueryRunner {
  instant(expr: string, timeMs: number, opts: EngineOptions): Promise<QueryResult>;
  range(expr: string, startMs: number, endMs: number, stepMs: number, opts: EngineOptions): Promise<QueryResult>;
}

/** The query endpoints that take POST as a read (Prometheus' client libraries and Grafana POST queries). */
export const PROM_QUERY_POST_PATHS: readonly string[] = ['/api/v1/query', '/api/v1/query_range', '/api/v1/series', '/api/v1/labels', '/api/v1/query_exemplars'];

type ErrorType = 'bad_data' | 'execution' | 'timeout' | 'internal';
const STATUS: Record<ErrorType, number> = { bad_data: 400, execution: 422, timeout: 503, internal: 500 };

class ApiError extends Error {
  constructor(readonly type: ErrorType, message: string) {
    super(message);
  }
}

/** Prometheus' error body: `{"status":"error","errorType":…,"error":…}`. */
function sendError(res: Response, type: ErrorType, message: string): void {
  res.status(STATUS[type]).json({ status: 'error', errorType: type, error: message });
}

function sendData(res: Response, data: unknown, warnings: string[] = [], infos: string[] = []): void {
  const body: Record<string, unknown> = { status: 'success', data };
  if (warnings.length) body.warnings = warnings;
  if (infos.length) body.infos = infos;
  res.json(body);
}

/** Values of a form field: the POST body's first, then the URL's, as Go's Request.Form has them. */
function formValues(req: Request, name: string): string[] {
  const out: string[] = [];
  for (const source of [req.body as Record<string, unknown> | undefined, req.query as Record<string, unknown>]) {
    const v = source && typeof source === 'object' ? source[name] : undefined;
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.push(x);
  }
  return out;
}

const formValue = (req: Request, name: string): string | undefined => formValues(req, name)[0];

/**
 * Engine errors as Prometheus reports them: a query that does not parse or type-check is bad_data,
 * named `invalid parameter "query"` on /api/v1/query (Prometheus 2.42 does not name it on query_range).
 */
function engineError(err: unknown, param?: string): ApiError {
  if (err instanceof PromQLError) {
    if (err.kind === 'bad_data' && param) return new ApiError('bad_data', `invalid parameter ${JSON.stringify(param)}: ${err.message}`);
    return new ApiError(err.kind, err.message);
  }
  return new ApiError('internal', (err as Error).message);
}

/** The matcher sets of `match[]`: each must be a plain series selector, as Prometheus' ParseMetricSelector requires. */
function matcherSets(values: string[]): SeriesMatcher[][] {
  return values.map((v) => {
    const r = parsePromQL(v);
    if (!r.ast) {
      const d = r.diagnostics.find((x) => x.severity === 'error')!;
      const before = v.slice(0, d.from).split('\n');
      throw new ApiError('bad_data', `invalid parameter "match[]": ${before.length}:${before[before.length - 1].length + 1}: parse error: ${d.message}`);
    }
    if (r.ast.type !== 'VectorSelector' || r.ast.offset !== 0 || r.ast.at !== undefined) {
      throw new ApiError('bad_data', `invalid parameter "match[]": ${JSON.stringify(v)} is not a series selector such as up{job="api"}`);
    }
    return r.ast.matchers.map((m) => ({ type: m.op, name: m.name, value: m.value }));
  });
}

/** The label sets of every matcher set's series with samples in [start, end], each once (a series can match several sets). */
function selectSeries(storage: Queryable, sets: SeriesMatcher[][], start: number, end: number): Readonly<Record<string, string>>[] {
  // From the index when the storage has one: decoding every sample of every series to list labels held the loop for seconds.
  const labelsOf = (set: SeriesMatcher[]) => (storage.selectLabels ? storage.selectLabels(set, start, end) : storage.select(set, start, end).map((s) => s.labels));
  if (sets.length === 1) return labelsOf(sets[0]);
  const seen = new Set<string>();
  const out: Readonly<Record<string, string>>[] = [];
  for (const set of sets) {
    for (const labels of labelsOf(set)) {
      const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(labels);
    }
  }
  return out;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function promQueryRoutes(deps: PromQueryDeps): express.Router {
  const now = deps.now ?? Date.now;
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: deps.maxRequestBytes });

  /** An API query's engine options: the request's `timeout` may shorten the configured one, never lengthen it. */
  const engineOptions = (req: Request): EngineOptions => {
    const timeout = formValue(req, 'timeout');
    let timeoutMs = deps.engine.timeoutMs;
    if (timeout !== undefined && timeout !== '') timeoutMs = Math.min(timeoutMs, Math.max(0, durationParam('timeout', timeout)));
    return { ...deps.engine, timeoutMs };
  };

  type Answer = { data: unknown; warnings?: string[]; infos?: string[] };
  const handle = (paths: string | string[], post: boolean, fn: (req: Request, storage: Queryable) => Answer | Promise<Answer>) => {
    const run = async (req: Request, res: Response, next: NextFunction) => {
      const storage = deps.storage();
      if (!storage) return next();
      try {
        const { data, warnings, infos } = await fn(req, storage);
        sendData(res, data, warnings, infos);
      } catch (err) {
        if (err instanceof ParamError) sendError(res, 'bad_data', err.message);
        else if (err instanceof ApiError) sendError(res, err.type, err.message);
        else {
          const e = engineError(err);
          sendError(res, e.type, e.message);
        }
      }
    };
    r.get(paths, run);
    if (post) r.post(paths, (req, res, next) => (deps.storage() ? form(req, res, next) : next()), run);
  };

  const queried = async (q: () => QueryResult | Promise<QueryResult>, param?: string) => {
    let result: QueryResult;
    try {
      result = await q();
    } catch (err) {
      throw engineError(err, param);
    }
    return { data: formatPrometheusJSON(result.value), warnings: result.warnings, infos: result.infos };
  };

  handle('/api/v1/query', true, (req, storage) => {
    const time = timeParam('time', formValue(req, 'time'), now());
    const opts = engineOptions(req);
    const expr = formValue(req, 'query') ?? '';
    return queried(() => (deps.engineRunner ? deps.engineRunner.instant(expr, time, opts) : instantQuery(storage, expr, time, opts)), 'query');
  });

  handle('/api/v1/query_range', true, (req, storage) => {
    const start = timeParam('start', formValue(req, 'start'));
    const end = timeParam('end', formValue(req, 'end'));
    if (end < start) throw new ParamError('invalid parameter "end": end timestamp must not be before start time');
    const step = durationParam('step', formValue(req, 'step'));
    if (!(step > 0)) throw new ParamError('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
    // Prometheus' bound: (end - start) / step intervals, so at most 11,001 points
    if (Math.floor((end - start) / step) > 11000) {
      throw new ParamError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    const opts = engineOptions(req);
    const expr = formValue(req, 'query') ?? '';
    return queried(() => (deps.engineRunner ? deps.engineRunner.range(expr, start, end, step, opts) : rangeQuery(storage, expr, start, end, step, opts)));
  });

  handle('/api/v1/series', true, (req, storage) => {
    const match = formValues(req, 'match[]');
    if (match.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
    const start = timeParam('start', formValue(req, 'start'), MIN_TIME_MS);
    const end = timeParam('end', formValue(req, 'end'), MAX_TIME_MS);
    return { data: selectSeries(storage, matcherSets(match), start, end).sort(compareLabels) };
  });

  /** The series of match[] in [start, end]; without match[], every series that has `label` (any name: `__name__`). */
  const seriesFor = (req: Request, storage: Queryable, label = '__name__') => {
    const start = timeParam('start', formValue(req, 'start'), MIN_TIME_MS);
    const end = timeParam('end', formValue(req, 'end'), MAX_TIME_MS);
    const match = formValues(req, 'match[]');
    return selectSeries(storage, match.length ? matcherSets(match) : [[{ type: '=~', name: label, value: '.+' }]], start, end);
  };

  handle('/api/v1/labels', true, (req, storage) => {
    const names = new Set<string>();
    for (const s of seriesFor(req, storage)) for (const name of Object.keys(s)) names.add(name);
    return { data: [...names].sort(byCodePoint) };
  });

  handle('/api/v1/label/:name/values', false, (req, storage) => {
    const name = String(req.params.name);
    if (!LABEL_NAME.test(name)) throw new ApiError('bad_data', `invalid label name: ${JSON.stringify(name)}`);
    const values = new Set<string>();
    for (const s of seriesFor(req, storage, name)) if (s[name] !== undefined) values.add(s[name]);
    return { data: [...values].sort(byCodePoint) };
  });

  // Grafana's query editor asks for these; vigil keeps no metadata or exemplars.
  handle('/api/v1/metadata', false, () => ({ data: {} }));
  handle('/api/v1/query_exemplars', true, (req) => {
    timeParam('start', formValue(req, 'start'), MIN_TIME_MS);
    timeParam('end', formValue(req, 'end'), MAX_TIME_MS);
    return { data: [] };
  });

  handle('/api/v1/status/buildinfo', false, () => ({
    data: {
      version: deps.version,
      revision: 'unknown',
      branch: 'unknown',
      buildUser: 'unknown',
      buildDate: 'unknown',
      // the runtime in the field Prometheus fills with Go's
      goVersion: `node ${process.version}`,
    },
  }));

  return r;
}
