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

/** A schedule's fields as node-cron's parse expands them; day fields may hold tokens (L, 5#2) besides numbers. */
type CronFields = ReturnType<typeof cron.parse>;
const MAX_DAYS = 366 * 8;

/**
 * The first time after `after` (ms) that `fields` match in UTC, or undefined when a day field has a token
 * (L, W, #) that only node-cron evaluates. Walked here rather than by node-cron because node-cron reads
 * every date through Intl, and ICU's data then costs a process ~8 MiB of RSS for a report that runs weekly.
 */
export function nextUtcMatch(fields: CronFields, after: number): number | undefined {
  const numbers = (values: unknown[]) => (values.every((v) => typeof v === 'number') ? new Set(values as number[]) : undefined);
  const [days, weekdays] = [numbers(fields.dayOfMonth), numbers(fields.dayOfWeek)];
  if (!days || !weekdays) return undefined;
  const months = new Set(fields.month);
  const asc = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const [hours, minutes, seconds] = [asc(fields.hour), asc(fields.minute), asc(fields.second)];
  const first = Math.floor(after / 1000) * 1000 + 1000;
  const day0 = first - (first % 86_400_000); // UTC days are whole multiples of 86,400 s since the epoch
  for (let d = 0; d < MAX_DAYS; d++) {
    const midnight = day0 + d * 86_400_000;
    const date = new Date(midnight);
    if (!months.has(date.getUTCMonth() + 1) || !days.has(date.getUTCDate()) || !weekdays.has(date.getUTCDay())) continue;
    for (const h of hours) {
      for (const m of minutes) {
        for (const s of seconds) {
          const t = midnight + h * 3_600_000 + m * 60_000 + s * 1000;
          if (t >= first) return t;
        }
      }
    }
  }
  return undefined;
}

/** Schedules the report with config.report.schedule in config.report.timeZone; returns the stop function. */
export function scheduleWeeklyReport(options: WeeklyReportOptions): () => void {
  const { schedule, timeZone } = options.config.report;
  const run = async () => {
    try {
      await runWeeklyReport(options, Date.now());
    } catch (err) {
      options.logger.error({ err: (err as Error).message }, 'weekly report failed');
    }
  };
  const fields = timeZone === 'UTC' ? cron.parse(schedule) : undefined;
  const first = fields && nextUtcMatch(fields, Date.now());
  if (fields && first !== undefined) return scheduleUtc(fields, first, run);
  const task = cron.schedule(schedule, run, { timezone: timeZone, name: 'vigil-weekly-report', noOverlap: true });
  return () => {
    void task.stop();
    void task.destroy();
  };
}

/** A timer to each next match; a run still going when the next comes makes that one skip (node-cron's noOverlap). */
function scheduleUtc(fields: CronFields, first: number, run: () => Promise<void>): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  // setTimeout holds at most 2^31-1 ms (~24.8 days): a later match is waited for in several steps
  const wait = (at: number) => (timer = setTimeout(() => fire(at), Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1)));
  const arm = (after: number) => {
    const at = nextUtcMatch(fields, after);
    if (at !== undefined) wait(at);
  };
  const fire = (at: number) => {
    if (at - Date.now() > 1000) return wait(at);
    if (!running) {
      running = true;
      void run().finally(() => (running = false));
    }
    arm(Math.max(at, Date.now())); // times missed while the process slept are not made up, as node-cron does not
  };
  wait(first);
  return () => clearTimeout(timer);
}
