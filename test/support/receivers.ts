/**
 * Loopback stand-ins for PagerDuty's Events API v2, Slack incoming webhooks and a webhook
 * receiver: real HTTP(S) servers that check the documented request contract, record what
 * arrived, and can be told to answer 429 with Retry-After, 5xx, or hang for the next requests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Delivery } from '../../src/notify/index.js';
import type { RoutedAlert } from '../../src/route/index.js';

export interface RecordedRequest {
  /** Unix ms when the whole body had arrived. */
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed, when it is JSON. */
  json?: unknown;
  /** What the server answered; undefined while it hangs. */
  status?: number;
  /** When the client's connection closed (for a hung request: the client gave up). */
  closedAt?: number;
  /** The client's port: requests with the same one came over the same connection. */
  remotePort?: number;
}

/** How to answer one request instead of checking it: a status (with body and headers), or never. */
export type Behaviour = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface LoopbackReceiver {
  /** Base URL, e.g. https://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** The PEM of the self-signed certificate, when serving TLS: what http_config.ca takes. */
  readonly ca?: string;
  readonly requests: RecordedRequest[];
  /** The next `n` requests get `behaviour` instead of the normal answer. */
  answerNext(n: number, behaviour: Behaviour): void;
  tooManyRequests(n: number, retryAfter: string): void;
  fail(n: number, status?: number): void;
  hang(n: number): void;
  /** Drops the answers still queued: the next requests get the normal answer again. */
  clearAnswers(): void;
  /** Resolves once `n` requests arrived in total. */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Resolves once the client closed the connection of `req`. */
  waitForClose(req: RecordedRequest, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

type Handler = (req: RecordedRequest) => Answer;

/** A self-signed certificate for 127.0.0.1 and localhost, made by the openssl CLI in a folder removed at once. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=vigil-test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'pipe' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startReceiver(handler: Handler, tls: boolean): Promise<LoopbackReceiver> {
  const requests: RecordedRequest[] = [];
  const queue: Behaviour[] = [];
  const hung: http.ServerResponse[] = [];
  const waiters: (() => void)[] = [];
  const cert = tls ? selfSignedCert() : undefined;

  // one 'close' listener per connection, not one per request: a keep-alive connection carries many
  type Socket = http.IncomingMessage['socket'];
  const bySocket = new WeakMap<Socket, RecordedRequest[]>();
  const onSocketClose = (socket: Socket, rec: RecordedRequest) => {
    let recs = bySocket.get(socket);
    if (!recs) {
      const list: RecordedRequest[] = (recs = []);
      bySocket.set(socket, list);
      socket.once('close', () => {
        const at = Date.now();
        for (const r of list) r.closedAt = at;
      });
    }
    recs.push(rec);
  };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const rec: RecordedRequest = { at: Date.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, remotePort: req.socket.remotePort };
      try {
        rec.json = JSON.parse(body);
      } catch {
        // not JSON: the handler decides what that means
      }
      onSocketClose(req.socket, rec);
      requests.push(rec);
      for (const w of waiters.splice(0)) w();
      const b = queue.shift();
      if (b === 'hang') {
        hung.push(res);
        return;
      }
      const answer: Answer = b ? { status: b.status, body: b.body ?? '', headers: b.headers } : handler(rec);
      rec.status = answer.status;
      res.writeHead(answer.status, { 'Content-Type': answer.body.startsWith('{') ? 'application/json' : 'text/plain', ...answer.headers });
      res.end(answer.body);
    });
  };
  const server = cert ? https.createServer({ key: cert.key, cert: cert.cert }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const until = async (cond: () => boolean, timeoutMs: number, what: string) => {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const receiver: LoopbackReceiver = {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    ca: cert?.cert,
    requests,
    answerNext: (n, behaviour) => {
      for (let i = 0; i < n; i++) queue.push(behaviour);
    },
    tooManyRequests: (n, retryAfter) => receiver.answerNext(n, { status: 429, body: 'rate limited', headers: { 'Retry-After': retryAfter } }),
    fail: (n, status = 500) => receiver.answerNext(n, { status, body: 'internal error' }),
    hang: (n) => receiver.answerNext(n, 'hang'),
    clearAnswers: () => {
      queue.length = 0;
    },
    async waitForRequests(n, timeoutMs = 5000) {
      await until(() => requests.length >= n, timeoutMs, `${n} requests (got ${requests.length})`);
      return requests.slice(0, n);
    },
    async waitForClose(req, timeoutMs = 5000) {
      await until(() => req.closedAt !== undefined, timeoutMs, 'the client to close its connection');
      return req.closedAt as number;
    },
    async close() {
      for (const res of hung.splice(0)) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

// ---------------------------------------------------------------------------------------
// PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event")

const PD_ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const PD_SEVERITIES = ['critical', 'error', 'warning', 'info'];

/** The problems PagerDuty would list in a 400 answer's `errors`, or none. */
export function pagerdutyProblems(event: unknown): string[] {
  if (!event || typeof event !== 'object' || Array.isArray(event)) return ['Event object is not a JSON object'];
  const e = event as Record<string, unknown>;
  const problems: string[] = [];
  const str = (v: unknown) => typeof v === 'string' && v.trim() !== '';
  if (!str(e.routing_key) || (e.routing_key as string).length !== 32) problems.push("'routing_key' must be a 32 character integration key");
  if (!PD_ACTIONS.includes(e.event_action as string)) problems.push("'event_action' must be one of trigger, acknowledge, resolve");
  if (e.dedup_key !== undefined && (!str(e.dedup_key) || (e.dedup_key as string).length > 255)) problems.push("'dedup_key' must be a string of at most 255 characters");
  if (e.event_action !== 'trigger' && e.dedup_key === undefined) problems.push("'dedup_key' is required for acknowledge and resolve");
  if (e.event_action === 'trigger') {
    const p = e.payload as Record<string, unknown> | undefined;
    if (!p || typeof p !== 'object') problems.push("'payload' is missing");
    else {
      if (!str(p.summary)) problems.push("'payload.summary' is missing or blank");
      else if ((p.summary as string).length > 1024) problems.push("'payload.summary' is longer than 1024 characters");
      if (!str(p.source)) problems.push("'payload.source' is missing or blank");
      if (!PD_SEVERITIES.includes(p.severity as string)) problems.push("'payload.severity' must be one of critical, error, warning, info");
      if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || p.custom_details === null)) problems.push("'payload.custom_details' must be an object");
    }
  }
  for (const key of ['links', 'images'] as const) {
    const xs = e[key];
    if (xs === undefined) continue;
    if (!Array.isArray(xs)) problems.push(`'${key}' must be an array`);
    else if (xs.some((x) => !x || typeof x !== 'object' || !str((x as Record<string, unknown>)[key === 'links' ? 'href' : 'src']))) {
      problems.push(`every entry of '${key}' needs ${key === 'links' ? 'href' : 'src'}`);
    }
  }
  return problems;
}

