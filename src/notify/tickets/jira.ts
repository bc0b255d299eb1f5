/** Jira Cloud REST v3: issues with an ADF description, found again by a stable ALERT{hash} label, moved by workflow transitions. */
import type { TicketConfig } from '../../config/index.js';
import { agentFor } from '../http.js';
import { NotifyError } from '../types.js';
import { groupHash, toAdf, type Block } from './content.js';
import { requestJson, type TrackerHttp } from './http.js';
import type { NewTicket, RemoteState, RemoteTicket, Tracker } from './tracker.js';

/** A resolution that means "we will not act on this": a re-fire opens a new issue instead of reopening it. */
export const WONT_FIX = /won'?t|wont|not a bug|declined|duplicate/i;
const MAX_SUMMARY = 255;

/** Jira labels: no spaces. */
export function jiraLabel(s: string): string {
  return s.trim().replace(/\s+/g, '-');
}

/** The label that finds a group's issues: ALERT + first 16 hex of sha256(groupKey). */
export function alertLabel(groupKey: string): string {
  return `ALERT${groupHash(groupKey)}`;
}

interface Transition {
  id: string;
  name: string;
  to?: { name?: string; statusCategory?: { key?: string } };
}

interface IssueFields {
  status?: { name?: string; statusCategory?: { key?: string } };
  resolution?: { name?: string } | null;
  summary?: string;
}

export class JiraTracker implements Tracker {
  private readonly http: TrackerHttp;
  private readonly base: string;

  constructor(private readonly config: TicketConfig) {
    if (!config.url || !config.project || !config.email || !config.apiToken) throw new Error('a jira ticket config needs url, project, email and api_token');
    this.base = config.url.replace(/\/+$/, '');
    const basic = Buffer.from(`${config.email}:${config.apiToken}`).toString('base64');
    this.http = { agent: agentFor(this.base, config.http), headers: { Authorization: `Basic ${basic}` }, service: 'Jira' };
  }

  private api<T>(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: unknown): Promise<T> {
    return requestJson<T>(this.http, method, `${this.base}/rest/api/3${path}`, signal, body);
  }

  private issueUrl(key: string): string {
    return `${this.base}/browse/${key}`;
  }

  async create(t: NewTicket, signal: AbortSignal): Promise<RemoteTicket> {
    const labels = [...new Set([...this.config.labels.map(jiraLabel).filter(Boolean), 'vigil', alertLabel(t.groupKey)])];
    const priority = this.config.priorities[t.severity];
    const fields = {
      project: { key: this.config.project },
      summary: t.title.length > MAX_SUMMARY ? t.title.slice(0, MAX_SUMMARY - 1) + '…' : t.title,
      issuetype: { name: this.config.issueType },
      description: toAdf(t.body),
      labels,
      ...(priority ? { priority: { name: priority } } : {}),
    };
    const created = await this.api<{ id: string; key: string }>('POST', '/issue', signal, { fields });
    if (!created?.key) throw new NotifyError('Jira created an issue but answered without its key', false);
    return { externalId: created.key, url: this.issueUrl(created.key) };
  }

  async comment(key: string, body: Block[], signal: AbortSignal): Promise<void> {
    await this.api('POST', `/issue/${encodeURIComponent(key)}/comment`, signal, { body: toAdf(body) });
  }

  private async transitions(key: string, signal: AbortSignal): Promise<Transition[]> {
    const t = await this.api<{ transitions?: Transition[] }>('GET', `/issue/${encodeURIComponent(key)}/transitions`, signal);
    return t?.transitions ?? [];
  }

  private async transition(key: string, id: string, signal: AbortSignal): Promise<void> {
    await this.api('POST', `/issue/${encodeURIComponent(key)}/transitions`, signal, { transition: { id } });
  }

  async resolve(key: string, signal: AbortSignal): Promise<void> {
    const want = this.config.resolveTransition.toLowerCase();
    const t = (await this.transitions(key, signal)).find((x) => x.name.toLowerCase() === want);
    if (t) return this.transition(key, t.id, signal);
    // no such transition from here: fine when someone already resolved it
    if (!(await this.state(key, signal)).open) return;
    throw new NotifyError(`Jira issue ${key} has no transition named "${this.config.resolveTransition}" (resolve_transition)`, false);
  }

  async reopen(key: string, signal: AbortSignal): Promise<void> {
    const all = await this.transitions(key, signal);
    const notDone = all.filter((x) => ['new', 'indeterminate'].includes(x.to?.statusCategory?.key ?? ''));
    // prefer a transition called Reopen, then one back to To Do, then any to a not-done status
    const t = notDone.find((x) => /reopen/i.test(x.name)) ?? notDone.find((x) => x.to?.statusCategory?.key === 'new') ?? notDone[0];
    if (!t) throw new NotifyError(`Jira issue ${key} has no transition to a status that is not done`, false);
    await this.transition(key, t.id, signal);
  }

  async state(key: string, signal: AbortSignal): Promise<RemoteState> {
    const issue = await this.api<{ fields?: IssueFields }>('GET', `/issue/${encodeURIComponent(key)}?fields=status,resolution`, signal);
    const open = issue?.fields?.status?.statusCategory?.key !== 'done';
    const resolution = issue?.fields?.resolution?.name ?? '';
    return { open, wontFix: !open && WONT_FIX.test(resolution) };
  }

  async findOpen(groupKey: string, signal: AbortSignal): Promise<(RemoteTicket & { title?: string }) | undefined> {
    const jql = `labels = "${alertLabel(groupKey)}" AND statusCategory != Done ORDER BY created DESC`;
    const found = await this.api<{ issues?: { key: string; fields?: IssueFields }[] }>('POST', '/search/jql', signal, { jql, fields: ['summary', 'status'], maxResults: 1 });
    const issue = found?.issues?.[0];
    return issue ? { externalId: issue.key, url: this.issueUrl(issue.key), title: issue.fields?.summary } : undefined;
  }
}
