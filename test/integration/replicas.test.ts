// Needs PostgreSQL (Debian package postgresql): fails in CI without it, skipped elsewhere. Runs bin/vigil.js: `npm run build` first.
/**
 * Three real `vigil serve` replicas on one real PostgreSQL, in front of loopback PagerDuty and
 * Slack that check their documented contracts: a silence made on one mutes on the others, rule
 * evaluation fails over when its replica is killed (the for clock continues), and a notification
 * that every replica flushes (Prometheus sends to all of them) reaches each receiver once.
 */
import { readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { join, resolve } from 'node:path';
import type { LoopbackReceiver, RecordedRequest } from '../support/receivers.js';
import { waitFor } from '../support/wait.js';
import { requirePostgresOrSkip, type PostgresInstance } from './support/postgres.js';
import { postAlerts, startPagingCluster, type PagingCluster, type ReplicaProcess } from './support/replicas.js';

const describePg = requirePostgresOrSkip('vigil serve replicas') ? describe : describe.skip;

/** What each replica logged, kept for a look after the run. */
const LOGS = resolve(process.cwd(), 'test-output/replicas');
const FOR_S = 8;
const RULES = `groups:
  - name: failover
    interval: 1s
    rules:
      - alert: ReplicaFailover
        # true 20 s of every 40 s: a new episode, pending for FOR_S, every 40 s
        expr: vector(time()) % 40 > 20
        for: ${FOR_S}s
        labels: { severity: P1, incident: failover }
        annotations: { summary: "the for clock of this alert must survive its replica" }
`;

describePg('three vigil serve replicas on one PostgreSQL', () => {
  let cluster: PagingCluster;
  let pgServer: PostgresInstance;
  let pd: LoopbackReceiver;
  let slack: LoopbackReceiver;
  let rs: ReplicaProcess[];

  beforeAll(async () => {
    cluster = await startPagingCluster({ n: 3, rules: RULES, logs: LOGS, prefix: 'vigil-replicas-' });
    ({ pg: pgServer, pd, slack, rs } = cluster);
  }, 180_000);

  afterAll(() => cluster?.stop());

  const about = (incident: string) => (req: RecordedRequest) => req.body.includes(incident);
  /** A resolve carries only the dedup_key: the incident's events are those with its trigger's key. */
  const pdEvents = (incident: string): PdEvent[] => {
    const keys = new Set(pd.requests.filter(about(incident)).map((r) => (r.json as PdEvent).dedup_key));
    return pd.requests.map((r) => r.json as PdEvent).filter((e) => keys.has(e.dedup_key));
  };
  const slackMessages = (incident: string) => slack.requests.filter(about(incident));
  const iso = (ms: number) => new Date(ms).toISOString();
  type ApiAlert = { labels: Record<string, string>; status: { state: string; silencedBy: string[] } };
  const alertsOf = async (r: ReplicaProcess): Promise<ApiAlert[]> => (await (await fetch(`${r.base}/api/v2/alerts`)).json()) as ApiAlert[];

  type PdEvent = { event_action: string; dedup_key: string };
  test('/readyz names the replica, its share of the rule groups and its database', async () => {
    const texts = await Promise.all(rs.map((r) => r.readyz()));
    for (const [i, t] of texts.entries()) {
      expect(t).toContain('vigil is ready.');
      expect(t).toMatch(new RegExp(`replica r${i}: [01] of 1 rule groups evaluated here`));
      expect(t).toContain('database: connected');
    }
    // and /metrics: each reaches the database, and the one group is evaluated by exactly one of them
    const metric = async (r: ReplicaProcess, name: string) => Number(/^(\S+) (\S+)$/m.exec((await (await fetch(`${r.base}/metrics`)).text()).split('\n').find((l) => l.startsWith(name + ' ')) ?? '')?.[2]);
    expect(await Promise.all(rs.map((r) => metric(r, 'vigil_cluster_database_up')))).toEqual([1, 1, 1]);
    const held = () => Promise.all(rs.map((r) => metric(r, 'vigil_cluster_rule_groups_held')));
    await waitFor('the group leased', async () => ((await held()).reduce((a, b) => a + b, 0) === 1 ? true : undefined), 10_000);
  });

  test('a silence made on one replica mutes on the others within 2 s', async () => {
    const now = Date.now();
    const res = await fetch(`${rs[0]!.base}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [{ name: 'incident', value: 'muted', isRegex: false, isEqual: true }], startsAt: iso(now), endsAt: iso(now + 3_600_000), createdBy: 'test', comment: 'replicas' }),
    });
    expect(res.status).toBe(200);
    const { silenceID } = (await res.json()) as { silenceID: string };
    const made = Date.now();
    const seenIn = await Promise.all(
      rs.slice(1).map((r) =>
        waitFor(`the silence on ${r.id}`, async () => {
          const list = (await (await fetch(`${r.base}/api/v2/silences`)).json()) as { id: string }[];
          return list.some((s) => s.id === silenceID) ? Date.now() - made : undefined;
        }, 10_000),
      ),
    );
    console.log(`replicas: a silence made on r0 was in force on r1 and r2 after ${seenIn.join(' and ')} ms`);
    for (const ms of seenIn) expect(ms).toBeLessThan(2_000);
    // the others route a muted and a loud alert: only the loud one is told
    const alerts = ['muted', 'loud'].map((incident) => ({ labels: { alertname: 'Probe', incident, severity: 'P1' }, startsAt: iso(now), endsAt: iso(now + 600_000) }));
    await Promise.all(rs.slice(1).map((r) => postAlerts(r.base, alerts)));
    await waitFor('the loud alert paged', () => (pdEvents('loud').length > 0 && slackMessages('loud').length > 0 ? true : undefined), 20_000);
    for (const r of rs.slice(1)) {
      const muted = (await alertsOf(r)).find((a) => a.labels.incident === 'muted');
      expect(muted?.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceID] });
    }
    expect(pdEvents('muted')).toEqual([]);
    expect(slackMessages('muted')).toEqual([]);
  }, 60_000);

  test('a reload on one replica makes the others re-read their own vigil.yaml', async () => {
    const file = join(rs[1]!.dir, 'vigil.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('resolve_timeout: 1m', 'resolve_timeout: 2m'));
    expect((await fetch(`${rs[0]!.base}/-/reload`, { method: 'POST' })).status).toBe(200);
    const original = async (r: ReplicaProcess) => ((await (await fetch(`${r.base}/api/v2/status`)).json()) as { config: { original: string } }).config.original;
    await waitFor('r1 running its new vigil.yaml', async () => ((await original(rs[1]!)).includes('resolve_timeout: 2m') ? true : undefined), 2_000);
  }, 30_000);

  test('every replica gets the same alerts, as Prometheus sends them: each receiver is told once, the resolve too', async () => {
    const start = Date.now();
    const alert = { labels: { alertname: 'Everywhere', incident: 'claimed-once', severity: 'P1' }, startsAt: iso(start) };
    await Promise.all(rs.map((r) => postAlerts(r.base, [{ ...alert, endsAt: iso(start + 600_000) }])));
    await waitFor('the page and the Slack message', () => (pdEvents('claimed-once').length >= 1 && slackMessages('claimed-once').length >= 1 ? true : undefined), 20_000);
    const end = Date.now();
    await Promise.all(rs.map((r) => postAlerts(r.base, [{ ...alert, endsAt: iso(end) }])));
    await waitFor('the resolves', () => (pdEvents('claimed-once').some((e) => e.event_action === 'resolve') && slackMessages('claimed-once').length >= 2 ? true : undefined), 20_000);
    // every replica has flushed the resolve (the group is gone once told): any second copy would have been sent by now
    await waitFor('all replicas done with it', async () => ((await Promise.all(rs.map(alertsOf))).every((as) => !as.some((a) => a.labels.incident === 'claimed-once')) ? true : undefined), 20_000);
    expect(pdEvents('claimed-once').map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(new Set(pdEvents('claimed-once').map((e) => e.dedup_key)).size).toBe(1);
    expect(slackMessages('claimed-once')).toHaveLength(2);
    const texts = await Promise.all(rs.map(async (r) => (await fetch(`${r.base}/metrics`)).text()));
    const claims = texts.flatMap((t) => t.split('\n').filter((l) => l.startsWith('vigil_cluster_claims_total{')));
    expect(claims.some((l) => /integration="slack",result="adopted"\} [1-9]/.test(l))).toBe(true);
  }, 60_000);

  test('kill -9 of the replica sending a notification, its request to Slack hanging: another takes the claim over and sends it once more (the bound: one extra copy)', async () => {
    const start = Date.now();
    slack.hang(1);
    const alert = { labels: { alertname: 'Everywhere', incident: 'sender-killed', severity: 'P1' }, startsAt: iso(start), endsAt: iso(start + 600_000) };
    await Promise.all(rs.map((r) => postAlerts(r.base, [alert])));
    await waitFor('the Slack request, hanging', () => (slackMessages('sender-killed').length === 1 ? true : undefined), 20_000);
    // the database says who holds the claim of that Slack notification
    const db = new pg.Client({ connectionString: pgServer.url });
    await db.connect();
    const { rows } = await db.query<{ holder: string; state: string }>(`SELECT holder, state FROM vigil_cluster_claims WHERE integration = 'slack' AND group_key LIKE '%sender-killed%'`);
    await db.end();
    expect(rows).toEqual([{ holder: expect.stringMatching(/^r\d$/), state: 'inflight' }]);
    const sender = rs.find((r) => r.id === rows[0]!.holder)!;
    const killed = Date.now();
    await sender.signal('SIGKILL');
    const again = await waitFor('the copy sent by another replica', () => slackMessages('sender-killed')[1], 20_000);
    console.log(`replicas: the Slack notification of a replica killed mid-send went out again from another ${again.at - killed} ms after kill -9 (claim_timeout 3s)`);
    expect(again.status).toBe(200);
    await sender.start();
    await Promise.all(rs.map((r) => postAlerts(r.base, [{ ...alert, endsAt: iso(Date.now()) }])));
    await waitFor('the resolves', () => (pdEvents('sender-killed').some((e) => e.event_action === 'resolve') && slackMessages('sender-killed').some((r) => r.body.includes('RESOLVED')) ? true : undefined), 20_000);
    // the page went out once (its own claim was not held by a dead replica, or its dedup_key makes a copy harmless); Slack: the firing twice, the resolve once
    expect(new Set(pdEvents('sender-killed').filter((e) => e.event_action === 'trigger').map((e) => e.dedup_key)).size).toBe(1);
    expect(slackMessages('sender-killed').map((r) => (r.body.includes('RESOLVED') ? 'resolved' : 'firing'))).toEqual(['firing', 'firing', 'resolved']);
  }, 90_000);

  test('kill -9 of the replica that evaluates a group: another takes it over and the for clock continues', async () => {
    const holderOf = async () => {
      for (const r of rs) if (r.running() && (await r.readyz()).includes('1 of 1 rule groups')) return r;
      return undefined;
    };
    type V1Alert = { labels: Record<string, string>; state: string; activeAt: string };
    const v1 = async (r: ReplicaProcess) => ((await (await fetch(`${r.base}/api/v1/alerts`)).json()) as { data: { alerts: V1Alert[] } }).data.alerts.find((a) => a.labels.alertname === 'ReplicaFailover');
    // an episode that began a little over an evaluation ago (so its pending state is committed: a kill -9 loses the writes of
    // the last flush_interval), with most of its for clock still to run when its replica dies; asked of the replica holding
    // the group at that moment
    const { holder, pending } = await waitFor('ReplicaFailover pending', async () => {
      const r = await holderOf();
      const a = r && (await v1(r));
      const age = a ? Date.now() - Date.parse(a.activeAt) : 0;
      return r && a?.state === 'pending' && age >= 1_200 && age < 3_000 ? { holder: r, pending: a } : undefined;
    }, 60_000);
    const activeAt = Date.parse(pending.activeAt);
    const killed = Date.now();
    await holder.signal('SIGKILL');
    type V1Group = { name: string; lastEvaluation: string };
    const lastEvaluation = async (r: ReplicaProcess) =>
      Date.parse(((await (await fetch(`${r.base}/api/v1/rules`)).json()) as { data: { groups: V1Group[] } }).data.groups.find((g) => g.name === 'failover')?.lastEvaluation ?? '');
    const { next, failoverMs } = await waitFor('another replica evaluates it', async () => {
      for (const r of rs.filter((x) => x !== holder)) {
        const evaluated = await lastEvaluation(r);
        if (evaluated > killed) return { next: r, failoverMs: Date.now() - killed };
      }
      return undefined;
    }, 20_000);
    // it carries on with the alert the killed replica had pending
    const carried = await v1(next);
    expect(carried && Date.parse(carried.activeAt)).toBe(activeAt);
    const episode = (r: RecordedRequest) => about('failover')(r) && (r.json as PdEvent).event_action === 'trigger' && r.at > activeAt && r.at < activeAt + 20_000;
    const page = await waitFor('the page', () => pd.requests.find(episode), 30_000);
    console.log(
      `replicas: evaluation failed over from ${holder.id} to ${next.id} ${failoverMs} ms after kill -9 (lease 2s, renewal 500ms, interval 1s); ` +
        `the alert, pending ${Math.round((killed - activeAt) / 1000)} s at the kill, paged ${((page.at - activeAt) / 1000).toFixed(1)} s after it became active (for: ${FOR_S}s)`,
    );
    // the for clock continued from the first replica's activeAt: the page came after `for`, not `for` after the failover
    expect(page.at - activeAt).toBeGreaterThanOrEqual(FOR_S * 1000);
    expect(page.at - killed).toBeLessThan(FOR_S * 1000);
    expect(pd.requests.filter(episode)).toHaveLength(1);
    await holder.start();
  }, 90_000);
  test('a replica stopped through the end of an episode, that takes its group back, pages the next episode', async () => {
    const holders = async () => (await Promise.all(rs.map(async (r) => ((await r.readyz()).includes('1 of 1 rule groups') ? r : undefined)))).filter((r) => r !== undefined);
    // all three up and the group settled on its preferred replica (it is handed back to it once it has been seen alive a while)
    let since = Date.now();
    let last: ReplicaProcess | undefined;
    const holder = await waitFor('one settled holder', async () => {
      const [h, ...more] = await holders();
      if (!h || more.length || h !== last) [last, since] = [h, Date.now()];
      return h && !more.length && Date.now() - since >= 4_000 ? h : undefined;
    }, 30_000);
    const CYCLE = 40_000;
    const phase = () => (Date.now() % CYCLE) / 1000;
    const triggers = () => pd.requests.filter((r) => about('failover')(r) && (r.json as PdEvent).event_action === 'trigger');
    // an episode firing and paged; the holder stops (SIGSTOP) until the next one is pending
    const cycle = await waitFor('an episode paged, early in its firing', () => {
      const c = Date.now() - (Date.now() % CYCLE);
      return phase() >= 30 && phase() < 34 && triggers().some((r) => r.at >= c + 20_000) ? c : undefined;
    }, 60_000);
    await holder.signal('SIGSTOP');
    const next = cycle + CYCLE;
    try {
      await waitFor('the next episode pending', () => (Date.now() >= next + 21_000 ? true : undefined), 60_000);
    } finally {
      await holder.signal('SIGCONT');
    }
    // another replica told the end of the first episode meanwhile
    const firstKey = (triggers().find((r) => r.at >= cycle + 20_000 && r.at < next)!.json as PdEvent).dedup_key;
    expect(pd.requests.some((r) => (r.json as PdEvent).dedup_key === firstKey && (r.json as PdEvent).event_action === 'resolve')).toBe(true);
    await waitFor(`${holder.id} evaluates the group again`, async () => ((await holder.readyz()).includes('1 of 1 rule groups') ? true : undefined), 20_000);
    const page = await waitFor('the next episode paged', () => triggers().find((r) => r.at >= next + 20_000), 30_000);
    console.log(`replicas: ${holder.id}, stopped through the end of an episode, took its group back; the next episode paged ${((page.at - next - 20_000) / 1000).toFixed(1)} s after it became active`);
    expect(triggers().filter((r) => r.at >= next + 20_000)).toHaveLength(1);
  }, 180_000);
});
