/** Slack incoming webhook: one Block Kit message per delivery, every alert-supplied text escaped. */
import { IncomingWebhook, type FetchFunction, type IncomingWebhookSendArguments } from '@slack/webhook';
import type { SlackConfig } from '../config/index.js';
import type { RoutedAlert } from '../route/index.js';
import { agentFor, post, type HttpAgent, type HttpAnswer } from './http.js';
import { classifyError, errorForStatus } from './policy.js';
import { formatLabels, headline, highestSeverity, rateLimitNotice, refiresOf, safeURL, stormCounts, truncate, type Severity } from './render.js';
import type { Delivery, Integration } from './types.js';

/** Slack's limits: section text 3000, header 150, 50 blocks per message (we keep a few for headings). */
const MAX_TEXT = 3000;
const MAX_HEADER = 150;
const MAX_LISTED = 40;

type KnownBlock = NonNullable<IncomingWebhookSendArguments['blocks']>[number];
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

const COLOR: Record<Severity, string> = { P1: 'danger', P2: 'warning', P3: '#439FE0' };
const MENTION = { channel: '<!channel>', here: '<!here>', none: '' } as const;

/** Slack mrkdwn control characters; after this no alert text can form a mention or a link. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link vigil writes: http(s) only, with the characters that would end Slack's <url|text> escaped. */
function link(url: string | undefined, text: string): string | undefined {
  const u = safeURL(url);
  return u ? `<${escapeMrkdwn(u).replace(/\|/g, '%7C')}|${text}>` : undefined;
}

/** Who is pinged: the config's mention, else by severity (P1 channel, P2 here); never for a resolved message. */
export function slackMention(mention: SlackConfig['mention'], delivery: Delivery): string {
  if (delivery.notification.firing.length === 0) return '';
  if (mention) return MENTION[mention];
  const sev = highestSeverity(delivery.notification.firing);
  return sev === 'P1' ? MENTION.channel : sev === 'P2' ? MENTION.here : '';
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, MAX_TEXT) } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, MAX_TEXT) }] });

function alertBlock(alert: RoutedAlert, delivery: Delivery): KnownBlock {
  const omit = ['alertname', 'severity', ...Object.keys(delivery.notification.groupLabels)];
  const labels = formatLabels(alert.labels, omit);
  const lines = [`*${escapeMrkdwn(alert.labels.alertname ?? 'alert')}*${labels ? ' ' + escapeMrkdwn(labels) : ''}`];
  const refires = refiresOf(delivery, alert.fingerprint);
  if (refires !== undefined) lines[0] += ` :warning: flapping (re-fired ${refires} times)`;
  const { summary, description, value } = alert.annotations;
  if (summary) lines.push(escapeMrkdwn(summary));
  if (description && description !== summary) lines.push(escapeMrkdwn(description));
  if (value !== undefined) lines.push(`Value: ${escapeMrkdwn(value)}`);
  const links = [link(alert.annotations.runbook_url, 'Runbook'), link(alert.generatorURL, 'Source')].filter(Boolean).join(' · ');
  // the links go after the cut, so that truncation never breaks one
  const body = truncate(lines.join('\n'), MAX_TEXT - links.length - 1);
  return section(links ? `${body}\n${links}` : body);
}