/** PagerDuty's /v2/enqueue: 202 {status:'success', message:'Event processed', dedup_key}, or 400 with its error shape. */
export function startPagerDuty(opts: { tls?: boolean } = {}): Promise<LoopbackReceiver> {
  return startReceiver((req) => {
    const invalid = (errors: string[]): Answer => ({ status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors }) });
    if (req.method !== 'POST' || req.path !== '/v2/enqueue') return { status: 404, body: JSON.stringify({ status: 'not found', message: 'Not found' }) };
    if (Buffer.byteLength(req.body) > 512 * 1024) return invalid(['Event is larger than 512 KB']);
    if (req.json === undefined) return invalid(['Could not parse JSON']);
    const problems = pagerdutyProblems(req.json);
    if (problems.length > 0) return invalid(problems);
    const dedup = (req.json as { dedup_key?: string }).dedup_key ?? `generated-${req.at}`;
    return { status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedup }) };
  }, opts.tls ?? false);
}

// ---------------------------------------------------------------------------------------
// Slack incoming webhooks (api.slack.com/messaging/webhooks): `ok`, or 400 with an error code as text

const MAX_BLOCKS = 50;

/** The error code Slack would answer for a webhook body, or undefined when it is valid. */
export function slackProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'invalid_payload';
  const m = body as { text?: unknown; blocks?: unknown; attachments?: unknown };
  const hasText = typeof m.text === 'string' && m.text.trim() !== '';
  const allBlocks: unknown[][] = [];
  if (m.blocks !== undefined) {
    if (!Array.isArray(m.blocks)) return 'invalid_blocks';
    allBlocks.push(m.blocks);
  }
  if (m.attachments !== undefined) {
    if (!Array.isArray(m.attachments)) return 'invalid_attachments';
    for (const a of m.attachments as { blocks?: unknown }[]) if (Array.isArray(a?.blocks)) allBlocks.push(a.blocks);
  }
  if (!hasText && allBlocks.every((b) => b.length === 0)) return 'no_text';
  if (allBlocks.reduce((n, b) => n + b.length, 0) > MAX_BLOCKS) return 'invalid_blocks';
  for (const blocks of allBlocks) {
    for (const b of blocks as { type?: string; text?: { type?: string; text?: string }; elements?: { text?: string }[] }[]) {
      if (b.type === 'header' && (b.text?.type !== 'plain_text' || !b.text.text || b.text.text.length > 150)) return 'invalid_blocks';
      if (b.type === 'section' && (!b.text?.text || b.text.text.length > 3000)) return 'invalid_blocks';
      if (b.type === 'context' && (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10)) return 'invalid_blocks';
      if (!['header', 'section', 'context', 'divider', 'actions', 'image'].includes(b.type ?? '')) return 'invalid_blocks';
    }
  }
  return undefined;
}

