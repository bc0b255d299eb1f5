// Alerts from others: Alertmanager's API v2 (POST /api/v2/alerts, which Prometheus and vmalert
// speak), Alertmanager webhook payloads (version 4), and GET /api/v2/alerts. Also the JSON body
// handling and validation every write endpoint shares.

import AjvModule, { type ValidateFunction } from 'ajv';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { fingerprint } from '../eval/index.js';
import { isValidLabelName, isWellFormed, matchesFilter, parseMatchers, type Matcher, type RoutedAlert } from '../route/index.js';
import { compileRE2, type RE2 } from '../regex/index.js';
import { formatPath, validateShape } from '../yaml/index.js';
import { yieldingJsonBody } from './json-body.js';
import type { RouterPort } from './ports.js';

// ---------------------------------------------------------------------------------------------
// Shared: times, schemas, errors, bodies.

// ajv ships CommonJS; under NodeNext its default export is the module object.
const Ajv = AjvModule.default ?? AjvModule;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Recently parsed times: a batch of alerts mostly shares its startsAt and endsAt. */
const parsedTimes = new Map<string, number | undefined>();
const PARSED_TIMES_MAX = 1024;

/** Parses an RFC 3339 time to unix ms; undefined when it is not one (Date.parse alone accepts Feb 30). */
export function parseRfc3339(s: string): number | undefined {
  let ms = parsedTimes.get(s);
  if (ms !== undefined || parsedTimes.has(s)) return ms;
  ms = parseRfc3339Uncached(s);
  if (parsedTimes.size >= PARSED_TIMES_MAX) parsedTimes.clear();
  if (s.length <= 64) parsedTimes.set(s, ms);
  return ms;
}

function parseRfc3339Uncached(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Go's zero time: Alertmanager's "not set". */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
const ZERO_MS = Date.parse(ZERO_TIME);

/** A time that is set: undefined for a missing value or Go's zero time. */
export function optionalTime(s: string | undefined): number | undefined {
  const ms = s === undefined ? undefined : parseRfc3339(s);
  return ms === undefined || ms <= ZERO_MS ? undefined : ms;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** A validator whose `format: "date-time"` is RFC 3339, as in Alertmanager's OpenAPI spec. */
export function compileApiSchema(schema: object): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseRfc3339(s) !== undefined });
  return ajv.compile(schema);
}

/** The problems with a body, each `field: message` (`[1].labels: must be a map`); empty when valid. */
export function schemaProblems(validate: ValidateFunction, body: unknown): string[] {
  return validateShape(validate, body).map((e) => {
    const message = /format "date-time"/.test(e.message) ? 'must be an RFC 3339 time (e.g. 2026-11-21T09:00:00Z)' : e.message;
    return `${formatPath(e.path) || 'body'}: ${message}`;
  });
}

/** Problems joined for one error message; a batch of thousands of bad alerts must not make a megabyte answer. */
export function summarize(problems: string[], max = 10): string {
  const shown = problems.slice(0, max).join('; ');
  return problems.length > max ? `${shown}; and ${problems.length - max} more` : shown;
}

/** Alertmanager's error body. */
export function sendError(res: Response, code: number, message: string): void {
  // Alertmanager's swagger declares v2 error bodies as a JSON string, which amtool prints as is
  if (res.req.path.startsWith('/api/v2/')) res.status(code).json(message);
  else res.status(code).json({ code, message });
}

/** JSON bodies of at most `limit` bytes, parsed without holding the event loop; any other content type gets 415 rather than an empty body. */
export function jsonBody(limit: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, res, next) => {
    if (req.is('application/json')) return next();
    sendError(res, 415, `Content-Type must be application/json (got ${JSON.stringify(req.get('content-type') ?? 'none')})`);
  };
  return [requireJson, ...yieldingJsonBody(limit)];
}

/** body-parser's failures in Alertmanager's shape: 413 too large, 400 bad JSON, 415 bad charset. */
export function bodyErrors(limit: number, onTooLarge?: (path: string) => void): ErrorRequestHandler {
  return (err: { type?: string; message?: string }, req, res, next) => {
    if (err.type === 'entity.too.large') {
      onTooLarge?.(req.path);
      return sendError(res, 413, `request body is larger than the limit of ${limit} bytes (server.max_request_bytes)`);
    }
    if (err.type === 'entity.parse.failed') return sendError(res, 400, `body is not valid JSON: ${err.message}`);
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return sendError(res, 415, err.message ?? 'unsupported encoding');
    next(err);
  };
}

