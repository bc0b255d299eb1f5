// The web UI in a real Chromium (the Debian package, headless, driven by puppeteer-core) against a
// real `vigil serve` holding real alerts. Screenshots of each page go to test-output/ui/.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { freePort, requireOrSkip, which } from './support/prometheus.js';
import { VIGIL } from '../support/vigil-bin.js';

const SHOTS = resolve(process.cwd(), 'test-output/ui');
const TOKEN = 'ui-write-secret';
const describeChromium = requireOrSkip('web UI in Chromium', ['chromium']) ? describe : describe.skip;

const RULES = `groups:
  - name: agents
    interval: 1s
    rules:
      - alert: NoAgentTraffic
        expr: absent(agent_requests_total)
        labels: { severity: P3 }
        annotations: { summary: "no agent has reported yet" }
        runbook: agent-error-rate-spike.md
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface ApiSilence {
  id: string;
  status: { state: string };
  createdBy: string;
  comment: string;
}

describeChromium('the web UI in Chromium', () => {
  let dir: string;
  let base: string;
  let vigil: ChildProcess | undefined;
  let output = '';
  let browser: Browser;
  let page: Page;
  const fp: Record<string, string> = {};
  const pageErrors: string[] = [];

  const api = async <T>(path: string): Promise<T> => (await (await fetch(`${base}${path}`)).json()) as T;
  const silences = () => api<ApiSilence[]>('/api/v2/silences');
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const rowText = (p: Page, fingerprint: string) => p.$eval(`[data-fingerprint="${fingerprint}"]`, (el) => (el as HTMLElement).innerText);

  /** Waits for an element's text to match; on timeout says what the text was. */
  async function waitForText(p: Page, selector: string, re: RegExp, timeoutMs = 15_000): Promise<string> {
    let last = '';
    try {
      await p.waitForFunction(
        (sel, src) => new RegExp(src).test((document.querySelector(sel) as HTMLElement | null)?.innerText ?? ''),
        { timeout: timeoutMs, polling: 100 },
        selector,
        re.source,
      );
    } catch (err) {
      last = await p.$eval(selector, (el) => (el as HTMLElement).innerText).catch(() => '(no such element)');
      throw new Error(`${selector} never matched ${re}; its text: ${JSON.stringify(last)} (${(err as Error).message})`);
    }
    return p.$eval(selector, (el) => (el as HTMLElement).innerText);
  }

  /** Name and token, entered once in the header form, as an on-call engineer does. */
  async function signIn(p: Page): Promise<void> {
    await p.$eval('#identity input[name=by]', (el) => ((el as HTMLInputElement).value = ''));
    await p.type('#identity input[name=by]', 'tester');
    await p.type('#identity input[name=token]', TOKEN);
    await p.click('#identity button[type=submit]');
    await p.waitForFunction(() => document.querySelector('#identity-status')?.textContent?.includes('token set'));
  }

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'vigil-ui-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await writeFile(join(dir, 'rules.yaml'), RULES);
    await writeFile(
      join(dir, 'vigil.yaml'),
      `rule_files: [rules.yaml]
storage: { sqlite: { path: data/vigil.db } }
server: { listen: 127.0.0.1:${port}, bearer_token: ${TOKEN} }
route:
  receiver: observe
  group_by: [alertname, agent_id]
  routes:
    - { matchers: ['severity="P1"'], receiver: page }
    - { matchers: ['severity="P2"'], receiver: triage }
receivers: [{ name: page }, { name: triage }, { name: observe }]
inhibit_rules:
  - { source_matchers: ['severity="P1"'], target_matchers: ['severity="P3"'], equal: [agent_id] }
