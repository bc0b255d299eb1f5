/**
 * Grafana annotations (HTTP API): a group's firing period as an annotation region. The first
 * firing flush creates the annotation (POST /api/annotations), the flush that resolves the
 * group sets its end (PATCH /api/annotations/:id with timeEnd). The id is kept in the Store, so
 * a restart ends the region it started.
 */
import type { GrafanaAnnotationConfig } from '../config/index.js';
import type { Labels, RoutedAlert } from '../route/index.js';
import type { AnnotationRecord } from '../store/index.js';
import { agentFor, request, type HttpAgent, type HttpAnswer } from './http.js';
import { errorForStatus } from './policy.js';
import { headline, truncate } from './render.js';
import { NotifyError, type Delivery, type Integration, type IntegrationContext } from './types.js';

/** The labels that become tags, as `name:value` (Grafana shows key:value tags as pairs). */
const TAG_LABELS = ['alertname', 'severity', 'agent_id', 'tool_name'] as const;
/** A storm must not make hundreds of tags: at most this many values per label. */
const MAX_VALUES_PER_LABEL = 10;
const MAX_TEXT = 2000;
const MAX_LISTED = 10;

/** What vigil POSTs to /api/annotations. */
export interface GrafanaAnnotation {
  time: number;
  text: string;
  tags: string[];
  dashboardUID?: string;
  panelId?: number;
}

/** The annotation for a firing notification: starts at the earliest firing startsAt, tagged by label values. */
export function grafanaAnnotation(config: Pick<GrafanaAnnotationConfig, 'tags' | 'dashboardUid' | 'panelId'>, delivery: Delivery): GrafanaAnnotation {
  const n = delivery.notification;
  const annotation: GrafanaAnnotation = {
    time: Math.min(...n.firing.map((a) => a.startsAt)),
    text: annotationText(delivery),
    tags: annotationTags(n.groupLabels, n.firing, config.tags),
  };
  if (config.dashboardUid) annotation.dashboardUID = config.dashboardUid;
  if (config.panelId !== undefined) annotation.panelId = config.panelId;
  return annotation;
}

/** `alertname:X`, `severity:P3`, `agent_id:…`, `tool_name:…` from the group labels and alerts, then the config's tags, then `vigil`. */
export function annotationTags(groupLabels: Labels, alerts: readonly RoutedAlert[], extra: readonly string[] = []): string[] {
  const tags: string[] = [];
  for (const name of TAG_LABELS) {
    const values = new Set<string>();
    if (groupLabels[name]) values.add(groupLabels[name]);
    for (const a of alerts) if (a.labels[name] && values.size < MAX_VALUES_PER_LABEL) values.add(a.labels[name]);
    for (const v of values) tags.push(`${name}:${v}`);
  }
  for (const t of [...extra, 'vigil']) if (t && !tags.includes(t)) tags.push(t);
  return tags;
}

/** Plain text: the headline, then the alerts' summaries (Grafana renders the text as is). */
function annotationText(delivery: Delivery): string {
  const lines = [headline(delivery)];
  for (const a of delivery.notification.firing.slice(0, MAX_LISTED)) {
    const summary = a.annotations.summary ?? a.annotations.description;
    if (summary) lines.push(`${a.labels.alertname ?? 'alert'}: ${summary}`);
  }
  const more = delivery.notification.firing.length - MAX_LISTED;
  if (more > 0) lines.push(`and ${more} more`);
  return truncate(lines.join('\n'), MAX_TEXT);
}

/** When the region ends: the latest endsAt of the resolved alerts, else the flush time. */
function regionEnd(delivery: Delivery): number {
  const ends = delivery.notification.resolved.map((a) => a.endsAt);
  return ends.length > 0 ? Math.max(...ends) : delivery.notification.at;
}

