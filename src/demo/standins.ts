/**
 * Loopback stand-ins for the services vigil notifies: PagerDuty's Events API v2, a Slack
 * incoming webhook, GitHub issues (the ticket tracker) and Grafana's annotations API. Each
 * checks the documented request contract minimally, answers as the service does, and reports
 * every accepted delivery as one readable line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Service = 'PagerDuty' | 'Slack' | 'GitHub' | 'Grafana';

/** One accepted delivery, as the demo prints it. */
export interface Delivered {
  at: number;
  service: Service;
  /** trigger / resolve, post, open / comment / close / reopen, add / end. */
  action: string;
  text: string;
}

export interface StandIns {
  /** Events API base: pagerduty_configs url is `${pagerduty}/v2/enqueue`. */
  pagerduty: string;
  /** The incoming-webhook URL. */
  slack: string;
  /** GitHub's API base (ticket_configs url), for the repository `demo/agents`. */
  github: string;
  /** Grafana's base URL. */
  grafana: string;
  /** The secrets the stand-ins expect, for vigil.yaml. */
  secrets: { pagerdutyRoutingKey: string; githubToken: string; grafanaToken: string };
  delivered: Delivered[];
  close(): Promise<void>;
}

export const DEMO_REPO = 'demo/agents';
const SECRETS = { pagerdutyRoutingKey: 'demo0000000000000000000000000001', githubToken: 'ghp_demo', grafanaToken: 'glsa_demo' };
const SLACK_PATH = '/services/T00DEMO/B00DEMO/demo';

interface Request {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  json: unknown;
}
interface Answer {
  status: number;
  body: unknown;
}
type Handler = (req: Request) => Answer & { delivered?: Omit<Delivered, 'at' | 'service'> };

function oneLine(text: string, max = 160): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? line.slice(0, max - 1) + '…' : line;
}

async function serve(service: Service, handler: Handler, onDelivered: (d: Delivered) => void): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      let answer: ReturnType<Handler>;
      try {
        json = raw ? JSON.parse(raw) : undefined;
        answer = handler({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], headers: req.headers, json });
      } catch {
        answer = { status: 400, body: { message: 'Problems parsing JSON' } };
      }
      if (answer.delivered) onDelivered({ at: Date.now(), service, ...answer.delivered });
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const nonEmpty = (x: unknown): x is string => typeof x === 'string' && x.trim() !== '';

/** PagerDuty Events API v2, POST /v2/enqueue: 202 and the dedup_key, or 400 with its error list. */
function pagerduty(): Handler {
  const summaries = new Map<string, string>();
  return ({ method, path, json }) => {
    if (method !== 'POST' || path !== '/v2/enqueue') return { status: 404, body: { status: 'not found', message: 'Not found' } };
    const errors: string[] = [];
    const e = isObject(json) ? json : {};
    if (!isObject(json)) errors.push('Event object is not a JSON object');
    if (e.routing_key !== SECRETS.pagerdutyRoutingKey) errors.push("'routing_key' must be the integration key of this service");
    if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action as string)) errors.push("'event_action' must be one of trigger, acknowledge, resolve");
    if (e.event_action !== 'trigger' && !nonEmpty(e.dedup_key)) errors.push("'dedup_key' is required for acknowledge and resolve");
    const p = isObject(e.payload) ? e.payload : undefined;
    if (e.event_action === 'trigger') {
      if (!p || !nonEmpty(p.summary) || !nonEmpty(p.source)) errors.push("'payload' needs summary and source");
      else if (!['critical', 'error', 'warning', 'info'].includes(p.severity as string)) errors.push("'payload.severity' must be one of critical, error, warning, info");
    }
    if (errors.length) return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
    const dedup = nonEmpty(e.dedup_key) ? e.dedup_key : `demo-${Date.now()}`;
    const summary = p ? String(p.summary) : summaries.get(dedup) ?? dedup;
    if (p) summaries.set(dedup, summary);
    return {
      status: 202,
      body: { status: 'success', message: 'Event processed', dedup_key: dedup },
      delivered: { action: String(e.event_action), text: oneLine(p ? `${p.severity}  ${summary}` : summary) },
    };
  };
}

/** A Slack incoming webhook: 200 "ok", or Slack's plain-text errors. */
function slack(): Handler {
  return ({ method, path, json }) => {
    if (method !== 'POST' || path !== SLACK_PATH) return { status: 404, body: 'no_service' };
    if (!isObject(json)) return { status: 400, body: 'invalid_payload' };
    if (!nonEmpty(json.text) && !Array.isArray(json.blocks) && !Array.isArray(json.attachments)) return { status: 400, body: 'no_text' };
    const text = nonEmpty(json.text) ? json.text : 'message';
    // Slack shows <!channel> as @channel
    return { status: 200, body: 'ok', delivered: { action: 'post', text: oneLine(text.replace(/<!(channel|here)>/g, '@$1')) } };
  };
}