/** Matchers from repeated `?filter=` parameters, as Alertmanager's API takes them. */
export function queryMatchers(req: Request): Matcher[] {
  const raw = req.query.filter;
  const texts = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return texts.flatMap((t) => {
    if (typeof t !== 'string') throw new Error('filter: must be a matcher such as severity="P1"');
    try {
      return parseMatchers(t);
    } catch (err) {
      throw new Error(`filter: ${JSON.stringify(t)} is not a matcher: ${(err as Error).message}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Alertmanager's own checks (types.Alert.Validate, model.LabelSet.Validate) after the schema.

function labelSetProblems(set: Record<string, string>, field: string, required: boolean): string[] {
  const names = Object.keys(set);
  if (required && names.length === 0) return [`${field}: at least one label pair required`];
  const out: string[] = [];
  for (const n of names) {
    if (!isValidLabelName(n)) out.push(`${field}: invalid label name ${JSON.stringify(n)}`);
    else if (!isWellFormed(set[n])) out.push(`${field}.${n}: invalid label value ${JSON.stringify(set[n])}`);
  }
  return out;
}

const labelSet = { type: 'object', additionalProperties: { type: 'string' } };

// ---------------------------------------------------------------------------------------------
// POST /api/v2/alerts

interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** Alertmanager's postableAlerts; unknown fields are ignored, as go-swagger does. */
const validatePostable = compileApiSchema({
  type: 'array',
  items: {
    type: 'object',
    required: ['labels'],
    properties: {
      labels: labelSet,
      annotations: labelSet,
      startsAt: { type: 'string', format: 'date-time' },
      endsAt: { type: 'string', format: 'date-time' },
      generatorURL: { type: 'string' },
    },
  },
});

/**
 * Converts posted alerts as Alertmanager's API does, or says what is wrong with them (then none
 * is taken): startsAt defaults to endsAt or now, endsAt to now + resolve_timeout.
 */
export function convertPostableAlerts(body: unknown, now: number, resolveTimeoutMs: number): { alerts: RoutedAlert[] } | { problems: string[] } {
  const fast = convertValidPostable(body, now, resolveTimeoutMs);
  if (fast) return { alerts: fast };
  // something is wrong: ajv and the checks below word it
  const problems = schemaProblems(validatePostable, body);
  if (problems.length) return { problems };
  const alerts: RoutedAlert[] = [];
  (body as PostableAlert[]).forEach((posted, i) => {
    // as Alertmanager's API: a label with an empty value is no label (removeEmptyLabels)
    const a = { ...posted, labels: Object.fromEntries(Object.entries(posted.labels).filter(([, v]) => v !== '')) };
    const issues = [...labelSetProblems(a.labels, `[${i}].labels`, true), ...labelSetProblems(a.annotations ?? {}, `[${i}].annotations`, false)];
    const endsAt = optionalTime(a.endsAt);
    const startsAt = optionalTime(a.startsAt) ?? endsAt ?? now;
    if (endsAt !== undefined && endsAt < startsAt) issues.push(`[${i}].endsAt: start time must be before end time`);
    problems.push(...issues);
    if (issues.length) return;
    alerts.push({
      fingerprint: fingerprint(a.labels),
      labels: { ...a.labels },
      annotations: { ...(a.annotations ?? {}) },
      startsAt,
      endsAt: endsAt ?? now + resolveTimeoutMs,
      ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
      updatedAt: now,
    });
  });
  return problems.length ? { problems } : { alerts };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isWellFormedString = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** Label names seen valid lately: a few names recur in every alert of every request. */
const validNames = new Set<string>();

function validName(n: string): boolean {
  if (validNames.has(n)) return true;
  if (!isValidLabelName(n)) return false;
  if (validNames.size >= 4096) validNames.clear();
  validNames.add(n);
  return true;
}

/** A label set as Alertmanager takes it, with empty values dropped (the parsed object itself when none is empty); undefined when it is not valid. */
function validLabelSet(v: unknown, required: boolean): Record<string, string> | undefined {
  if (!isObject(v)) return undefined;
  let empty = 0;
  for (const n in v) {
    const value = v[n];
    if (typeof value !== 'string' || n === '__proto__' || !validName(n) || !isWellFormedString(value)) return undefined;
    if (value === '' && required) empty++;
  }
  if (empty === 0) return required && Object.keys(v).length === 0 ? undefined : (v as Record<string, string>);
  const out: Record<string, string> = {};
  for (const n in v) if (v[n] !== '') out[n] = v[n] as string;
  return Object.keys(out).length === 0 ? undefined : out;
}

const optionalString = (v: unknown) => v === undefined || typeof v === 'string';

/**
 * The hot path of POST /api/v2/alerts: the same checks and the same alerts as ajv and the checks
 * of convertPostableAlerts, without ajv's generic walk or any copy of the parsed body. Undefined
 * as soon as anything is off; the slow path then words every problem.
 */
function convertValidPostable(body: unknown, now: number, resolveTimeoutMs: number): RoutedAlert[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const alerts: RoutedAlert[] = new Array(body.length);
  for (let i = 0; i < body.length; i++) {
    const posted: unknown = body[i];
    if (!isObject(posted)) return undefined;
    const { startsAt: starts, endsAt: ends, generatorURL, annotations: rawAnnotations } = posted;
    if (!optionalString(starts) || !optionalString(ends) || !optionalString(generatorURL)) return undefined;
    const labels = validLabelSet(posted.labels, true);
    if (!labels) return undefined;
    const annotations = rawAnnotations === undefined ? {} : validLabelSet(rawAnnotations, false);
    if (!annotations) return undefined;
    if ((starts !== undefined && parseRfc3339(starts as string) === undefined) || (ends !== undefined && parseRfc3339(ends as string) === undefined)) return undefined;
    const endsAt = optionalTime(ends as string | undefined);
    const startsAt = optionalTime(starts as string | undefined) ?? endsAt ?? now;
    if (endsAt !== undefined && endsAt < startsAt) return undefined;
    const alert: RoutedAlert = { fingerprint: fingerprint(labels), labels, annotations, startsAt, endsAt: endsAt ?? now + resolveTimeoutMs, updatedAt: now };
    if (generatorURL) alert.generatorURL = generatorURL as string;
    alerts[i] = alert;
  }
  return alerts;
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/webhooks/alertmanager

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** Alertmanager's webhook payload, version 4 (notify/webhook, template.Data). */
const validateWebhook = compileApiSchema({
  type: 'object',
  required: ['version', 'status', 'receiver', 'groupKey', 'alerts'],
  properties: {
    version: { type: 'string' },
    status: { enum: ['firing', 'resolved'] },
    receiver: { type: 'string' },
    groupKey: { type: 'string' },
    truncatedAlerts: { type: 'integer', minimum: 0 },
    groupLabels: labelSet,
    commonLabels: labelSet,
    commonAnnotations: labelSet,
    externalURL: { type: 'string' },
    alerts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['status', 'labels'],
        properties: {
          status: { enum: ['firing', 'resolved'] },
          labels: labelSet,
          annotations: labelSet,
          startsAt: { type: 'string', format: 'date-time' },
          endsAt: { type: 'string', format: 'date-time' },
          generatorURL: { type: 'string' },
          fingerprint: { type: 'string' },
        },
      },
    },
  },
});

/**
 * Converts an Alertmanager webhook payload into router alerts. A firing alert lives until its
 * endsAt if that is ahead, else until now + resolve_timeout (Alertmanager sends zero time); a
 * resolved one ends when it says, never later than now (its status is what counts). The
 * fingerprint is recomputed from the labels, so the same labels are one alert whatever the source.
 */
export function convertWebhook(body: unknown, now: number, resolveTimeoutMs: number): { alerts: RoutedAlert[] } | { problems: string[] } {
  const version = (body as { version?: unknown } | null)?.version;
  if (body && typeof body === 'object' && !Array.isArray(body) && version !== undefined && version !== '4') {
    return { problems: [`version: unsupported webhook payload version ${JSON.stringify(version)}; vigil reads version "4"`] };
  }
  const problems = schemaProblems(validateWebhook, body);
  if (problems.length) return { problems };
  const alerts: RoutedAlert[] = [];
  (body as { alerts: WebhookAlert[] }).alerts.forEach((a, i) => {
    const issues = [...labelSetProblems(a.labels, `alerts[${i}].labels`, true), ...labelSetProblems(a.annotations ?? {}, `alerts[${i}].annotations`, false)];
    problems.push(...issues);
    if (issues.length) return;
    const startsAt = optionalTime(a.startsAt) ?? now;
    const given = optionalTime(a.endsAt);
    const endsAt = a.status === 'firing' ? (given !== undefined && given > now ? given : now + resolveTimeoutMs) : Math.min(given ?? now, now);
    alerts.push({
      fingerprint: fingerprint(a.labels),
      labels: { ...a.labels },
      annotations: { ...(a.annotations ?? {}) },
      startsAt: Math.min(startsAt, endsAt),
      endsAt,
      ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
      updatedAt: now,
    });
  });
  return problems.length ? { problems } : { alerts };
}

// ---------------------------------------------------------------------------------------------
// GET /api/v2/alerts

function booleanParam(req: Request, name: string): boolean {
  const v = req.query[name];
  if (v === undefined) return true;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`${name}: must be true or false`);
}

/** Alertmanager's gettableAlerts: unresolved alerts, filtered as its API filters, sorted by fingerprint. */
export function gettableAlerts(router: RouterPort, req: Request, now: number) {
  const filter = queryMatchers(req);
  const [active, silenced, inhibited, unprocessed] = ['active', 'silenced', 'inhibited', 'unprocessed'].map((n) => booleanParam(req, n));
  let receiver: RE2 | undefined;
  if (typeof req.query.receiver === 'string') {
    try {
      receiver = compileRE2(req.query.receiver, { anchored: true });
    } catch (err) {
      throw new Error(`receiver: ${(err as Error).message}`);
    }
  }
  return router
    .alerts()
    .filter(({ alert, status, receivers }) => {
      if (alert.endsAt < now) return false;
      if (receiver && !receivers.some((r) => receiver.test(r))) return false;
      if (!matchesFilter(filter, alert.labels)) return false;
      if (!unprocessed && status.state === 'unprocessed') return false;
      if (!active && status.state === 'active') return false;
      if (!silenced && status.silencedBy.length) return false;
      if (!inhibited && status.inhibitedBy.length) return false;
      return true;
    })
    .sort((a, b) => (a.alert.fingerprint < b.alert.fingerprint ? -1 : a.alert.fingerprint > b.alert.fingerprint ? 1 : 0))
    .map(({ alert, status, receivers }) => ({
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: rfc3339(alert.startsAt),
      endsAt: rfc3339(alert.endsAt),
      updatedAt: rfc3339(alert.updatedAt),
      fingerprint: alert.fingerprint,
      receivers: receivers.map((name) => ({ name })),
      status: { state: status.state, silencedBy: status.silencedBy, inhibitedBy: status.inhibitedBy, mutedBy: [] as string[] },
      ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
    }));
}

// ---------------------------------------------------------------------------------------------
// The routes.

export interface IngestDeps {
  router: RouterPort;
  now: () => number;
  /** limits.alerts_per_request (0: none), read per request so a reload applies. */
  alertsPerRequest?: () => number;
}

/** Alerts handed to the router per turn of the event loop: a 100k-alert body never blocks it for long. */
const RECEIVE_CHUNK = 500;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Converts a body's alerts RECEIVE_CHUNK at a time, yielding to the event loop between chunks, so
 * that a body at server.max_request_bytes never holds /healthz up; problems keep their indexes.
 */
async function convertInChunks(convert: typeof convertPostableAlerts, body: unknown, now: number, resolveTimeoutMs: number): Promise<ReturnType<typeof convertPostableAlerts>> {
  const list = Array.isArray(body) ? body : (body as { alerts?: unknown } | null)?.alerts;
  if (!Array.isArray(list) || list.length <= RECEIVE_CHUNK) return convert(body, now, resolveTimeoutMs);
  const prefix = Array.isArray(body) ? '[' : 'alerts[';
  const alerts: RoutedAlert[] = [];
  const problems: string[] = [];
  for (let i = 0; i < list.length; i += RECEIVE_CHUNK) {
    if (i > 0) await yieldToEventLoop();
    const slice = list.slice(i, i + RECEIVE_CHUNK);
    const part = convert(Array.isArray(body) ? slice : { ...(body as object), alerts: slice }, now, resolveTimeoutMs);
    if ('problems' in part) {
      const at = (p: string) => (p.startsWith(prefix) ? p.replace(/^(alerts)?\[(\d+)\]/, (_m, a: string | undefined, n: string) => `${a ?? ''}[${Number(n) + i}]`) : p);
      problems.push(...part.problems.map(at));
    } else alerts.push(...part.alerts);
  }
  return problems.length ? { problems } : { alerts };
}

/** How an ingest answers: a status, and for anything but 200 the error message (sent in Alertmanager's shape). */
export type IngestReply = (status: number, error?: string) => void;

/**
 * Takes a parsed body of alerts from `source`: 413 past limits.alerts_per_request, 400 naming the
 * problems, 429 naming the limit that refused new alerts, else 200. Shared by the express route
 * and the node:http fast path of POST /api/v2/alerts, so both answer alike.
 */
export async function ingestAlerts(
  { router, now, alertsPerRequest }: IngestDeps,
  convert: typeof convertPostableAlerts,
  source: 'api-v2' | 'alertmanager-webhook',
  body: unknown,
  reply: IngestReply,
): Promise<void> {
  const perRequest = alertsPerRequest?.() ?? 0;
  const count = Array.isArray(body) ? body.length : Array.isArray((body as { alerts?: unknown })?.alerts) ? (body as { alerts: unknown[] }).alerts.length : 0;
  if (perRequest > 0 && count > perRequest) {
    router.refused?.(source, 'limits.alerts_per_request', count);
    return reply(413, `${count} alerts in one request is more than limits.alerts_per_request (${perRequest}); send them in smaller batches`);
  }
  const result = await convertInChunks(convert, body, now(), router.resolveTimeoutMs);
  if ('problems' in result) {
    router.rejected?.(source);
    return reply(400, summarize(result.problems));
  }
  if (router.admit && result.alerts.length <= RECEIVE_CHUNK) {
    // answered before the alerts are routed into their groups (in this same turn): the poster's next request overlaps that work
    const admitted = router.admit(result.alerts, source);
    if (admitted.refused > 0) reply(429, `${admitted.refused} of ${result.alerts.length} alerts refused: ${admitted.limit} reached; the alerts already held are kept`);
    else reply(200);
    admitted.commit();
    return;
  }
  let refused = 0;
  let limit: string | undefined;
  for (let i = 0; i < result.alerts.length; i += RECEIVE_CHUNK) {
    if (i > 0) await yieldToEventLoop();
    const taken = router.receive(result.alerts.slice(i, i + RECEIVE_CHUNK), source);
    if (taken && taken.refused) {
      refused += taken.refused;
      limit = taken.limit;
    }
  }
  if (refused > 0) return reply(429, `${refused} of ${result.alerts.length} alerts refused: ${limit} reached; the alerts already held are kept`);
  reply(200);
}

/** Mounts the alert endpoints on a router whose POST bodies are already parsed as JSON. */
export function ingestRoutes(deps: IngestDeps): express.Router {
  const { router, now } = deps;
  const r = express.Router();
  const take = (convert: typeof convertPostableAlerts, source: 'api-v2' | 'alertmanager-webhook'): RequestHandler => (req, res) =>
    ingestAlerts(deps, convert, source, req.body as unknown, (status, error) => (error === undefined ? res.status(status).end() : sendError(res, status, error)));
  r.post('/api/v2/alerts', take(convertPostableAlerts, 'api-v2'));
  r.post('/api/v1/webhooks/alertmanager', take(convertWebhook, 'alertmanager-webhook'));
  r.get('/api/v2/alerts', (req, res) => {
    try {
      res.json(gettableAlerts(router, req, now()));
    } catch (err) {
      sendError(res, 400, (err as Error).message);
    }
  });
  return r;
}
