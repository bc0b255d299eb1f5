/**
 * PrometheusDatasource against a small real HTTP server on loopback that plays the
 * parts a healthy Prometheus will not: auth, proxies, 5xx, hangs, odd answers.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatasourceError, PrometheusDatasource, type PrometheusDatasourceOptions } from '../../src/datasource/index.js';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  params: URLSearchParams;
  /** Resolves true when the client closed the connection before the answer was complete. */
  abandoned: Promise<boolean>;
}

type Handler = (req: Seen, res: ServerResponse) => void;

class FakePrometheus {
  readonly seen: Seen[] = [];
  handler: Handler = (_req, res) => json(res, 200, success('vector', []));
  inFlight = 0;
  maxInFlight = 0;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakePrometheus> {
    const server = createServer();
    const fake = new FakePrometheus(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        fake.inFlight++;
        fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
        const abandoned = new Promise<boolean>((resolve) =>
          res.once('close', () => {
            fake.inFlight--;
            resolve(!res.writableFinished);
          }),
        );
        const url = new URL(req.url ?? '/', 'http://x');
        const seen: Seen = { method: req.method ?? '', path: url.pathname, headers: req.headers, params: new URLSearchParams(body), abandoned };
        fake.seen.push(seen);
        fake.handler(seen, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function success(resultType: string, result: unknown, extra: Record<string, unknown> = {}) {
  return { status: 'success', data: { resultType, result }, ...extra };
}

function promError(errorType: string, error: string) {
  return { status: 'error', errorType, error };
}

function collectingLogger() {
  const lines: { obj: any; msg: string }[] = [];
  return { lines, warn: (obj: object, msg: string) => void lines.push({ obj, msg }) };
}

async function failure(p: Promise<unknown>): Promise<DatasourceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DatasourceError)) throw new Error(`expected a DatasourceError, got ${String(err)}`);
  return err;
}

/** Resolves with the value, or with 'pending' if it takes longer than ms. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms).unref())]);
}

let fake: FakePrometheus;
const open: PrometheusDatasource[] = [];

function datasource(options: Partial<PrometheusDatasourceOptions> = {}): PrometheusDatasource {
  const ds = new PrometheusDatasource({ url: fake.url, retryBaseDelayMs: 5, ...options });
  open.push(ds);
  return ds;
}

beforeEach(async () => {
  fake = await FakePrometheus.start();
});
afterEach(async () => {
  for (const ds of open.splice(0)) ds.close();
  await fake.stop();
});

describe('requests', () => {
  test('POSTs the form to the path under the URL prefix, with bearer token, headers and timeout', async () => {
    fake.handler = (_req, res) => json(res, 200, success('vector', [{ metric: { job: 'a' }, value: [1700000000.123, '1e+300'] }]));
    const ds = datasource({ url: `${fake.url}/prometheus/`, bearerToken: 's3cret-token', headers: { 'X-Scope-OrgID': 'team-a' }, timeoutMs: 5000 });
    const r = await ds.instantQuery('sum(rate(x[5m]))', 1_700_000_000_123);
    expect(r).toEqual({ value: { resultType: 'vector', samples: [{ metric: { job: 'a' }, value: 1e300 }] }, warnings: [] });
    const [req] = fake.seen;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/prometheus/api/v1/query');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers.authorization).toBe('Bearer s3cret-token');
    expect(req.headers['x-scope-orgid']).toBe('team-a');
    expect(Object.fromEntries(req.params)).toEqual({ query: 'sum(rate(x[5m]))', time: '1700000000.123', timeout: '5' });
  });

  test('basic auth, from the options or from the URL; credentials never appear in messages', async () => {
    fake.handler = (req, res) => {
      if (req.headers.authorization === `Basic ${Buffer.from('vigil:pa55word').toString('base64')}`) json(res, 200, success('scalar', [1, '2']));
      else json(res, 401, { status: 'error', errorType: 'unauthorized', error: 'bad credentials' });
    };
    const [host] = fake.url.split('//').slice(1);
    expect((await datasource({ basicAuth: { username: 'vigil', password: 'pa55word' } }).instantQuery('1', 0)).value).toEqual({ resultType: 'scalar', value: 2 });
    expect((await datasource({ url: `http://vigil:pa55word@${host}` }).instantQuery('1', 0)).value).toEqual({ resultType: 'scalar', value: 2 });

    const withUserinfo = datasource({ url: `http://vigil:wrong-pass@${host}/p`, retries: 3 });
    const err = await failure(withUserinfo.instantQuery('1', 0));
    expect(err).toMatchObject({ kind: 'auth', status: 401 });
    expect(err.message).toBe(`Prometheus at ${fake.url}/p refused the credentials (401 Unauthorized): bad credentials`);
    expect(err.message).not.toContain('wrong-pass');
    expect(withUserinfo.displayUrl).toBe(`${fake.url}/p`);
    expect(fake.seen).toHaveLength(3); // 401 is not retried
  });

  test('a token echoed back by a proxy is redacted', async () => {
    fake.handler = (req, res) => {
      res.writeHead(403, { 'Content-Type': 'text/plain' });
      res.end(`token ${req.headers.authorization} is not allowed here`);
    };
    const err = await failure(datasource({ bearerToken: 'tok-12345' }).instantQuery('up', 0));
    expect(err).toMatchObject({ kind: 'auth', status: 403 });
    expect(err.message).toBe(`Prometheus at ${fake.url} refused the credentials (403 Forbidden): token Bearer *** is not allowed here`);
  });

  test('constructor refuses two kinds of auth and non-http URLs', () => {
    expect(() => new PrometheusDatasource({ url: 'http://x', bearerToken: 'a', basicAuth: { username: 'u', password: 'p' } })).toThrow('not both');
    expect(() => new PrometheusDatasource({ url: 'ftp://x' })).toThrow('http:// or https://');
    expect(() => new PrometheusDatasource({ url: 'not a url' })).toThrow('not a valid URL');
  });
});

describe('answers', () => {
  test('sample values: NaN, +Inf, -Inf, exponents; timestamps to the millisecond', async () => {
    fake.handler = (_req, res) =>
      json(res, 200, success('matrix', [{ metric: { a: '1' }, values: [[1.001, 'NaN'], [2.5, '+Inf'], [3, '-Inf'], [4.999, '-1.5e-7']] }]));
    const r = await datasource().instantQuery('a[5s]', 5000);
    expect(r.value).toEqual({ resultType: 'matrix', series: [{ metric: { a: '1' }, points: [[1001, NaN], [2500, Infinity], [3000, -Infinity], [4999, -1.5e-7]] }] });
  });

  test('warnings and infos are returned and logged once', async () => {
    fake.handler = (_req, res) => json(res, 200, success('scalar', [1, '1'], { warnings: ['w1'], infos: ['PromQL info: i1'] }));
    const logger = collectingLogger();
    const r = await datasource({ logger }).instantQuery('x', 1000);
    expect(r.warnings).toEqual(['w1', 'PromQL info: i1']);
    expect(logger.lines).toEqual([{ obj: { datasource: fake.url, query: 'x', warnings: ['w1', 'PromQL info: i1'] }, msg: 'Prometheus answered with warnings' }]);
  });

  test("what is not Prometheus' API is a 'protocol' error", async () => {
    fake.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>Please log in</body></html>');
    };
    const err = await failure(datasource().instantQuery('x', 0));
    expect(err).toMatchObject({ kind: 'protocol', status: 200 });
    expect(err.message).toBe(`Prometheus at ${fake.url} sent an answer that is not Prometheus' query API (200 OK): <html><body>Please log in</body></html>`);

    fake.handler = (_req, res) => json(res, 200, success('vector', [{ metric: {}, value: [1, 'one'] }]));
    expect(await failure(datasource().instantQuery('x', 0))).toMatchObject({ kind: 'protocol', message: expect.stringContaining('malformed sample value "one"') });

    fake.handler = (_req, res) => json(res, 200, success('vector', [{ metric: {}, histogram: [1, {}] }]));
    expect(await failure(datasource().instantQuery('x', 0))).toMatchObject({ kind: 'protocol', message: expect.stringContaining('native histogram') });
  });

  test('404 hints at the path prefix; redirects are reported, not followed', async () => {
    fake.handler = (_req, res) => {
      res.writeHead(404);
      res.end('404 page not found');
    };
    const err = await failure(datasource({ retries: 2 }).instantQuery('x', 0));
    expect(err).toMatchObject({ kind: 'protocol', status: 404 });
    expect(err.message).toBe(`Prometheus at ${fake.url} has no /api/v1/query (404 Not Found); is the URL, including any path prefix, right?`);

    fake.handler = (_req, res) => {
      res.writeHead(302, { Location: 'https://sso.example.com/login?token=abc' });
      res.end();
    };
    const redirect = await failure(datasource().instantQuery('x', 0));
    expect(redirect).toMatchObject({ kind: 'protocol', status: 302 });
    expect(redirect.message).toBe(`Prometheus at ${fake.url} redirected the request to https://sso.example.com/login (302 Found); configure the final URL`);
    expect(fake.seen).toHaveLength(2);
  });
});

describe('errors and retries', () => {
  test('503 then 200: retried, answered, the retry logged', async () => {
    let calls = 0;
    fake.handler = (_req, res) => (calls++ === 0 ? json(res, 503, promError('unavailable', 'TSDB not ready')) : json(res, 200, success('scalar', [1, '42'])));
    const logger = collectingLogger();
    const r = await datasource({ logger }).instantQuery('x', 1000);
    expect(r.value).toEqual({ resultType: 'scalar', value: 42 });
    expect(fake.seen).toHaveLength(2);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ msg: 'Prometheus query failed; retrying', obj: { attempt: 1, error: expect.stringContaining('TSDB not ready') } });
  });

  test("5xx every time: 1 + retries attempts, then 'unavailable' quoting Prometheus", async () => {
    fake.handler = (_req, res) => json(res, 500, promError('internal', 'something broke'));
    const err = await failure(datasource({ retries: 2 }).instantQuery('x', 0));
    expect(err).toMatchObject({ kind: 'unavailable', status: 500 });
    expect(err.message).toBe(`Prometheus at ${fake.url} failed (internal, 500 Internal Server Error): something broke (gave up after 3 attempts)`);
    expect(fake.seen).toHaveLength(3);
  });

  test("400 and 422 are 'query' errors and never retried", async () => {
    fake.handler = (_req, res) => json(res, 400, promError('bad_data', '1:14: parse error: unexpected <EOF>'));
    const bad = await failure(datasource({ url: `${fake.url}/` }).instantQuery('sum(x) by (', 0));
    expect(bad).toMatchObject({ kind: 'query', status: 400 });
    expect(bad.message).toBe(`Prometheus at ${fake.url} rejected the query (bad_data): 1:14: parse error: unexpected <EOF>`);

    fake.handler = (_req, res) => json(res, 422, promError('execution', 'many-to-many matching not allowed'));
    expect(await failure(datasource().instantQuery('a + b', 0))).toMatchObject({ kind: 'query', status: 422 });
    expect(fake.seen).toHaveLength(2);
  });

  test("Prometheus' own query timeout (503 timeout) is a 'timeout' error", async () => {
    fake.handler = (_req, res) => json(res, 503, promError('timeout', 'query timed out in query execution'));
    const err = await failure(datasource({ retries: 1 }).instantQuery('x', 0));
    expect(err).toMatchObject({ kind: 'timeout', status: 503 });
    expect(err.message).toBe(`Prometheus at ${fake.url} gave up on the query (timeout): query timed out in query execution (gave up after 2 attempts)`);
  });

  test("429 is 'unavailable' and not retried", async () => {
    fake.handler = (_req, res) => json(res, 429, promError('unavailable', 'slow down'));
    expect(await failure(datasource().instantQuery('x', 0))).toMatchObject({ kind: 'unavailable', status: 429 });
    expect(fake.seen).toHaveLength(1);
  });

  test("nobody listening: 'unavailable' naming the socket error", async () => {
    const url = fake.url;
    await fake.stop();
    const err = await failure(new PrometheusDatasource({ url, retries: 1, retryBaseDelayMs: 1 }).instantQuery('x', 0));
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect(err.message).toBe(`Prometheus at ${url} is unreachable: connect ECONNREFUSED ${url.slice('http://'.length)} (gave up after 2 attempts)`);
    fake = await FakePrometheus.start(); // for afterEach
  });
});

describe('timeouts and cancellation', () => {
  const hang: Handler = () => {
    /* never answers */
  };

  test('a hanging Prometheus: the request is aborted after timeoutMs and the connection closed', async () => {
    fake.handler = hang;
    const started = Date.now();
    const err = await failure(datasource({ timeoutMs: 300, retries: 0 }).instantQuery('x', 0));
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ kind: 'timeout', status: undefined });
    expect(err.message).toBe(`Prometheus at ${fake.url} did not answer within 300ms`);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 1500);
    expect(fake.seen[0].params.get('timeout')).toBe('0.3');
    expect(await within(fake.seen[0].abandoned, 1000)).toBe(true);
  });

  test('timeouts are retried, each attempt closed', async () => {
    fake.handler = hang;
    const err = await failure(datasource({ timeoutMs: 100, retries: 1 }).instantQuery('x', 0));
    expect(err.message).toBe(`Prometheus at ${fake.url} did not answer within 100ms (gave up after 2 attempts)`);
    expect(fake.seen).toHaveLength(2);
    expect(await within(Promise.all(fake.seen.map((s) => s.abandoned)), 1000)).toEqual([true, true]);
  });

  test("the caller's AbortSignal cancels the request at once and stops retries", async () => {
    fake.handler = hang;
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    await expect(datasource({ timeoutMs: 10_000 }).instantQuery('x', 0, { signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fake.seen).toHaveLength(1);
    expect(await within(fake.seen[0].abandoned, 1000)).toBe(true);
  });

  test('an abort during the backoff wait ends it', async () => {
    fake.handler = (_req, res) => json(res, 503, promError('unavailable', 'down'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const err = await datasource({ retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 }).instantQuery('x', 0, { signal: controller.signal }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fake.seen).toHaveLength(1);
  });

  test('an already aborted signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(datasource().instantQuery('x', 0, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(datasource().rangeQuery('x', 0, 1000, 10, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(fake.seen).toHaveLength(0);
  });
});

describe('range query splitting', () => {
  /** Answers like Prometheus would for: series "all" everywhere, "first" before t=50s, "second" from t=50s. */
  const rangeHandler =
    (delayMs = 0): Handler =>
    (req, res) => {
      const start = Number(req.params.get('start'));
      const end = Number(req.params.get('end'));
      const step = Number(req.params.get('step'));
      const ts: number[] = [];
      for (let i = 0; start + i * step <= end + 1e-9; i++) ts.push(Math.round((start + i * step) * 1000) / 1000);
      const result = [
        { metric: { s: 'all' }, values: ts.map((t) => [t, String(t * 10)]) },
        { metric: { s: 'first' }, values: ts.filter((t) => t < 50).map((t) => [t, '1']) },
        { metric: { s: 'second' }, values: ts.filter((t) => t >= 50).map((t) => [t, '2']) },
      ].filter((s) => s.values.length > 0);
      setTimeout(() => json(res, 200, success('matrix', result, ts[0] === start ? { warnings: ['same warning'] } : {})), delayMs);
    };

  test('chunks are aligned to the step, at most 2 in flight, and merge to one answer', async () => {
    fake.handler = rangeHandler(20);
    const r = await datasource({ maxPointsPerChunk: 10 }).rangeQuery('x', 1_000, 100_500, 2_000);
    expect(fake.seen.map((s) => [s.path, s.params.get('start'), s.params.get('end'), s.params.get('step')])).toEqual([
      ['/api/v1/query_range', '1.000', '19.000', '2'],
      ['/api/v1/query_range', '21.000', '39.000', '2'],
      ['/api/v1/query_range', '41.000', '59.000', '2'],
      ['/api/v1/query_range', '61.000', '79.000', '2'],
      ['/api/v1/query_range', '81.000', '99.000', '2'],
    ]);
    expect(fake.maxInFlight).toBe(2);
    const all = Array.from({ length: 50 }, (_, i) => 1_000 + i * 2_000);
    expect(r).toEqual({
      series: [
        { metric: { s: 'all' }, points: all.map((t) => [t, t / 100]) },
        { metric: { s: 'first' }, points: all.filter((t) => t < 50_000).map((t) => [t, 1]) },
        { metric: { s: 'second' }, points: all.filter((t) => t >= 50_000).map((t) => [t, 2]) },
      ],
      warnings: ['same warning'],
    });
  });

  test('one failing chunk fails the query and cancels the chunk in flight', async () => {
    let calls = 0;
    fake.handler = (req, res) => {
      if (calls++ === 1) json(res, 422, promError('execution', 'too many samples'));
      // the others hang until cancelled
    };
    const err = await failure(datasource({ maxPointsPerChunk: 10, timeoutMs: 10_000 }).rangeQuery('x', 0, 100_000, 1_000));
    expect(err).toMatchObject({ kind: 'query', message: expect.stringContaining('too many samples') });
    expect(fake.seen).toHaveLength(2);
    expect(await within(fake.seen[0].abandoned, 1000)).toBe(true);
  });

  test('a range query answered with a vector is a protocol error', async () => {
    fake.handler = (_req, res) => json(res, 200, success('vector', []));
    expect(await failure(datasource().rangeQuery('x', 0, 1000, 1000))).toMatchObject({ kind: 'protocol' });
  });
});
