/**
 * The composition root of the notify pipeline: which stages run, in which order, over what.
 * Adding a stage is a new file in its module and one line here.
 */
import type { Logger } from 'pino';
import type { Receiver } from '../config/index.js';
import type { NotifyPipeline } from '../dispatch/index.js';
import { buildIntegrations, integrationStages, type Integration, type IntegrationContext, type IntegrationLog, type IntegrationStage } from '../notify/index.js';
import { MuteStage, RateLimitStage, StormStage, TimeIntervalStage, type TimeIntervals, type DeliveryStage, type HeldAlerts, type InhibitRule, type Notification, type RateLimiters, type SilenceMatcher } from '../route/index.js';

export interface PipelineParts {
  receivers: readonly Receiver[];
  inhibitRules: readonly InhibitRule[];
  timeIntervals?: TimeIntervals;
  silences: SilenceMatcher;
  held: HeldAlerts;
  rateLimiters: RateLimiters;
  integrationLog: IntegrationLog;
  /** With several replicas: the flush claim, so that one of them sends each notification. */
  claim?: IntegrationStage;
  integrationContext?: IntegrationContext;
  /** Signed actionable/noise links, carried by Slack messages and tickets. */
  feedbackLinks?: (n: Notification) => { actionable: string; noise: string } | undefined;
  onStorm?: (receiver: string, alerts: number) => void;
  logger: Logger;
  /** Integrations by receiver; built here unless given (tests hand in their own). */
  integrations?: (receiver: Receiver) => Integration[];
}

export function buildPipeline(parts: PipelineParts): NotifyPipeline {
  const receivers = new Map(parts.receivers.map((r) => [r.name, r]));
  const build = parts.integrations ?? ((r: Receiver) => buildIntegrations(r, parts.integrationContext));
  const integrations = new Map(parts.receivers.map((r) => [r.name, build(r)]));
  parts.rateLimiters.update(parts.receivers);
  const log = parts.logger;
  return {
    group: [new TimeIntervalStage(parts.timeIntervals ?? new Map()), new MuteStage(parts.silences, parts.inhibitRules, parts.held)],
    delivery: [
      new RateLimitStage(
        (name) => parts.rateLimiters.get(name),
        (receiver, d) => log.warn({ receiver, suppressed: d.suppressed, resumesAt: new Date(d.resumesAt).toISOString() }, 'notification held back by the rate limit'),
      ),
      new StormStage((name) => receivers.get(name)?.stormThreshold, parts.onStorm),
      feedbackStage(receivers, parts.feedbackLinks),
    ],
    integrations: (name) => integrations.get(name) ?? [],
    integration: integrationStages(parts.integrationLog, {}, parts.claim),
  };
}

/** Adds the feedback links to a firing notification of a receiver whose messages carry them (Slack, tickets). */
function feedbackStage(receivers: Map<string, Receiver>, links: PipelineParts['feedbackLinks']): DeliveryStage {
  return {
    name: 'feedback',
    run(d) {
      const r = receivers.get(d.notification.receiver);
      if (!links || !r || d.notification.firing.length === 0 || (r.slack.length === 0 && r.ticket.length === 0)) return d;
      const feedback = links(d.notification);
      return feedback ? { ...d, feedback } : d;
    },
  };
}
