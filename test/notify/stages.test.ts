/** The integration stages alone: dedup against the integration's own log, retry against a loopback receiver, log, and the fan-out. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DedupStage, fanOut, IntegrationLog, integrationStages, LogStage, RetryStage, WebhookIntegration, type IntegrationDelivery } from '../../src/notify/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { startWebhookReceiver, T0, testAlert, testDelivery, type LoopbackReceiver } from '../support/receivers.js';

const receivers: LoopbackReceiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});
async function hook(): Promise<LoopbackReceiver> {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
}
const webhook = (r: LoopbackReceiver, index = 0, sendResolved = true) =>
  new WebhookIntegration({ url: `${r.url}/hook/${index}`, maxAlerts: 0, sendResolved, http: { insecureSkipVerify: false, timeoutMs: 2000 } }, index);
const a = testAlert({ alertname: 'ErrorSpike', agent_id: 'checkout', severity: 'P1' });
const b = testAlert({ alertname: 'ErrorSpike', agent_id: 'checkout', severity: 'P1', model: 'b' });

describe('the dedup stage', () => {
  test('an integration already told the same firing alerts needs nothing; a new alert or repeat_interval later it does', async () => {
    const r = await hook();
    const log = new IntegrationLog();
    const dedup = new DedupStage(log);
    const t: IntegrationDelivery = { delivery: testDelivery({ firing: [a] }), integration: webhook(r) };
    const first = dedup.run(t, T0)!;
    expect(first.delivery.notification.reason).toBe('first');
    expect(first.entry).toMatchObject({ receiver: 'oncall', integration: 'webhook', index: 0, firingFingerprints: [a.fingerprint] });
    new LogStage(log).run(first);
    expect(dedup.run(t, T0 + 60_000)).toBeUndefined();
    const withB = dedup.run({ ...t, delivery: testDelivery({ firing: [a, b], stillFiring: [a.fingerprint] }) }, T0 + 60_000)!;
    expect(withB.delivery.notification.reason).toBe('new-alerts');
    expect(withB.delivery.notification.changes.new).toEqual([b.fingerprint]);
    expect(dedup.run(t, T0 + 4 * 3_600_000)!.delivery.notification.reason).toBe('repeat');
  });

  test('each integration has its own entry: another index of the same kind is told apart', async () => {
    const r = await hook();
    const log = new IntegrationLog();
    const dedup = new DedupStage(log);
    const d = testDelivery({ firing: [a] });
    new LogStage(log).run(dedup.run({ delivery: d, integration: webhook(r, 0) }, T0)!);
    expect(dedup.run({ delivery: d, integration: webhook(r, 0) }, T0)).toBeUndefined();
    expect(dedup.run({ delivery: d, integration: webhook(r, 1) }, T0)).toBeDefined();
  });

  test('all resolved, to an integration without send_resolved: logged, not sent', async () => {
    const r = await hook();
    const log = new IntegrationLog();
    const dedup = new DedupStage(log);
    const noResolved = webhook(r, 0, false);
    new LogStage(log).run(dedup.run({ delivery: testDelivery({ firing: [a] }), integration: noResolved }, T0)!);
    expect(dedup.run({ delivery: testDelivery({ resolved: [a] }), integration: noResolved }, T0 + 60_000)).toBeUndefined();
    expect(log.get({ receiver: 'oncall', groupKey: testDelivery({}).notification.groupKey, integration: 'webhook', index: 0 })).toMatchObject({ firingFingerprints: [] });
  });
});

describe('the retry stage', () => {
  test('retries a 503 until the receiver accepts; a 400 stops at once with the result kept', async () => {
    const r = await hook();
    const retry = new RetryStage({ baseBackoffMs: 1, random: () => 0.5 });
    r.fail(2, 503);
    const ok = await retry.run({ delivery: testDelivery({ firing: [a], deadline: Date.now() + 10_000 }), integration: webhook(r) });
    expect(ok?.result).toMatchObject({ ok: true, attempts: 3 });
    r.answerNext(1, { status: 400, body: 'bad' });
    const t: IntegrationDelivery = { delivery: testDelivery({ firing: [a], deadline: Date.now() + 10_000 }), integration: webhook(r) };
    expect(await retry.run(t)).toBeUndefined();
    expect(t.result).toMatchObject({ ok: false, attempts: 1, statusCode: 400 });
  });
});

describe('the fan-out', () => {
  test('one failing integration fails alone; the others are sent once and logged (restart-safe in the Store)', async () => {
    const r = await hook();
    const path = join(await scratchDir(join(tmpdir(), 'vigil-stages-')), 'vigil.db');
    const store = new SqliteStore(path);
    const stages = integrationStages(await IntegrationLog.open(store, T0), { baseBackoffMs: 1 });
    const d = testDelivery({ firing: [a], deadline: Date.now() + 10_000 });
    r.answerNext(1, { status: 400, body: 'bad' }); // the first request to arrive fails; both integrations race, so check by path
    const out = await fanOut([webhook(r, 0), webhook(r, 1)], d, stages, () => T0);
    const failed = out.filter((o) => o.result && !o.result.ok);
    expect(failed).toHaveLength(1);
    expect(out.filter((o) => o.result?.ok)).toHaveLength(1);
    await store.close();

    const again = new SqliteStore(path);
    const before = r.requests.length;
    const second = await fanOut([webhook(r, 0), webhook(r, 1)], d, integrationStages(await IntegrationLog.open(again, T0), { baseBackoffMs: 1 }), () => T0 + 60_000);
    // only the integration that failed is sent again, after a "restart"
    expect(r.requests.slice(before).map((q) => q.path)).toEqual([`/hook/${failed[0].integration.index}`]);
    expect(second.filter((o) => o.result === undefined).map((o) => o.integration.index)).toEqual([1 - failed[0].integration.index]);
    again.close();
  });
});
