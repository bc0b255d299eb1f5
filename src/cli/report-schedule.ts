/** The weekly report on a schedule (wiring of `vigil serve`): build the last 7 days, write .md and .html to outDir, post the Markdown to Slack. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingWebhookSendArguments } from '@slack/webhook';
import { SlackIntegration } from '../notify/index.js';
import cron from 'node-cron';
import type { Config, SlackConfig } from '../config/index.js';
import type { Datasource } from '../datasource/index.js';
import type { Logger } from '../eval/index.js';
import { loadRuleFiles, type RuleGroup } from '../rules/index.js';
import type { Store } from '../store/index.js';
import { buildReport, renderHtml, renderMarkdown, slackReportMessage, WEEK_MS, zonedParts } from '../report/index.js';

/** Sends one Slack message; injectable so tests and serve can route it elsewhere. */
export type SlackPost = (config: SlackConfig, message: IncomingWebhookSendArguments) => Promise<void>;

export interface WeeklyReportOptions {
  config: Config;
  store: Store;
  /** Given: raised thresholds are backtested against it. */
  datasource?: Datasource;
  logger: Logger;
  post?: SlackPost;
  /** Rule groups already loaded (serve has them); otherwise config.ruleFiles are loaded at each run. */
  rules?: () => RuleGroup[];
}

/** Through the Slack notifier, so the report gets the same TLS (tls_config), timeout and errors as alerts. */
export const postToSlack: SlackPost = async (config, message) => {
  await new SlackIntegration(config).sendMessage(message, AbortSignal.timeout(config.http.timeoutMs));
};

async function currentRules(options: WeeklyReportOptions): Promise<RuleGroup[]> {
  if (options.rules) return options.rules();
  const loaded = await loadRuleFiles(options.config.ruleFiles);
  return loaded.files.flatMap((f) => f.groups);
}

export interface WeeklyReportRun {
  markdownFile: string;
  htmlFile: string;
  posted: number;
  failed: number;
}

/** One run: what the schedule does at each tick, callable directly (tests, `now` injected). */
export async function runWeeklyReport(options: WeeklyReportOptions, now: number): Promise<WeeklyReportRun> {
  const { config, store, logger } = options;
  const r = config.report;
  const report = await buildReport(store, {
    from: now - WEEK_MS,
    to: now,
    now,
    timeZone: r.timeZone,
    workingHours: r.workingHours,
    rules: await currentRules(options),
    backtest: options.datasource ? { datasource: options.datasource } : undefined,
  });
  const md = renderMarkdown(report);
  await mkdir(r.outDir, { recursive: true });
  const base = join(r.outDir, `vigil-report-${zonedParts(now, r.timeZone).day}`);
  await writeFile(`${base}.md`, md);
  await writeFile(`${base}.html`, renderHtml(report));
  const run: WeeklyReportRun = { markdownFile: `${base}.md`, htmlFile: `${base}.html`, posted: 0, failed: 0 };
  const receiver = r.receiver ? config.receivers.find((x) => x.name === r.receiver) : undefined;
  if (r.receiver && !receiver) logger.warn({ receiver: r.receiver }, 'weekly report: receiver not found; report only written to outDir');
  for (const slack of receiver?.slack ?? []) {
    try {
      await (options.post ?? postToSlack)(slack, slackReportMessage(md, slack.channel));
      run.posted++;
    } catch (err) {
      run.failed++;
      logger.error({ receiver: r.receiver, err: (err as Error).message }, 'weekly report: posting to Slack failed');
    }
  }
  logger.info({ file: run.markdownFile, posted: run.posted, failed: run.failed }, 'weekly report written');
  return run;
}

/** Schedules the report with config.report.schedule in config.report.timeZone; returns the stop function. */
export function scheduleWeeklyReport(options: WeeklyReportOptions): () => void {
  const { schedule, timeZone } = options.config.report;
  const task = cron.schedule(
    schedule,
    async () => {
      try {
        await runWeeklyReport(options, Date.now());
      } catch (err) {
        options.logger.error({ err: (err as Error).message }, 'weekly report failed');
      }
    },
    { timezone: timeZone, name: 'vigil-weekly-report', noOverlap: true },
  );
  return () => {
    void task.stop();
    void task.destroy();
  };
}
