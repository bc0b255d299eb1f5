/**
 * A loopback Grafana that checks the annotations HTTP API contract: service-account bearer token,
 * JSON bodies, `time`/`timeEnd` as epoch milliseconds, a non-empty `text`, `tags` as strings, PATCH
 * only of annotations it knows (404 otherwise). It keeps the annotations, so a test can look at the
 * region, and can be told to answer 429/5xx for the next requests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredAnnotation {
  id: number;
  time: number;
  timeEnd: number;
  text: string;
  tags: string[];
  dashboardUID?: string;
  panelId?: number;
}

export interface GrafanaRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface LoopbackGrafana {
  readonly url: string;
  readonly token: string;
  readonly requests: GrafanaRequest[];
  readonly annotations: Map<number, StoredAnnotation>;
  /** The next `n` requests get this status (and headers) instead of being served. */
  fail(n: number, status: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

/** Grafana takes epoch milliseconds; seconds (10 digits) would land in 1970. */
const isMillis = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 1e11;

function problems(body: Record<string, unknown>, creating: boolean): string | undefined {
  if (creating || 'time' in body) if (!isMillis(body.time)) return 'time must be epoch milliseconds';
  if ('timeEnd' in body && !isMillis(body.timeEnd)) return 'timeEnd must be epoch milliseconds';
  if (creating || 'text' in body) if (typeof body.text !== 'string' || body.text.trim() === '') return 'text must be a non-empty string';
  if (creating || 'tags' in body) if (!Array.isArray(body.tags) || !body.tags.every((t) => typeof t === 'string')) return 'tags must be an array of strings';
  if ('dashboardUID' in body && typeof body.dashboardUID !== 'string') return 'dashboardUID must be a string';
  if ('panelId' in body && typeof body.panelId !== 'number') return 'panelId must be a number';
  return undefined;
}

export async function startGrafana(token = 'glsa_test_token'): Promise<LoopbackGrafana> {
  const requests: GrafanaRequest[] = [];
  const annotations = new Map<number, StoredAnnotation>();
  const queue: { status: number; headers?: Record<string, string> }[] = [];
  let nextId = 100;

  const answer = (method: string, path: string, headers: http.IncomingHttpHeaders, raw: string): [number, unknown, Record<string, string>?] => {
    const forced = queue.shift();
    if (forced) return [forced.status, { message: `forced ${forced.status}` }, forced.headers];
    if (headers.authorization !== `Bearer ${token}`) return [401, { message: 'Unauthorized' }];
    if (!/^application\/json\b/.test(headers['content-type'] ?? '')) return [415, { message: 'Content-Type must be application/json' }];
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return [400, { message: 'bad request data' }];
    }
    if (method === 'POST' && path === '/api/annotations') {
      const p = problems(body, true);
      if (p) return [400, { message: p }];
      const id = nextId++;
      const time = body.time as number;
      annotations.set(id, {
        id,
        time,
        timeEnd: (body.timeEnd as number | undefined) ?? time, // a point annotation ends where it starts
        text: body.text as string,
        tags: body.tags as string[],
        ...(body.dashboardUID !== undefined ? { dashboardUID: body.dashboardUID as string } : {}),
        ...(body.panelId !== undefined ? { panelId: body.panelId as number } : {}),
      });
      return [200, { message: 'Annotation added', id }];
    }
    const m = /^\/api\/annotations\/(\d+)$/.exec(path);
    if (method === 'PATCH' && m) {
      const existing = annotations.get(Number(m[1]));
      if (!existing) return [404, { message: 'Could not find annotation to update' }];
      const p = problems(body, false);
      if (p) return [400, { message: p }];
      // PATCH changes only the fields it is given
      const next = { ...existing };
      if (body.time !== undefined) next.time = body.time as number;
      if (body.timeEnd !== undefined) next.timeEnd = body.timeEnd as number;
      if (body.text !== undefined) next.text = body.text as string;
      if (body.tags !== undefined) next.tags = body.tags as string[];
      if (next.timeEnd < next.time) return [400, { message: 'timeEnd is before time' }];
      annotations.set(existing.id, next);
      return [200, { message: 'Annotation patched' }];
    }
    return [404, { message: 'Not found' }];
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [status, body, headers] = answer(req.method ?? '', req.url ?? '', req.headers, raw);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: raw, status });
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    annotations,
    fail: (n, status, headers) => {
      for (let i = 0; i < n; i++) queue.push({ status, headers });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
