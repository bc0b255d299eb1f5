import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/index.js';
import cron from 'node-cron';
import { nextUtcMatch, runWeeklyReport, scheduleWeeklyReport } from '../../src/cli/report-schedule.js';
import { slackProblem, startSlack, type LoopbackReceiver } from '../support/receivers.js';
import { TO, seededHistory, writeConfig, type SeededHistory } from '../support/history.js';

let seeded: SeededHistory;
let slack: LoopbackReceiver;
const logs: { level: string; msg: string; obj: object }[] = [];
const logger = {
  info: (obj: object, msg: string) => logs.push({ level: 'info', msg, obj }),
  warn: (obj: object, msg: string) => logs.push({ level: 'warn', msg, obj }),
  error: (obj: object, msg: string) => logs.push({ level: 'error', msg, obj }),
};

beforeAll(async () => {
  seeded = await seededHistory();
  slack = await startSlack();
});
afterAll(async () => {
  seeded.store.close();
  await slack.close();
});

test('a run writes vigil-report-<date>.md and .html to out_dir and posts the Markdown to the Slack of the report receiver', async () => {
  const config = await loadConfigFile(writeConfig(seeded.dir, { slackUrl: `${slack.url}/services/T0/B0/x` }));
  const run = await runWeeklyReport({ config, store: seeded.store, logger }, TO);
  expect(run).toEqual({ markdownFile: join(seeded.dir, 'reports', 'vigil-report-2026-11-16.md'), htmlFile: join(seeded.dir, 'reports', 'vigil-report-2026-11-16.html'), posted: 1, failed: 0 });
  expect(readFileSync(run.markdownFile, 'utf8')).toContain('| Fires | 11 | 4 |');
  expect(readFileSync(run.htmlFile, 'utf8')).toContain('<svg class="chart fires-per-day"');
  const [req] = await slack.waitForRequests(1);
  expect(req.status).toBe(200);
  expect(slackProblem(req.json)).toBeUndefined();
  const body = req.json as { text: string; channel: string; blocks: { text: { text: string } }[] };
  expect(body.channel).toBe('#alert-review');
  expect(body.text).toBe('*vigil alert review: 2026-11-09 10:00 → 2026-11-16 10:00 (Europe/Berlin)*');
  // the never-fired rule comes from the config's rule_files
  expect(body.blocks.map((b) => b.text.text).join('\n')).toContain('• *Never fired:* AgentToolSelectionDrift');
});

test('Slack failing is logged and counted; the files are still written', async () => {
  const config = await loadConfigFile(writeConfig(seeded.dir, { slackUrl: `${slack.url}/services/T0/B0/x` }));
  slack.fail(1, 500);
  const run = await runWeeklyReport({ config, store: seeded.store, logger, rules: () => [] }, TO);
  expect(run.posted).toBe(0);
  expect(run.failed).toBe(1);
  expect(existsSync(run.markdownFile)).toBe(true);
  expect(logs.some((l) => l.level === 'error' && l.msg === 'weekly report: posting to Slack failed')).toBe(true);
});

// UTC is walked by vigil (no Intl), other zones by node-cron
test.each(['Europe/Berlin', 'UTC'])('scheduleWeeklyReport runs on its cron schedule in %s, and stops', async (timeZone) => {
  const config = await loadConfigFile(writeConfig(seeded.dir, { schedule: '* * * * * *', timeZone }));
  const posted: unknown[] = [];
  const seen = logs.length;
  const ticks = () => logs.slice(seen).filter((l) => l.msg === 'weekly report written').length;
  const stop = scheduleWeeklyReport({ config, store: seeded.store, logger, post: async (_c, m) => void posted.push(m), rules: () => [] });
  try {
    // an every-second schedule: the first tick comes within a second or two
    for (let i = 0; i < 50 && ticks() === 0; i++) await new Promise((r) => setTimeout(r, 100));
  } finally {
    stop();
  }
  expect(ticks()).toBeGreaterThanOrEqual(1);
  const after = ticks();
  await new Promise((r) => setTimeout(r, 1500));
  expect(ticks()).toBe(after); // stopped: no more runs
  expect(readdirSync(join(seeded.dir, 'reports')).some((f) => /^vigil-report-\d{4}-\d{2}-\d{2}\.html$/.test(f))).toBe(true);
  expect(posted).toEqual([]); // no report receiver: only written
});

test.each([
  '0 9 * * 1',
  '*/15 9-17 * * mon-fri',
  '30 8 1,15 * *',
  '0 0 29 2 *',
  '5 4 * * sun',
  '0 22 * * 1-5',
  '*/20 * * * * *',
  '0 0 31 * *',
  '59 23 * 12 *',
])('the UTC walk of "%s" gives the times node-cron gives in UTC', (expr) => {
  const task = cron.createTask(expr, () => undefined, { timezone: 'UTC' });
  try {
    const want = task.getNextRuns(6).map((d) => d.toISOString());
    const got: string[] = [];
    let t = Date.now();
    for (let i = 0; i < 6; i++) got.push(new Date((t = nextUtcMatch(cron.parse(expr), t)!)).toISOString());
    expect(got).toEqual(want);
  } finally {
    void task.destroy();
  }
});

test('a day token that only node-cron evaluates (L, #) is left to node-cron', () => {
  expect(nextUtcMatch(cron.parse('0 9 L * *'), Date.now())).toBeUndefined();
  expect(nextUtcMatch(cron.parse('0 9 * * 1#2'), Date.now())).toBeUndefined();
});
