/** `vigil alerts history` as a user runs it: the real binary reading the SQLite file vigil.yaml names. */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { vigil } from './run.js';

const T0 = Date.parse('2026-11-16T09:00:00Z');
let dir: string;

beforeAll(async () => {
  dir = await scratchDir(join(tmpdir(), 'vigil-cli-alerts-'));
  await writeFile(join(dir, 'vigil.yaml'), 'datasource: { prometheus: { url: http://127.0.0.1:9090 } }\nstorage: { sqlite: { path: state/vigil.db } }\n');
  const store = new SqliteStore(join(dir, 'state', 'vigil.db'));
  const labels = { alertname: 'AgentErrorRateSpike', severity: 'P1', agent_id: 'checkout' };
  const base = { fingerprint: 'fp1', startsAt: T0, alertname: 'AgentErrorRateSpike', severity: 'P1', labels, source: 'router' };
  store.recordAlertEvent({ ...base, at: T0, kind: 'firing' });
  store.recordAlertEvent({ ...base, at: T0 + 60_000, kind: 'silenced', detail: { silencedBy: ['s1'] } });
  store.recordAlertEvent({ ...base, at: T0 + 600_000, kind: 'resolved' });
  store.close();
});

test('lists the history newest first as a table, and as JSON', async () => {
  const text = await vigil(['alerts', 'history'], dir);
  expect(text.code).toBe(0);
  const lines = text.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^ID\s+AT\s+EVENT\s+ALERT/);
  expect(lines.slice(1).map((l) => l.split(/\s+/)[2])).toEqual(['resolved', 'silenced', 'firing']);
  expect(text.stdout).toContain('{agent_id="checkout"}');
  const json = await vigil(['alerts', 'history', '--kind', 'silenced', '-o', 'json'], dir);
  expect(JSON.parse(json.stdout)).toEqual({ events: [expect.objectContaining({ kind: 'silenced', at: '2026-11-16T09:01:00.000Z', detail: { silencedBy: ['s1'] } })] });
});

test('orders by time, not by the order events were recorded', async () => {
  const late = await scratchDir(join(tmpdir(), 'vigil-cli-alerts-late-'));
  await writeFile(join(late, 'vigil.yaml'), 'datasource: { prometheus: { url: http://127.0.0.1:9090 } }\nstorage: { sqlite: { path: vigil.db } }\n');
  const store = new SqliteStore(join(late, 'vigil.db'));
  const labels = { alertname: 'AgentToolFailure', severity: 'P2', agent_id: 'search' };
  const base = { fingerprint: 'fp2', startsAt: T0, alertname: 'AgentToolFailure', severity: 'P2', labels, source: 'api-v2' };
  // recorded out of time order: the pending event of a rule restored late, an acknowledgement with its click time
  store.recordAlertEvent({ ...base, at: T0 + 600_000, kind: 'resolved' });
  store.recordAlertEvent({ ...base, at: T0 - 300_000, kind: 'pending' });
  store.recordAlertEvent({ ...base, at: T0, kind: 'firing' });
  store.recordAlertEvent({ ...base, at: T0 + 120_000, kind: 'acknowledged' });
  store.close();
  const text = await vigil(['alerts', 'history'], late);
  expect(text.code).toBe(0);
  expect(text.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[2])).toEqual(['resolved', 'acknowledged', 'firing', 'pending']);
  const json = await vigil(['alerts', 'history', '-o', 'json'], late);
  expect((JSON.parse(json.stdout) as { events: { kind: string }[] }).events.map((e) => e.kind)).toEqual(['resolved', 'acknowledged', 'firing', 'pending']);
});

test('pages stay in time order: --before continues after the last entry shown, whatever the order of recording', async () => {
  const mixed = await scratchDir(join(tmpdir(), 'vigil-cli-alerts-pages-'));
  await writeFile(join(mixed, 'vigil.yaml'), 'datasource: { prometheus: { url: http://127.0.0.1:9090 } }\nstorage: { sqlite: { path: vigil.db } }\n');
  const store = new SqliteStore(join(mixed, 'vigil.db'));
  const minutes = [30, 10, 50, 20, 40, 60];
  for (const m of minutes) {
    const labels = { alertname: `At${m}`, severity: 'P3' };
    store.recordAlertEvent({ at: T0 + m * 60_000, fingerprint: `fp${m}`, startsAt: T0, alertname: labels.alertname, severity: 'P3', labels, kind: 'firing', source: 'api-v2' });
  }
  store.close();
  const shown: string[] = [];
  let args = ['alerts', 'history', '--limit', '2'];
  for (let page = 0; page < 5; page++) {
    const out = await vigil(args, mixed);
    expect(out.code).toBe(0);
    shown.push(...out.stdout.trim().split('\n').filter((l) => /^\d+\s/.test(l)).map((l) => l.split(/\s+/)[3]));
    const next = /--before (\d+)/.exec(out.stdout);
    if (!next) break;
    args = ['alerts', 'history', '--limit', '2', '--before', next[1]];
  }
  expect(shown).toEqual(['At60', 'At50', 'At40', 'At30', 'At20', 'At10']);
});

test('pages with --limit and --before; a bad --kind is a usage error naming it', async () => {
  const first = await vigil(['alerts', 'history', '--limit', '2'], dir);
  const next = /--before (\d+)/.exec(first.stdout)![1];
  const rest = await vigil(['alerts', 'history', '--limit', '2', '--before', next], dir);
  expect(rest.stdout).toContain('firing');
  expect(rest.stdout).not.toContain('--before');
  const bad = await vigil(['alerts', 'history', '--kind', 'paged'], dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe('error: --kind: "paged" is not one of pending, firing, resolved, silenced, inhibited, acknowledged, feedback\n');
});
