/**
 * The demo's timing, proved on its own history: the fleet is replayed over 26 hours and on for
 * 35 minutes past the demo's start (T0), and `vigil backtest --data` replays the rule pack over
 * the last hour before T0 and those 35 minutes, as the demo's catch-up and then `vigil serve`
 * evaluate them. Each of the six alerts fires once, for its incident, within 30 minutes of T0
 * and is still firing at T0; the P1 error spike by T0+1m; nothing else fires. At night, on the
 * morning ramp and at the daily peak, at starts on and off the minute.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoFleet, Fleet, INCIDENT_ALERT, ROUND, writeBackfill } from '../../src/demo/index.js';
import { vigil } from '../cli/run.js';
import { scratchDir } from '../support/scratch.js';

const MIN = 60_000;

interface Episode {
  alert: string;
  labels: Record<string, string>;
  activeAt: string;
  firedAt: string | null;
  resolvedAt: string | null;
}

describe.each([
  ['at night', '2026-12-08T02:10:00Z'],
  ['on the morning ramp', '2026-12-08T08:30:30Z'],
  ['at the daily peak', '2026-12-08T13:00:45Z'],
])('a demo started %s (%s)', (_, start) => {
  const T0 = Date.parse(start);
  let episodes: Episode[];

  beforeAll(async () => {
    const dir = await scratchDir(join(tmpdir(), 'vigil-schedule-'));
    const file = join(dir, 'history.om');
    await writeBackfill(new Fleet(demoFleet(T0), T0 - 26 * 60 * MIN), file, { to: T0 + 35 * MIN, stepMs: MIN, targetLabels: { job: 'agents', instance: '127.0.0.1:9100' } });
    const iso = (t: number) => new Date(t).toISOString();
    const r = await vigil(['backtest', '--data', file, '--from', iso(T0 - 60 * MIN), '--to', iso(T0 + 35 * MIN), '-o', 'json', 'rules/']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // what notifies: an episode that only went pending for a moment (a lone failure in a thin window) never leaves vigil
    episodes = (JSON.parse(r.stdout).episodes as Episode[]).filter((e) => e.firedAt !== null);
  }, 240_000);

  const minutesAfterT0 = (iso: string | null) => (iso === null ? null : (Date.parse(iso) - T0) / MIN);

  test('each kind of incident fires its alert once, for its agent and tool, within 30 minutes, and is still firing at the start; nothing else fires', () => {
    const fired = episodes.map((e) => ({ alert: e.alert, agent: e.labels.agent_id, tool: e.labels.tool_name }));
    const expected = ROUND.map((r) => ({ alert: INCIDENT_ALERT[r.kind].alert, agent: r.agent, tool: r.kind.startsWith('tool') ? r.tool : undefined }));
    expect(fired.sort((a, b) => a.alert.localeCompare(b.alert))).toEqual(expected.sort((a, b) => a.alert.localeCompare(b.alert)));
    for (const e of episodes) {
      const firedAt = minutesAfterT0(e.firedAt)!;
      const resolvedAt = minutesAfterT0(e.resolvedAt);
      // still firing when vigil serve takes over, so that its notification is sent live
      expect({ alert: e.alert, inTime: firedAt <= 30 && (resolvedAt === null || resolvedAt > Math.max(firedAt, 0) + 5) }).toEqual({ alert: e.alert, inTime: true });
    }
  });

  test('the P1 error spike fires by the first minute: its page follows the first live evaluation (1m) and group_wait (10s)', () => {
    const spike = episodes.find((e) => e.alert === 'AgentErrorRateSpike');
    expect(minutesAfterT0(spike?.firedAt ?? null)).toBeLessThanOrEqual(1);
  });

  test('the alerts with the longest for (30m) were pending before the start: the catch-up replay is what lets them fire in time', () => {
    for (const alert of ['AgentHallucinationTrend', 'AgentToolSelectionDrift']) {
      const e = episodes.find((x) => x.alert === alert);
      expect({ alert, pendingBeforeStart: (minutesAfterT0(e?.activeAt ?? null) ?? 0) < -5 }).toEqual({ alert, pendingBeforeStart: true });
    }
  });
});
