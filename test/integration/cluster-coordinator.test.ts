// Needs PostgreSQL (Debian package postgresql): fails in CI without it, skipped elsewhere.
/** Three coordinators in one process on one real PostgreSQL: leases, failover, flush claims, a database restart. */
import pg from 'pg';
import { ClaimStage, contentHash, PostgresCoordinator } from '../../src/cluster/index.js';
import { DedupStage, fanOut, IntegrationLog, LogStage, RetryStage, WebhookIntegration, type IntegrationStage } from '../../src/notify/index.js';
import { startWebhookReceiver, testAlert, testDelivery, type LoopbackReceiver } from '../support/receivers.js';
import { sleep, waitFor } from '../support/wait.js';
import { requirePostgresOrSkip, startPostgres, type PostgresInstance } from './support/postgres.js';

const describePg = requirePostgresOrSkip('cluster coordinator') ? describe : describe.skip;

const LEASE_MS = 1_500;
const RENEW_MS = 500;
const groups = Array.from({ length: 12 }, (_, i) => `group:rules/agents.yaml;group-${i}`);

describePg('replicas coordinated through one PostgreSQL', () => {
  let server: PostgresInstance;
  const open: PostgresCoordinator[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterEach(async () => {
    for (const c of open.splice(0)) await c.stop();
  });
  afterAll(() => server?.stop());

  async function coordinators(db: string, n: number, opts: { claimTtlMs?: number } = {}): Promise<PostgresCoordinator[]> {
    const url = await server.database(db);
    // started together: the migrations run once, under their advisory lock
    const cs = await Promise.all(
      Array.from({ length: n }, (_, i) => PostgresCoordinator.open({ url, replica: `replica-${i}`, leaseDurationMs: LEASE_MS, renewIntervalMs: RENEW_MS, ...opts })),
    );
    for (const c of cs) c.setGroups(groups);
    open.push(...cs);
    return cs;
  }

  /** Samples holds() every 10 ms while `during` runs; returns the worst count of holders of one group seen. */
  async function watchHolders(cs: PostgresCoordinator[], during: Promise<unknown>): Promise<number> {
    let worst = 0;
    let done = false;
    void during.finally(() => (done = true));
    while (!done) {
      for (const g of groups) worst = Math.max(worst, cs.filter((c) => c.holds(g)).length);
      await sleep(10);
    }
    return worst;
  }

  const allHeldOnce = (cs: PostgresCoordinator[]) => groups.every((g) => cs.filter((c) => c.holds(g)).length === 1);

  test('each group is held by exactly one replica, and the groups spread over the three', async () => {
    const cs = await coordinators('leases', 3);
    const worst = await watchHolders(cs, waitFor('every group held, by all three', () => (allHeldOnce(cs) && cs.every((c) => c.heldGroups().length > 0) ? true : undefined), 20_000));
    expect(worst).toBe(1);
    // the database agrees with what each replica believes
    const client = new pg.Client({ connectionString: await server.database('leases') });
    await client.connect();
    const { rows } = await client.query<{ name: string; holder: string }>('SELECT name, holder FROM vigil_cluster_leases WHERE expires_at > now()');
    await client.end();
    for (const g of groups) expect(rows.find((r) => r.name === g)?.holder).toBe(cs.find((c) => c.holds(g))!.replica);
  }, 60_000);

  test('a replica that stops renewing loses its groups to the others within the lease plus two renewal rounds, never two holders at once', async () => {
    const cs = await coordinators('failover', 3);
    await waitFor('every group held, by all three', () => (allHeldOnce(cs) && cs.every((c) => c.heldGroups().length > 0) ? true : undefined), 20_000);
    const [dead, ...alive] = cs;
    const itsGroups = dead!.heldGroups();
    const stoppedAt = performance.now();
    // as a crash: the leases are not given back, they expire
    await dead!.stop({ release: false });
    open.splice(open.indexOf(dead!), 1);
    const takeover = waitFor('its groups taken over', () => (itsGroups.every((g) => alive.some((c) => c.holds(g))) ? performance.now() - stoppedAt : undefined), 20_000);
    const worst = await watchHolders(alive, takeover);
    const ms = await takeover;
    console.log(`cluster: ${itsGroups.length} groups failed over in ${Math.round(ms)} ms (lease ${LEASE_MS} ms, renewal every ${RENEW_MS} ms)`);
    expect(worst).toBe(1);
    // the round after the leases lapse still counts the dead replica a member (members are those seen by the round
    // before), so its groups' new preferred replica takes them at the next: two rounds, plus their own time on a busy machine
    expect(ms).toBeLessThan(LEASE_MS + 2 * RENEW_MS + 500);
    expect(allHeldOnce(alive)).toBe(true);
  }, 60_000);

  test('a replica that stops gracefully hands its groups over at the next round', async () => {
    const cs = await coordinators('graceful', 2);
    await waitFor('both hold groups', () => (allHeldOnce(cs) && cs.every((c) => c.heldGroups().length > 0) ? true : undefined), 20_000);
    const stoppedAt = performance.now();
    await cs[0]!.stop();
    open.splice(open.indexOf(cs[0]!), 1);
    const ms = await waitFor('all groups on the other', () => (groups.every((g) => cs[1]!.holds(g)) ? performance.now() - stoppedAt : undefined), 20_000);
    expect(ms).toBeLessThan(RENEW_MS * 3 + 250);
  }, 60_000);

  test('the database restarting mid-way: replicas keep what they held while it is down, and every group is held once after', async () => {
    const cs = await coordinators('restart', 3);
    await waitFor('every group held', () => (allHeldOnce(cs) ? true : undefined), 20_000);
    const before = cs.map((c) => c.heldGroups());
    await server.halt();
    await waitFor('the replicas notice', () => (cs.every((c) => !c.connected()) ? true : undefined), 20_000);
    // longer than a lease: cut off, a replica keeps evaluating rather than go blind
    await sleep(LEASE_MS + RENEW_MS);
    expect(cs.map((c) => c.heldGroups())).toEqual(before);
    await server.start();
    await waitFor('connected again', () => (cs.every((c) => c.connected()) ? true : undefined), 20_000);
    const worst = await watchHolders(cs, waitFor('every group held once', () => (allHeldOnce(cs) ? true : undefined), 20_000));
    expect(worst).toBe(1);
  }, 120_000);

  describe('flush claims', () => {
    const key = { receiver: 'oncall', integration: 'slack', index: 0, groupKey: '{}:{alertname="ErrorSpike"}' };
    const entry = (firing: string[]) => ({ ...key, firingFingerprints: firing, resolvedFingerprints: [], flappingFingerprints: [], at: Date.now(), expiresAt: Date.now() + 60_000 });

    test('of three racing claimers one sends; the same content is then not sent again, new content is', async () => {
      const cs = await coordinators('claims', 3);
      const e = entry(['a']);
      const outcomes = await Promise.all(cs.map((c) => c.claim(key, contentHash(e), 3_600_000)));
      expect(outcomes.filter((o) => o.kind === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'busy')).toHaveLength(2);
      const winner = outcomes.find((o) => o.kind === 'claimed')!;
      if (winner.kind !== 'claimed') throw new Error('unreachable');
      await winner.claim.sent(e);
      for (const c of cs) expect(await c.claim(key, contentHash(e), 3_600_000)).toMatchObject({ kind: 'sent', entry: { firingFingerprints: ['a'] } });
      // a repeat is due once repeat_interval has passed since it was sent
      expect((await cs[1]!.claim(key, contentHash(e), 1)).kind).toBe('claimed');
      expect((await cs[2]!.claim(key, contentHash(entry(['a', 'b'])), 3_600_000)).kind).toBe('claimed');
    }, 60_000);

    test('an in-flight claim whose holder died is taken over once it expires; a failed send lets go at once', async () => {
      const cs = await coordinators('takeover', 2, { claimTtlMs: 800 });
      const h = contentHash(entry(['a']));
      const first = await cs[0]!.claim(key, h, 3_600_000);
      expect(first.kind).toBe('claimed');
      expect(await cs[1]!.claim(key, h, 3_600_000)).toEqual({ kind: 'busy', holder: 'replica-0' });
      // replica-0 neither marks it sent nor extends it (it died mid-send)
      await waitFor('taken over', async () => ((await cs[1]!.claim(key, h, 3_600_000)).kind === 'claimed' ? true : undefined), 10_000);
      const again = await cs[1]!.claim(key, contentHash(entry(['c'])), 3_600_000);
      if (again.kind !== 'claimed') throw new Error(`expected a claim, got ${again.kind}`);
      await again.claim.release();
      const mine = await cs[0]!.claim(key, contentHash(entry(['c'])), 3_600_000);
      expect(mine.kind).toBe('claimed');
      // the same replica claims it again (its next flush); the late release of the earlier claim does not end the newer one
      const newer = await cs[0]!.claim(key, contentHash(entry(['c'])), 3_600_000);
      expect(newer.kind).toBe('claimed');
      if (mine.kind === 'claimed') await mine.claim.release();
      expect(await cs[1]!.claim(key, contentHash(entry(['c'])), 3_600_000)).toEqual({ kind: 'busy', holder: 'replica-0' });
    }, 60_000);

    test('through the pipeline: three replicas flush the same group at once, the webhook receiver gets one request; the others log it as told', async () => {
      const receiver: LoopbackReceiver = await startWebhookReceiver();
      try {
        const cs = await coordinators('pipeline', 3);
        const hook = new WebhookIntegration({ url: `${receiver.url}/hook`, maxAlerts: 0, sendResolved: true, http: { insecureSkipVerify: false, timeoutMs: 2000 } }, 0);
        const logs = cs.map(() => new IntegrationLog());
        const stages = (c: PostgresCoordinator, log: IntegrationLog): IntegrationStage[] => [
          new DedupStage(log),
          new ClaimStage({ coordinator: c, log, pollMs: 50 }),
          new RetryStage(),
          new LogStage(log),
        ];
        const a = testAlert({ alertname: 'ErrorSpike', severity: 'P1' });
        const firing = testDelivery({ firing: [a], deadline: Date.now() + 30_000 });
        await Promise.all(cs.map((c, i) => fanOut([hook], firing, stages(c, logs[i]!), Date.now)));
        expect(receiver.requests).toHaveLength(1);
        const logKey = { receiver: 'oncall', groupKey: firing.notification.groupKey, integration: 'webhook', index: 0 };
        for (const log of logs) expect(log.get(logKey)).toMatchObject({ firingFingerprints: [a.fingerprint] });
        // the resolve, too, goes out once
        const resolved = testDelivery({ resolved: [a], deadline: Date.now() + 30_000 });
        await Promise.all(cs.map((c, i) => fanOut([hook], resolved, stages(c, logs[i]!), Date.now)));
        expect(receiver.requests.map((r) => (r.json as { status: string }).status)).toEqual(['firing', 'resolved']);
      } finally {
        await receiver.close();
      }
    }, 60_000);

    test('a replica that stalls between its claim and its send does not send once the claim could have passed on; the next one sends, once', async () => {
      const receiver: LoopbackReceiver = await startWebhookReceiver();
      try {
        const [stalled, next] = await coordinators('stall', 2, { claimTtlMs: 400 });
        const hook = new WebhookIntegration({ url: `${receiver.url}/hook`, maxAlerts: 0, sendResolved: true, http: { insecureSkipVerify: false, timeoutMs: 2000 } }, 0);
        // the whole process stops for longer than the claim's TTL, as under SIGSTOP or a long GC pause
        const stall: IntegrationStage = { name: 'stall', run: (t) => (Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 700), t) };
        const logOf = new IntegrationLog();
        const delivery = testDelivery({ firing: [testAlert({ alertname: 'Stalled', severity: 'P1' })], deadline: Date.now() + 30_000 });
        const [outcome] = await fanOut([hook], delivery, [new DedupStage(logOf), new ClaimStage({ coordinator: stalled!, log: logOf, claimTtlMs: 400, pollMs: 50 }), stall, new RetryStage(), new LogStage(logOf)], Date.now);
        expect(outcome!.result).toMatchObject({ ok: false, error: expect.stringContaining('claim expired') });
        expect(receiver.requests).toHaveLength(0);
        const other = new IntegrationLog();
        const [sent] = await fanOut([hook], delivery, [new DedupStage(other), new ClaimStage({ coordinator: next!, log: other, claimTtlMs: 400, pollMs: 50 }), new RetryStage(), new LogStage(other)], Date.now);
        expect(sent!.result).toMatchObject({ ok: true });
        expect(receiver.requests).toHaveLength(1);
      } finally {
        await receiver.close();
      }
    }, 60_000);
  });
});