export function startSlack(opts: { tls?: boolean } = {}): Promise<LoopbackReceiver> {
  return startReceiver((req) => {
    if (req.method !== 'POST') return { status: 405, body: 'invalid_method' };
    const problem = req.json === undefined ? 'invalid_payload' : slackProblem(req.json);
    return problem ? { status: 400, body: problem } : { status: 200, body: 'ok' };
  }, opts.tls ?? false);
}

// ---------------------------------------------------------------------------------------
// A webhook receiver: any JSON POST is taken with 200

export function startWebhookReceiver(opts: { tls?: boolean } = {}): Promise<LoopbackReceiver> {
  return startReceiver((req) => {
    if (req.method !== 'POST') return { status: 405, body: 'method not allowed' };
    if (req.json === undefined) return { status: 400, body: 'body is not JSON' };
    return { status: 200, body: '' };
  }, opts.tls ?? false);
}

// ---------------------------------------------------------------------------------------
// Deliveries to send them: a notification as the aggregation group hands it out


export const T0 = Date.parse('2026-03-02T10:00:00Z');

/** A firing alert (endsAt in the future) with the given labels and annotations. */
export function testAlert(labels: Record<string, string>, annotations: Record<string, string> = {}, extra: Partial<RoutedAlert> = {}): RoutedAlert {
  const fingerprint = Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',');
  return { fingerprint, labels, annotations, startsAt: T0 - 600_000, endsAt: T0 + 300_000, updatedAt: T0, ...extra };
}

/** A delivery of `firing` and `resolved` alerts; every firing alert is new unless `stillFiring` names it. */
export function testDelivery(opts: {
  /** Unix ms; T0 + 5m by default (a real send needs one in the future). */
  deadline?: number;
  firing?: RoutedAlert[];
  resolved?: RoutedAlert[];
  groupLabels?: Record<string, string>;
  groupKey?: string;
  stillFiring?: string[];
  flapping?: { fingerprint: string; refires: number }[];
  storm?: Delivery['storm'];
  rateLimit?: Delivery['rateLimit'];
  isRepeat?: boolean;
}): Delivery {
  const firing = opts.firing ?? [];
  const resolved = (opts.resolved ?? []).map((a) => ({ ...a, endsAt: T0 - 60_000 }));
  const still = new Set(opts.stillFiring ?? []);
  return {
    externalURL: 'https://vigil.example.com',
    storm: opts.storm,
    rateLimit: opts.rateLimit,
    notification: {
      groupKey: opts.groupKey ?? '{}/{severity="P1"}:{alertname="ErrorSpike", agent_id="checkout"}',
      routeKey: '{}/{severity="P1"}',
      receiver: 'oncall',
      groupLabels: opts.groupLabels ?? { alertname: 'ErrorSpike', agent_id: 'checkout' },
      at: T0,
      deadline: opts.deadline ?? T0 + 300_000,
      reason: opts.isRepeat ? 'repeat' : firing.length > 0 ? 'first' : 'all-resolved',
      isRepeat: opts.isRepeat ?? false,
      firing,
      resolved,
      changes: {
        new: firing.map((a) => a.fingerprint).filter((fp) => !still.has(fp)),
        stillFiring: firing.map((a) => a.fingerprint).filter((fp) => still.has(fp)),
        resolved: resolved.map((a) => a.fingerprint),
      },
      flapping: opts.flapping ?? [],
      sendResolved: true,
      muted: [],
      repeatIntervalMs: 4 * 3_600_000,
    },
  };
}