`,
    );
    vigil = spawn(process.execPath, [...VIGIL, 'serve', '--config', join(dir, 'vigil.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    vigil.stdout!.on('data', (d) => (output += d));
    vigil.stderr!.on('data', (d) => (output += d));
    await waitFor('/readyz', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));
    const post = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify([
        { labels: { alertname: 'AgentErrorRate', severity: 'P1', agent_id: 'checkout' }, annotations: { summary: 'checkout fails 12% of requests', runbook_url: `${base}/runbooks/agent-error-rate` } },
        { labels: { alertname: 'ToolFailure', severity: 'P2', agent_id: 'checkout', tool_name: 'search' }, annotations: { summary: '<b>search</b> fails' } },
        { labels: { alertname: 'ToolFailure', severity: 'P2', agent_id: 'support', tool_name: 'search' }, annotations: {} },
        { labels: { alertname: 'HallucinationTrend', severity: 'P3', agent_id: 'checkout' }, annotations: {} },
      ]),
    });
    expect(post.status).toBe(200);
    for (const a of await api<{ labels: Record<string, string>; fingerprint: string }[]>('/api/v2/alerts')) fp[`${a.labels.alertname}/${a.labels.agent_id}`] = a.fingerprint;
    browser = await puppeteer.launch({
      executablePath: which('chromium'),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('pageerror', (err) => pageErrors.push((err as Error).message));
  }, 90_000);

  const after: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const f of after.splice(0)) await f();
    await page?.bringToFront();
  });

  afterAll(async () => {
    await browser?.close();
    if (vigil && vigil.exitCode === null) {
      vigil.kill('SIGTERM');
      await new Promise((r) => vigil!.once('exit', r));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('alerts page: grouped as the routing tree groups them, inhibited shown with what inhibits it, escaped text', async () => {
    await page.goto(`${base}/`);
    const groups = await page.$$eval('section.group', (els) => els.map((e) => (e.querySelector('.head strong') as HTMLElement).innerText));
    // one card per aggregation group: P1 first; both checkout ToolFailure and support ToolFailure have their own group
    expect(groups[0]).toBe('page');
    expect(groups.filter((g) => g === 'triage')).toHaveLength(2);
    expect(groups).toContain('observe');
    expect(await rowText(page, fp['HallucinationTrend/checkout'])).toMatch(/inhibited by AgentErrorRate/);
    // annotation text is shown as text, never as markup
    expect(await rowText(page, fp['ToolFailure/checkout'])).toContain('<b>search</b> fails');
    await shot(page, 'alerts');
    await page.goto(`${base}/?view=table`);
    expect(await page.$$eval('table tbody tr.alert', (rows) => rows.length)).toBeGreaterThanOrEqual(4);
    await shot(page, 'alerts-table');
  });

  test('filter: matcher syntax in the bar, the state in the URL; a bad matcher gets an inline message', async () => {
    await page.goto(`${base}/`);
    await page.type('#filter', '{agent_id="support"}');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).searchParams.get('filter')).toBe('{agent_id="support"}');
    const shown = await page.$$eval('#live .alert[data-fingerprint]', (els) => els.map((e) => (e as HTMLElement).dataset.fingerprint));
    expect(shown).toEqual([fp['ToolFailure/support']]);
    // a shared URL opens the same view
    const other = await browser.newPage();
    await other.goto(page.url());
    expect(await other.$$eval('#live .alert[data-fingerprint]', (els) => els.length)).toBe(1);
    await other.close();

    await page.goto(`${base}/?filter=${encodeURIComponent('{agent_id=~"("}')}`);
    const error = await page.$eval('#filter-error', (el) => (el as HTMLElement).innerText);
    expect(error).toMatch(/^filter: .*invalid regular expression "\(": missing closing \)/);
  });

  test('ack: without the token the UI says so; with it the alert shows who acknowledged it', async () => {
    await page.goto(`${base}/`);
    const ack = `[data-fingerprint="${fp['AgentErrorRate/checkout']}"] button[data-action=ack]`;
    await page.click(ack);
    await page.waitForFunction(() => /needs the bearer token/.test(document.querySelector('#flash')?.textContent ?? ''));
    await signIn(page);
    await page.click(ack);
    await page.waitForFunction((sel) => /acknowledged by tester/.test((document.querySelector(sel) as HTMLElement)?.innerText ?? ''), {}, `[data-fingerprint="${fp['AgentErrorRate/checkout']}"]`);
    const history = await api<{ data: { kind: string; detail?: { by?: string } }[] }>(`/api/v1/alerts/history?fingerprint=${fp['AgentErrorRate/checkout']}&kind=acknowledged`);
    expect(history.data.map((e) => e.detail?.by)).toEqual(['tester']);
  });

  test('mark as noise: recorded for the weekly review and shown on the alert', async () => {
    await page.goto(`${base}/`);
    const row = `[data-fingerprint="${fp['ToolFailure/support']}"]`;
    await page.click(`${row} button[data-action=feedback][data-verdict=noise]`);
    await page.waitForFunction((sel) => /marked noise/.test((document.querySelector(sel) as HTMLElement)?.innerText ?? ''), {}, row);
    const history = await api<{ data: { kind: string; detail?: { verdict?: string; by?: string } }[] }>(`/api/v1/alerts/history?fingerprint=${fp['ToolFailure/support']}&kind=feedback`);
    expect(history.data.map((e) => e.detail)).toEqual([{ verdict: 'noise', by: 'tester' }]);
  });

  test('keyboard: a focused button works with Enter and keeps its focus when the list updates', async () => {
    await page.goto(`${base}/`);
    const row = `[data-fingerprint="${fp['HallucinationTrend/checkout']}"]`;
    await page.focus(`${row} button[data-verdict=actionable]`);
    await page.keyboard.press('Enter');
    await page.waitForFunction((sel) => /marked actionable/.test((document.querySelector(sel) as HTMLElement)?.innerText ?? ''), {}, row);
    // the list was re-rendered with the badge; focus is back on the same button
    expect(await page.evaluate(() => [document.activeElement?.getAttribute('data-verdict'), document.activeElement?.closest('[data-fingerprint]')?.getAttribute('data-fingerprint')])).toEqual([
      'actionable',
      fp['HallucinationTrend/checkout'],
    ]);
  });

  test('dark mode follows prefers-color-scheme', async () => {
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await page.goto(`${base}/`);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(20, 23, 26)');
    await shot(page, 'alerts-dark');
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  });

  test('bad input in the silence form: an inline message naming the problem, nothing saved', async () => {
    const before = (await silences()).length;
    await page.goto(`${base}/silences/new`);
    if (!(await page.evaluate(() => sessionStorage.getItem('vigil.token')))) await signIn(page);
    await page.type('#silence-form input[name=matchers]', '{agent_id="support}');
    await page.type('#silence-form textarea[name=comment]', 'bad one');
    await page.click('#silence-form button[type=submit]');
    await page.waitForFunction(() => /^matchers: .*"support}: missing end/.test(document.querySelector('#silence-error')?.textContent ?? ''));
    expect(await page.$eval('#silence-error', (el) => (el as HTMLElement).hidden)).toBe(false);

    // a valid matcher, but the end before the start
    await page.$eval('#silence-form input[name=matchers]', (el) => ((el as HTMLInputElement).value = '{agent_id="support"}'));
    await page.$eval('#silence-form input[name=endsAt]', (el) => ((el as HTMLInputElement).value = '2020-01-01T00:00:00Z'));
    await page.click('#silence-form button[type=submit]');
    await waitForText(page, '#silence-error', /^endsAt: start time must be before end time/);
    await shot(page, 'silence-form-error');
    expect(page.url()).toBe(`${base}/silences/new`);
    expect((await silences()).length).toBe(before);
  });

  test('silence from the preview: the open alerts page shows the alert silenced without a reload; expiring it brings it back', async () => {
    const target = fp['ToolFailure/checkout'];
    // an on-call engineer keeps the alerts page open in one tab…
    await page.goto(`${base}/?filter=${encodeURIComponent('{alertname="ToolFailure"}')}`);
    expect(await rowText(page, target)).toMatch(/active/);
    // …follows "silence from current filter" in another, and narrows it in the matcher editor
    const form = await browser.newPage();
    after.push(() => form.close());
    await form.setViewport({ width: 1280, height: 900 });
    await form.goto(await page.$eval('a[href^="/silences/new?matchers="]', (a) => (a as HTMLAnchorElement).href));
    expect(await form.$eval('#silence-form input[name=matchers]', (el) => (el as HTMLInputElement).value)).toBe('{alertname="ToolFailure"}');
    await form.waitForFunction(() => document.querySelector('#preview-count')?.textContent === 'Affects 2 alerts');
    await form.$eval('#silence-form input[name=matchers]', (el) => ((el as HTMLInputElement).value = ''));
    await form.type('#silence-form input[name=matchers]', '{alertname="ToolFailure", agent_id="checkout"}');
    await form.waitForFunction(() => document.querySelector('#preview-count')?.textContent === 'Affects 1 alert');
    expect(await form.$eval('#preview-list', (el) => (el as HTMLElement).innerText)).toContain('agent_id="checkout"');
    await form.click('.presets button[data-duration-ms="14400000"]');
    await signIn(form);
    await form.type('#silence-form textarea[name=comment]', 'deploying the search fix');
    await shot(form, 'silence-form');
    await Promise.all([form.waitForNavigation(), form.click('#silence-form button[type=submit]')]);
    const created = (await silences()).find((s) => s.comment === 'deploying the search fix')!;
    expect(created).toMatchObject({ createdBy: 'tester', status: { state: 'active' } });
    expect(form.url()).toBe(`${base}/silences#silence-${created.id}`);
    expect(await form.$eval(`#silence-${created.id}`, (el) => (el as HTMLElement).innerText)).toMatch(/active[\s\S]*agent_id="checkout"[\s\S]*tester[\s\S]*deploying the search fix[\s\S]*(3h 5\dm|4h 0m)/);
    await shot(form, 'silences');

    // the first tab updates by itself
    await page.bringToFront();
    await page.waitForFunction(
      (sel) => /suppressed[\s\S]*silenced by tester: deploying the search fix/.test((document.querySelector(sel) as HTMLElement)?.innerText ?? ''),
      { timeout: 20_000 },
      `[data-fingerprint="${target}"]`,
    );
    await shot(page, 'alerts-silenced');

    await form.bringToFront();
    // a tab brought to the front refreshes its list first
    await form.waitForNetworkIdle({ idleTime: 300 });
    await form.click(`#silence-${created.id} button[data-action=expire]`);
    await form.waitForFunction((id) => document.querySelector(`#silence-${id}`)?.getAttribute('data-state') === 'expired', {}, created.id);
    expect((await silences()).find((s) => s.id === created.id)!.status.state).toBe('expired');
    await page.bringToFront();
    await page.waitForFunction((sel) => /\bactive\b/.test((document.querySelector(sel) as HTMLElement)?.innerText ?? '') && !/silenced by/.test((document.querySelector(sel) as HTMLElement).innerText), { timeout: 20_000 }, `[data-fingerprint="${target}"]`);
  }, 60_000);

  test('edit a silence: the form opens with its matchers; a new comment updates it in place', async () => {
    const now = Date.now();
    const res = await fetch(`${base}/api/v2/silences`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ matchers: [{ name: 'agent_id', value: 'support', isRegex: false }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3600_000).toISOString(), createdBy: 'amtool', comment: 'first' }),
    });
    const { silenceID } = (await res.json()) as { silenceID: string };
    await page.goto(`${base}/silences`);
    await Promise.all([page.waitForNavigation(), page.click(`#silence-${silenceID} a[href^="/silences/new?id="]`)]);
    expect(await page.$eval('#silence-form input[name=matchers]', (el) => (el as HTMLInputElement).value)).toBe('{agent_id="support"}');
    await waitForText(page, '#preview-count', /^Affects 1 alert$/);
    await page.$eval('#silence-form textarea[name=comment]', (el) => ((el as HTMLTextAreaElement).value = 'second thoughts'));
    await Promise.all([page.waitForNavigation(), page.click('#silence-form button[type=submit]')]);
    expect(page.url()).toBe(`${base}/silences#silence-${silenceID}`);
    expect(await page.$eval(`#silence-${silenceID}`, (el) => (el as HTMLElement).innerText)).toMatch(/active[\s\S]*second thoughts/);
    await page.click(`#silence-${silenceID} button[data-action=expire]`);
    await page.waitForFunction((id) => document.querySelector(`#silence-${id}`)?.getAttribute('data-state') === 'expired', {}, silenceID);
  });

  test('browser notifications: with the box ticked, a new P1 alert raises one', async () => {
    const notes = await browser.newPage();
    after.push(() => notes.close());
    await browser.defaultBrowserContext().overridePermissions(base, ['notifications']);
    // record what the page shows: headless Chromium has no notification centre to look at
    await notes.evaluateOnNewDocument(() => {
      const Real = window.Notification;
      const shown: string[] = [];
      (window as unknown as { shownNotifications: string[] }).shownNotifications = shown;
      const Recording = function (title: string, options?: NotificationOptions) {
        shown.push(title);
        return new Real(title, options);
      } as unknown as typeof Notification;
      Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
      Recording.requestPermission = Real.requestPermission.bind(Real);
      window.Notification = Recording;
    });
    await notes.goto(`${base}/`);
    await notes.click('#notify-p1');
    expect(await notes.$eval('#notify-p1', (el) => (el as HTMLInputElement).checked)).toBe(true);
    const post = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify([{ labels: { alertname: 'AgentP99LatencySpike', severity: 'P1', agent_id: 'billing' }, annotations: {} }]),
    });
    expect(post.status).toBe(200);
    await notes.waitForFunction(() => (window as unknown as { shownNotifications: string[] }).shownNotifications.length > 0, { timeout: 20_000 });
    // the P1 alerts already on the page when it opened raise none
    expect(await notes.evaluate(() => (window as unknown as { shownNotifications: string[] }).shownNotifications)).toEqual(['P1: AgentP99LatencySpike']);
  }, 40_000);

  test('rules: every group and rule with its state; a rule opens with its expression and alerts', async () => {
    await page.goto(`${base}/rules`);
    await waitFor('the rule to be evaluated', async () => {
      await page.reload();
      const state = await page.$eval('tr[data-rule="NoAgentTraffic"]', (el) => (el as HTMLElement).innerText);
      return /firing/.test(state) ? state : undefined;
    });
    await shot(page, 'rules');
    await Promise.all([page.waitForNavigation(), page.click('tr[data-rule="NoAgentTraffic"] a')]);
    expect(await page.$eval('#rule-query', (el) => (el as HTMLElement).innerText)).toBe('absent(agent_requests_total)');
    expect(await page.$eval('main', (el) => (el as HTMLElement).innerText)).toMatch(/Alerts it holds \(1\)/);
    // with the embedded datasource, the expression over the last hours, from vigil's own query API
    await page.waitForSelector('#rule-graph svg polyline');
    expect(await page.$eval('#rule-graph .legend', (el) => (el as HTMLElement).innerText)).toBe('{}');
    await shot(page, 'rule');
    // the pack's relative runbook links to this vigil's own external URL, and vigil serves it as a page
    const runbook = `${base}/runbooks/agent-error-rate-spike.md`;
    expect(await page.$eval('table.rule a[href*="/runbooks/"]', (a) => (a as HTMLAnchorElement).href)).toBe(runbook);
    await Promise.all([page.waitForNavigation(), page.click('table.rule a[href*="/runbooks/"]')]);
    expect(await page.$eval('article.runbook h1', (el) => (el as HTMLElement).innerText)).toBe('AgentErrorRateSpike — P1');
    expect(await page.$$eval('article.runbook pre code', (els) => els.length)).toBeGreaterThan(0);
    await shot(page, 'runbook');
  });

  test('routing: the tree, and which receivers an alert with these labels would reach, with what would mute it', async () => {
    await page.goto(`${base}/routing`);
    expect(await page.$$eval('.tree .node', (els) => els.map((e) => e.querySelector('strong:last-of-type')?.textContent))).toEqual(['observe', 'page', 'triage']);
    await page.type('#labels', '{alertname="Latency", severity="P3", agent_id="checkout"}');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const result = await page.$eval('#route-result', (el) => (el as HTMLElement).innerText);
    expect(result).toMatch(/Receivers: observe/);
    expect(result).toMatch(/inhibited by the held alert \{agent_id="checkout", alertname="AgentErrorRate", severity="P1"\}/);
    expect(await page.$$eval('.tree .node.hit', (els) => els.map((e) => e.getAttribute('data-route-key')))).toEqual(['{}']);
    await shot(page, 'routing');

    await page.goto(`${base}/routing?labels=${encodeURIComponent('{severity=~"P1"}')}`);
    expect(await page.$eval('.error', (el) => (el as HTMLElement).innerText)).toMatch(/=~ matcher/);
  });

  test("history: an alert's timeline with its ack and feedback", async () => {
    await page.goto(`${base}/`);
    await Promise.all([page.waitForNavigation(), page.click(`[data-fingerprint="${fp['AgentErrorRate/checkout']}"] a[href^="/history"]`)]);
    const timeline = await page.$eval('#timeline', (el) => (el as HTMLElement).innerText);
    expect(timeline).toMatch(/firing[\s\S]*acknowledged by tester/);
    await shot(page, 'history');
  });

  test('review: the weekly reviews written to report.out_dir, the latest shown in place', async () => {
    await page.goto(`${base}/review`);
    expect(await page.$eval('main', (el) => (el as HTMLElement).innerText)).toMatch(/No weekly review written yet/);
    // what the Monday schedule writes, made here by `vigil report` over the same store
    await mkdir(join(dir, 'reports'), { recursive: true });
    const report = spawn(process.execPath, [...VIGIL, 'report', '--config', join(dir, 'vigil.yaml'), '--format', 'html', '--out', join(dir, 'reports', 'vigil-report-2026-11-30.html')], { cwd: dir, stdio: 'inherit' });
    expect(await new Promise((r) => report.once('exit', r))).toBe(0);
    await page.goto(`${base}/review`);
    const frame = await (await page.waitForSelector('iframe#review'))!.contentFrame();
    await frame.waitForSelector('h1');
    expect(await frame.$eval('body', (el) => (el as HTMLElement).innerText)).toMatch(/AgentErrorRate|alert review/i);
    await shot(page, 'review');
  });

  test('the pages ran without a script error', () => {
    expect(pageErrors).toEqual([]);
  });
});
