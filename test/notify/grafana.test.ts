import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GrafanaAnnotationConfig, Receiver } from '../../src/config/index.js';
import { buildIntegrations, deliver, GrafanaAnnotationIntegration, type Delivery } from '../../src/notify/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { startGrafana, type LoopbackGrafana } from '../support/grafana.js';
import { T0, testAlert, testDelivery } from '../support/receivers.js';
import { scratchDir } from '../support/scratch.js';

let grafana: LoopbackGrafana;
let store: SqliteStore;
beforeAll(async () => {
  grafana = await startGrafana();
  store = new SqliteStore(join(await scratchDir(join(tmpdir(), 'vigil-grafana-')), 'vigil.db'));
});
afterAll(async () => {
  await grafana.close();
  store.close();
});

function config(over: Partial<GrafanaAnnotationConfig> = {}): GrafanaAnnotationConfig {
  return { url: grafana.url + '/', token: grafana.token, tags: ['team:agents'], http: { insecureSkipVerify: false, timeoutMs: 5000 }, ...over };
}

const send = async (integration: GrafanaAnnotationIntegration, delivery: Delivery) => {
  const [result] = await deliver([integration], delivery, { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
  return result;
};

const alert = (agent: string, tool: string, startsAt: number) =>
  testAlert({ alertname: 'ToolSelectionDrift', severity: 'P3', agent_id: agent, tool_name: tool }, { summary: `${agent} picks ${tool} less` }, { startsAt });

test('a firing group creates an annotation at its earliest start, tagged by label values; the resolve sets timeEnd (a region)', async () => {
  const g = new GrafanaAnnotationIntegration(config({ dashboardUid: 'agents', panelId: 4 }), 0, 'observe', { store });
  const groupKey = '{}:{alertname="ToolSelectionDrift"}';
  const firing = [alert('checkout', 'refund', T0 - 120_000), alert('search', 'web', T0 - 300_000)];
  const first = await send(g, testDelivery({ firing, groupKey, groupLabels: { alertname: 'ToolSelectionDrift' } }));
  expect(first).toMatchObject({ ok: true, attempts: 1 });

  const post = grafana.requests.at(-1)!;
  expect(post).toMatchObject({ method: 'POST', path: '/api/annotations', status: 200 });
  expect(post.headers.authorization).toBe(`Bearer ${grafana.token}`);
  const id = (await store.openAnnotation('observe', 0, groupKey))!.annotationId;
  const created = grafana.annotations.get(id)!;
  expect(created.time).toBe(T0 - 300_000);
  expect(created.timeEnd).toBe(created.time); // a point until it resolves
  expect(created).toMatchObject({ dashboardUID: 'agents', panelId: 4 });
  expect(created.tags).toEqual([
    'alertname:ToolSelectionDrift', 'severity:P3', 'agent_id:checkout', 'agent_id:search', 'tool_name:refund', 'tool_name:web', 'team:agents', 'vigil',
  ]);
  expect(created.text).toContain('[P3] ToolSelectionDrift');
  expect(created.text).toContain('checkout picks refund less');

  // still firing: the region stays open, nothing new in Grafana
  const before = grafana.requests.length;
  expect((await send(g, testDelivery({ firing, groupKey, stillFiring: firing.map((a) => a.fingerprint) }))).ok).toBe(true);
  expect(grafana.requests.length).toBe(before);

  const resolved = await send(g, testDelivery({ resolved: firing, groupKey }));
  expect(resolved.ok).toBe(true);
  const patch = grafana.requests.at(-1)!;
  expect(patch).toMatchObject({ method: 'PATCH', path: `/api/annotations/${id}`, status: 200 });
  expect(grafana.annotations.get(id)).toMatchObject({ time: T0 - 300_000, timeEnd: T0 - 60_000 });
  expect(await store.openAnnotation('observe', 0, groupKey)).toBeUndefined();

  // the next firing starts a new region
  await send(g, testDelivery({ firing: [alert('checkout', 'refund', T0 + 600_000)], groupKey }));
  const next = (await store.openAnnotation('observe', 0, groupKey))!;
  expect(next.annotationId).not.toBe(id);
  expect(grafana.annotations.get(next.annotationId)!.time).toBe(T0 + 600_000);
});

test('after a restart, a new integration with the same Store ends the region the old one started', async () => {
  const groupKey = '{}:{alertname="Restart"}';
  const firing = [alert('checkout', 'refund', T0 - 600_000)];
  await send(new GrafanaAnnotationIntegration(config(), 1, 'observe', { store }), testDelivery({ firing, groupKey }));
  const id = (await store.openAnnotation('observe', 1, groupKey))!.annotationId;

  const reborn = buildIntegrations({ name: 'observe', pagerduty: [], slack: [], webhook: [], ticket: [], grafana: [config(), config()] } satisfies Receiver, { store });
  const second = reborn.find((i) => i.kind === 'grafana' && i.index === 1)!;
  const [result] = await deliver([second], testDelivery({ resolved: firing, groupKey }), { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
  expect(result.ok).toBe(true);
  expect(grafana.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/api/annotations/${id}` });
  expect(grafana.annotations.get(id)!.timeEnd).toBe(T0 - 60_000);
  // the other config entry (index 0) never saw this group: its resolve sends nothing
  const n = grafana.requests.length;
  expect((await send(reborn.find((i) => i.kind === 'grafana' && i.index === 0) as GrafanaAnnotationIntegration, testDelivery({ resolved: firing, groupKey }))).ok).toBe(true);
  expect(grafana.requests.length).toBe(n);
});

test('429 and 500 are retried (Retry-After honoured), a bad token is not, and the token never shows in the error', async () => {
  const groupKey = '{}:{alertname="Errors"}';
  grafana.fail(1, 429, { 'Retry-After': '0' });
  grafana.fail(1, 500);
  const g = new GrafanaAnnotationIntegration(config(), 0, 'observe', { store });
  const ok = await send(g, testDelivery({ firing: [alert('a', 'b', T0)], groupKey }));
  expect(ok).toMatchObject({ ok: true, attempts: 3 });
  expect(grafana.requests.slice(-3).map((r) => r.status)).toEqual([429, 500, 200]);

  const secret = 'glsa_wrong_secret_value';
  const bad = new GrafanaAnnotationIntegration(config({ token: secret }), 2, 'observe', { store });
  const denied = await send(bad, testDelivery({ firing: [alert('a', 'b', T0)], groupKey }));
  expect(denied).toMatchObject({ ok: false, attempts: 1, statusCode: 401 });
  expect(denied.error).toContain('Unauthorized');
  expect(denied.error).not.toContain(secret);
  expect(await store.openAnnotation('observe', 2, groupKey)).toBeUndefined();
});

test('an annotation deleted in Grafana (404 on PATCH) is forgotten, so the next firing starts a new one', async () => {
  const groupKey = '{}:{alertname="Deleted"}';
  const g = new GrafanaAnnotationIntegration(config(), 0, 'observe', { store });
  await send(g, testDelivery({ firing: [alert('a', 'b', T0)], groupKey }));
  const id = (await store.openAnnotation('observe', 0, groupKey))!.annotationId;
  grafana.annotations.delete(id);
  const res = await send(g, testDelivery({ resolved: [alert('a', 'b', T0)], groupKey }));
  expect(res).toMatchObject({ ok: false, attempts: 1, statusCode: 404 });
  expect(await store.openAnnotation('observe', 0, groupKey)).toBeUndefined();
});

test('without a Store the open annotation is remembered in memory', async () => {
  const g = new GrafanaAnnotationIntegration(config(), 0, 'observe');
  const groupKey = '{}:{alertname="Memory"}';
  await send(g, testDelivery({ firing: [alert('a', 'b', T0)], groupKey }));
  const id = (JSON.parse(JSON.stringify([...grafana.annotations.keys()])) as number[]).at(-1)!;
  await send(g, testDelivery({ resolved: [alert('a', 'b', T0)], groupKey }));
  expect(grafana.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/api/annotations/${id}`, status: 200 });
});

test('a new alert joining the open region updates its text and tags, never its start; if Grafana lost it, a new one is made', async () => {
  const groupKey = '{}:{alertname="Joins"}';
  const g = new GrafanaAnnotationIntegration(config(), 0, 'observe', { store });
  const a = alert('checkout', 'refund', T0 - 600_000);
  const b = alert('search', 'web', T0 - 60_000);
  await send(g, testDelivery({ firing: [a], groupKey }));
  const id = (await store.openAnnotation('observe', 0, groupKey))!.annotationId;
  expect(grafana.annotations.get(id)!.tags).not.toContain('agent_id:search');

  expect((await send(g, testDelivery({ firing: [a, b], groupKey, stillFiring: [a.fingerprint] }))).ok).toBe(true);
  expect(grafana.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/api/annotations/${id}`, status: 200 });
  expect(JSON.parse(grafana.requests.at(-1)!.body)).not.toHaveProperty('time');
  const updated = grafana.annotations.get(id)!;
  expect(updated.time).toBe(T0 - 600_000);
  expect(updated.tags).toContain('agent_id:search');
  expect(updated.text).toContain('2 firing');

  grafana.annotations.delete(id);
  const c = alert('billing', 'pay', T0 - 30_000);
  expect((await send(g, testDelivery({ firing: [a, b, c], groupKey, stillFiring: [a.fingerprint, b.fingerprint] }))).ok).toBe(true);
  const again = (await store.openAnnotation('observe', 0, groupKey))!;
  expect(again.annotationId).not.toBe(id);
  expect(grafana.annotations.get(again.annotationId)!.time).toBe(T0 - 600_000);
});