/** The message for a delivery: a mention and fallback text, and one colored attachment holding the blocks. */
export function slackMessage(config: Pick<SlackConfig, 'mention' | 'maxAlerts' | 'channel'>, delivery: Delivery): IncomingWebhookSendArguments {
  const n = delivery.notification;
  const firing = n.firing.length > 0;
  const status = firing ? 'FIRING' : 'RESOLVED';
  const sev = highestSeverity(firing ? n.firing : n.resolved);
  const title = headline(delivery);
  const mention = slackMention(config.mention, delivery);

  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(`${status} ${escapeMrkdwn(title)}`, MAX_HEADER) } }]; // Slack decodes the three entities in plain_text too
  const group = formatLabels(n.groupLabels);
  if (group) blocks.push(section(`*Group:* ${escapeMrkdwn(group)}`));
  const notice = rateLimitNotice(delivery);
  if (notice) blocks.push(context(`:warning: ${escapeMrkdwn(notice)}`));

  if (delivery.storm) {
    const { byAlertname, topAgents } = stormCounts(n.firing);
    const fmt = (xs: [string, number][]) => xs.map(([k, c]) => `${escapeMrkdwn(k)}: ${c}`).join(', ');
    const lines = [
      `*Alert storm:* ${delivery.storm.alerts} alerts in this group (threshold ${delivery.storm.threshold}), summarised instead of listed.`,
      `*Firing by alert:* ${fmt(byAlertname) || 'none'}`,
    ];
    if (topAgents.length > 0) lines.push(`*Top agent_id:* ${fmt(topAgents)}`);
    lines.push(`New: ${n.changes.new.length} · Still firing: ${n.firing.length - n.changes.new.length} · Resolved: ${n.resolved.length}`);
    blocks.push(section(lines.join('\n')));
  } else {
    const isNew = new Set(n.changes.new);
    const groups: [string, RoutedAlert[]][] = [
      ['New', n.firing.filter((a) => isNew.has(a.fingerprint))],
      ['Still firing', n.firing.filter((a) => !isNew.has(a.fingerprint))],
      ['Resolved', n.resolved],
    ];
    let budget = Math.max(1, Math.min(config.maxAlerts, MAX_LISTED));
    let more = 0;
    for (const [label, alerts] of groups) {
      if (alerts.length === 0) continue;
      const shown = alerts.slice(0, budget);
      more += alerts.length - shown.length;
      budget -= shown.length;
      if (shown.length === 0) continue;
      blocks.push(section(`*${label}* (${alerts.length})`));
      for (const a of shown) blocks.push(alertBlock(a, delivery));
    }
    if (more > 0) blocks.push(context(`and ${more} more`));
  }
  // vigil's own signed links; link() still refuses anything but http(s) and escapes what would end <url|text>
  const feedback = delivery.feedback && [link(delivery.feedback.actionable, 'Yes'), link(delivery.feedback.noise, 'No, noise')];
  if (feedback && feedback[0] && feedback[1]) blocks.push(context(`Actionable? ${feedback[0]} · ${feedback[1]}`));
  const footer = link(delivery.externalURL, 'vigil');
  if (footer) blocks.push(context(`${footer}${n.isRepeat ? ' · repeat notification' : ''}`));

  const message: IncomingWebhookSendArguments = {
    text: truncate(`${mention ? mention + ' ' : ''}${status}: ${escapeMrkdwn(title)}`, MAX_TEXT),
    attachments: [{ color: firing ? (sev ? COLOR[sev] : 'warning') : 'good', fallback: `${status}: ${escapeMrkdwn(title)}`, blocks }],
  };
  if (config.channel) message.channel = config.channel;
  return message;
}

/** A fetch for @slack/webhook that goes through our agent (CA), stops on our signal, and remembers the answer's headers. */
function fetchVia(agent: HttpAgent, signal: AbortSignal, seen: { answer?: HttpAnswer }): FetchFunction {
  return async (url, init) => {
    const answer = await post(String(url), init?.body ?? '', agent, signal, init?.headers ?? {});
    seen.answer = answer;
    const res: FetchResponse = {
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      statusText: '',
      url: String(url),
      headers: { get: (k: string) => answer.headers[k.toLowerCase()] ?? null, entries: () => Object.entries(answer.headers) },
      arrayBuffer: async () => new TextEncoder().encode(answer.body).buffer as ArrayBuffer,
      json: async () => JSON.parse(answer.body) as unknown,
      text: async () => answer.body,
    };
    return res;
  };
}

export class SlackIntegration implements Integration {
  readonly kind = 'slack';
  readonly sendResolved: boolean;
  readonly timeoutMs: number;
  private readonly agent: HttpAgent;

  constructor(private readonly config: SlackConfig, readonly index = 0) {
    this.sendResolved = config.sendResolved;
    this.timeoutMs = config.http.timeoutMs;
    this.agent = agentFor(config.webhookUrl, config.http);
  }

  async send(delivery: Delivery, signal: AbortSignal): Promise<void> {
    await this.sendMessage(slackMessage(this.config, delivery), signal);
  }

  /** Posts any message (the weekly report uses it) with this config's TLS, abort and error handling. */
  async sendMessage(message: IncomingWebhookSendArguments, signal: AbortSignal): Promise<void> {
    const seen: { answer?: HttpAnswer } = {};
    // a client per attempt: @slack/webhook takes its fetch at construction, and ours carries this attempt's signal
    const hook = new IncomingWebhook(this.config.webhookUrl, { fetch: fetchVia(this.agent, signal, seen), timeout: 0 });
    try {
      await hook.send(message);
    } catch (err) {
      // the library drops the headers: Retry-After comes from the answer our fetch saw
      if (seen.answer && seen.answer.status >= 300) throw errorForStatus(seen.answer.status, `Slack: ${truncate(seen.answer.body.trim(), 200)}`, seen.answer.headers);
      throw classifyError(err);
    }
  }
}