export class GrafanaAnnotationIntegration implements Integration {
  readonly kind = 'grafana';
  /** The resolve is what ends the region: always taken. */
  readonly sendResolved = true;
  readonly timeoutMs: number;
  private readonly agent: HttpAgent;
  private readonly base: string;
  /** Without a Store (tests, `vigil eval`) the open annotations live here, for this process only. */
  private readonly memory = new Map<string, AnnotationRecord>();

  constructor(
    private readonly config: GrafanaAnnotationConfig,
    readonly index: number,
    private readonly receiver: string,
    private readonly ctx: IntegrationContext = {},
  ) {
    this.timeoutMs = config.http.timeoutMs;
    this.base = config.url.replace(/\/+$/, '');
    this.agent = agentFor(this.base, config.http);
  }

  async send(delivery: Delivery, signal: AbortSignal): Promise<void> {
    const n = delivery.notification;
    const open = await this.openAnnotation(n.groupKey);
    if (n.firing.length > 0) {
      const annotation = grafanaAnnotation(this.config, delivery);
      if (open) {
        // the region's start never moves; new alerts in the group update what it says
        if (n.changes.new.length === 0) return;
        try {
          await this.request('PATCH', `/api/annotations/${open.annotationId}`, { text: annotation.text, tags: annotation.tags }, signal);
          return;
        } catch (err) {
          if (!(err instanceof NotifyError && err.statusCode === 404)) throw err;
          this.save({ ...open, endedAt: n.at }); // deleted in Grafana: start a new region below
        }
      }
      const res = await this.request('POST', '/api/annotations', annotation, signal);
      const id = (parseJson(res.body) as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'number') throw new NotifyError(`Grafana: answer to POST /api/annotations has no numeric id: ${truncate(res.body.trim(), 200)}`, false);
      this.save({ receiver: this.receiver, index: this.index, groupKey: n.groupKey, annotationId: id, startedAt: annotation.time });
      return;
    }
    if (!open) return; // nothing was annotated for this group (or it already ended)
    const timeEnd = Math.max(regionEnd(delivery), open.startedAt);
    try {
      // time is sent too: older Grafana versions reset a region's start when PATCH leaves it out
      await this.request('PATCH', `/api/annotations/${open.annotationId}`, { time: open.startedAt, timeEnd }, signal);
    } catch (err) {
      if (err instanceof NotifyError && err.statusCode === 404) {
        // deleted in Grafana: forget it, so the next firing starts a new region
        this.save({ ...open, endedAt: timeEnd });
        throw new NotifyError(`Grafana: annotation ${open.annotationId} no longer exists (404); forgotten`, false, 404);
      }
      throw err;
    }
    this.save({ ...open, endedAt: timeEnd });
  }

  private async openAnnotation(groupKey: string): Promise<AnnotationRecord | undefined> {
    if (this.ctx.store) return this.ctx.store.openAnnotation(this.receiver, this.index, groupKey);
    const rec = this.memory.get(groupKey);
    return rec && rec.endedAt === undefined ? rec : undefined;
  }

  private save(rec: AnnotationRecord): void {
    if (this.ctx.store) this.ctx.store.saveAnnotation(rec);
    else this.memory.set(rec.groupKey, rec);
  }

  /** One call to Grafana's HTTP API; a non-2xx answer becomes a NotifyError (the token is never part of it). */
  private async request(method: 'POST' | 'PATCH', path: string, body: unknown, signal: AbortSignal): Promise<HttpAnswer> {
    const answer = await request(method, `${this.base}${path}`, body, this.agent, signal, { Accept: 'application/json', Authorization: `Bearer ${this.config.token}` });
    if (answer.status >= 200 && answer.status < 300) return answer;
    throw errorForStatus(answer.status, `Grafana ${method} ${path}: ${grafanaMessage(answer.body)}`, answer.headers);
  }
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Grafana's error answer: {message}; else the body, short. */
function grafanaMessage(body: string): string {
  const j = parseJson(body) as { message?: unknown } | undefined;
  return typeof j?.message === 'string' ? j.message : truncate(body.trim(), 200);
}
