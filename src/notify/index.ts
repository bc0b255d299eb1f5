// Notifiers: one file per integration, the shared retry/timeout policy, a receiver's integrations, and the integration stages of the notify pipeline (dedup → retry → log).
import type { Receiver } from '../config/index.js';
import { GrafanaAnnotationIntegration } from './grafana.js';
import { PagerdutyIntegration } from './pagerduty.js';
import { SlackIntegration } from './slack.js';
import { TicketIntegration } from './ticket.js';
import type { Integration, IntegrationContext } from './types.js';
import { WebhookIntegration } from './webhook.js';

export { NotifyError, type Delivery, type Integration, type IntegrationContext, type IntegrationResult } from './types.js';
export { IntegrationLog, type IntegrationLogStore, type LogKey } from './nflog.js';
export { DedupStage, RetryStage, LogStage, fanOut, integrationStages, type IntegrationDelivery, type IntegrationStage, type FanOutOutcome } from './stages.js';
export { deliver, deliverOne, classifyError, parseRetryAfter, errorForStatus, type DeliverOptions, type AttemptInfo } from './policy.js';
export { PagerdutyIntegration, pagerdutyEvent, pagerdutySeverity, dedupKey, type PagerdutyEvent } from './pagerduty.js';
export { SlackIntegration, slackMessage, slackMention, escapeMrkdwn } from './slack.js';
export { GrafanaAnnotationIntegration, grafanaAnnotation, annotationTags, type GrafanaAnnotation } from './grafana.js';
export { TicketIntegration, JiraTracker, GithubTracker, alertLabel, groupHash, firedFor, ticketTitle, WONT_FIX } from './ticket.js';
export { WebhookIntegration, webhookPayload, webhookBody, type WebhookPayloadV4, type WebhookAlert } from './webhook.js';

/** The integrations of a receiver, numbered per kind as Alertmanager numbers them. */
export function buildIntegrations(receiver: Receiver, ctx: IntegrationContext = {}): Integration[] {
  return [
    ...receiver.pagerduty.map((c, i) => new PagerdutyIntegration(c, i)),
    ...receiver.slack.map((c, i) => new SlackIntegration(c, i)),
    ...receiver.webhook.map((c, i) => new WebhookIntegration(c, i)),
    ...receiver.ticket.map((c, i) => new TicketIntegration(c, i, ctx)),
    ...receiver.grafana.map((c, i) => new GrafanaAnnotationIntegration(c, i, receiver.name, ctx)),
  ];
}