/** GitHub's issues API for one repository: create, comment, close/reopen, read. */
function github(): Handler {
  const issues = new Map<number, { number: number; title: string; state: 'open' | 'closed'; state_reason: string | null }>();
  let next = 1;
  let comments = 1;
  const base = `/repos/${DEMO_REPO}/issues`;
  const issueJson = (url: string, i: { number: number; title: string; state: string; state_reason: string | null }) => ({ ...i, html_url: `${url}/${i.number}` });
  return ({ method, path, headers, json }) => {
    if (headers.authorization !== `Bearer ${SECRETS.githubToken}`) return { status: 401, body: { message: 'Bad credentials' } };
    const htmlBase = `https://github.com/${DEMO_REPO}/issues`;
    if (path === base && method === 'POST') {
      if (!isObject(json) || !nonEmpty(json.title)) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }] } };
      const issue = { number: next++, title: json.title, state: 'open' as const, state_reason: null };
      issues.set(issue.number, issue);
      return { status: 201, body: issueJson(htmlBase, issue), delivered: { action: 'open', text: oneLine(`#${issue.number} ${issue.title}`) } };
    }
    const m = new RegExp(`^${base}/(\\d+)(/comments)?$`).exec(path);
    const issue = m ? issues.get(Number(m[1])) : undefined;
    if (!m || !issue) return { status: 404, body: { message: 'Not Found' } };
    if (m[2] && method === 'POST') {
      if (!isObject(json) || !nonEmpty(json.body)) return { status: 422, body: { message: 'Validation Failed' } };
      return { status: 201, body: { id: comments++, body: json.body }, delivered: { action: 'comment', text: oneLine(`#${issue.number} ${json.body.split('\n')[0]}`) } };
    }
    if (!m[2] && method === 'GET') return { status: 200, body: issueJson(htmlBase, issue) };
    if (!m[2] && method === 'PATCH' && isObject(json)) {
      if (json.state !== 'open' && json.state !== 'closed') return { status: 422, body: { message: 'Validation Failed' } };
      issue.state = json.state;
      issue.state_reason = json.state === 'closed' ? String(json.state_reason ?? 'completed') : 'reopened';
      return { status: 200, body: issueJson(htmlBase, issue), delivered: { action: json.state === 'closed' ? 'close' : 'reopen', text: oneLine(`#${issue.number} ${issue.title}`) } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  };
}

/** Grafana's annotations API: POST /api/annotations and PATCH /api/annotations/:id. */
function grafana(): Handler {
  const regions = new Map<number, { text: string }>();
  let next = 1;
  return ({ method, path, headers, json }) => {
    if (headers.authorization !== `Bearer ${SECRETS.grafanaToken}`) return { status: 401, body: { message: 'Unauthorized' } };
    if (path === '/api/annotations' && method === 'POST') {
      if (!isObject(json) || !nonEmpty(json.text) || (json.time !== undefined && typeof json.time !== 'number')) return { status: 400, body: { message: 'bad request data' } };
      const id = next++;
      regions.set(id, { text: json.text });
      return { status: 200, body: { id, message: 'Annotation added' }, delivered: { action: 'add', text: oneLine(`#${id} ${json.text.split('\n')[0]}`) } };
    }
    const m = /^\/api\/annotations\/(\d+)$/.exec(path);
    const region = m ? regions.get(Number(m[1])) : undefined;
    if (m && method === 'PATCH') {
      if (!region) return { status: 404, body: { message: 'Could not find annotation to update' } };
      if (!isObject(json) || (json.timeEnd !== undefined && typeof json.timeEnd !== 'number')) return { status: 400, body: { message: 'bad request data' } };
      if (nonEmpty(json.text)) region.text = json.text;
      const ends = typeof json.timeEnd === 'number';
      return { status: 200, body: { message: 'Annotation patched' }, delivered: { action: ends ? 'end' : 'update', text: oneLine(`#${m[1]} ${region.text.split('\n')[0]}`) } };
    }
    return { status: 404, body: { message: 'Not found' } };
  };
}

/** Starts the four stand-ins on 127.0.0.1 (ports chosen by the system). */
export async function startStandIns(onDelivered: (d: Delivered) => void = () => undefined): Promise<StandIns> {
  const delivered: Delivered[] = [];
  const record = (d: Delivered) => {
    delivered.push(d);
    onDelivered(d);
  };
  const started = await Promise.all([serve('PagerDuty', pagerduty(), record), serve('Slack', slack(), record), serve('GitHub', github(), record), serve('Grafana', grafana(), record)]);
  const [pd, sl, gh, gr] = started;
  return {
    pagerduty: pd.url,
    slack: `${sl.url}${SLACK_PATH}`,
    github: gh.url,
    grafana: gr.url,
    secrets: { ...SECRETS },
    delivered,
    async close() {
      await Promise.all(
        started.map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

/** `12:03:01 PagerDuty  trigger  critical  [P1] AgentErrorRateSpike …`: one delivery, one line (UTC). */
export function formatDelivered(d: Delivered): string {
  return `${new Date(d.at).toISOString().slice(11, 19)} ${d.service.padEnd(9)} ${d.action.padEnd(8)} ${d.text}`;
}
