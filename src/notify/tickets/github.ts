/** GitHub REST issues: create, comment, close as completed, reopen; a person's "not planned" close is won't-fix. */
import type { TicketConfig } from '../../config/index.js';
import { agentFor } from '../http.js';
import { NotifyError } from '../types.js';
import { groupHash, toMarkdown, type Block } from './content.js';
import { requestJson, type TrackerHttp } from './http.js';
import type { NewTicket, RemoteState, RemoteTicket, Tracker } from './tracker.js';

/** GitHub's limit on an issue body. */
const MAX_BODY = 65_536;

interface Issue {
  number: number;
  html_url?: string;
  state?: 'open' | 'closed';
  state_reason?: string | null;
}

export class GithubTracker implements Tracker {
  private readonly http: TrackerHttp;
  private readonly base: string;

  constructor(private readonly config: TicketConfig) {
    if (!config.repo || !/^[^/\s]+\/[^/\s]+$/.test(config.repo) || !config.token) throw new Error('a github ticket config needs repo (owner/name) and token');
    const api = (config.url ?? 'https://api.github.com').replace(/\/+$/, '');
    const [owner, name] = config.repo.split('/');
    this.base = `${api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/issues`;
    this.http = {
      agent: agentFor(api, config.http),
      headers: { Authorization: `Bearer ${config.token}`, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'vigil' },
      service: 'GitHub',
    };
  }

  private body(blocks: Block[], groupKey?: string): string {
    // a hidden marker ties the issue to its group without creating a label per group in the repository
    const marker = groupKey ? `\n\n<!-- vigil:ALERT${groupHash(groupKey)} -->` : '';
    const md = toMarkdown(blocks);
    return (md.length + marker.length > MAX_BODY ? md.slice(0, MAX_BODY - marker.length - 1) + '…' : md) + marker;
  }

  async create(t: NewTicket, signal: AbortSignal): Promise<RemoteTicket> {
    const labels = [...new Set([...this.config.labels, 'vigil'])];
    const issue = await requestJson<Issue>(this.http, 'POST', this.base, signal, { title: t.title, body: this.body(t.body, t.groupKey), labels });
    if (!issue?.number) throw new NotifyError('GitHub created an issue but answered without its number', false);
    return { externalId: String(issue.number), url: issue.html_url };
  }

  async comment(n: string, body: Block[], signal: AbortSignal): Promise<void> {
    await requestJson(this.http, 'POST', `${this.base}/${n}/comments`, signal, { body: this.body(body) });
  }

  async resolve(n: string, signal: AbortSignal): Promise<void> {
    await requestJson(this.http, 'PATCH', `${this.base}/${n}`, signal, { state: 'closed', state_reason: 'completed' });
  }

  async reopen(n: string, signal: AbortSignal): Promise<void> {
    await requestJson(this.http, 'PATCH', `${this.base}/${n}`, signal, { state: 'open' });
  }

  async state(n: string, signal: AbortSignal): Promise<RemoteState> {
    const issue = await requestJson<Issue>(this.http, 'GET', `${this.base}/${n}`, signal);
    const open = issue?.state !== 'closed';
    // vigil closes as completed, so not_planned (or duplicate) was someone's decision
    return { open, wontFix: !open && (issue?.state_reason === 'not_planned' || issue?.state_reason === 'duplicate') };
  }
}
