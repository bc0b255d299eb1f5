/**
 * The simulated fleet as a scraper sees it: its /metrics page passes `promtool check metrics`,
 * carries every kind of incident in the counters a rule reads, and says the same as the
 * backfilled history, which both vigil's OpenMetrics loader and promtool's backfill accept.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoFleet, Fleet, INCIDENT_KINDS, ROUND, startExporter, writeBackfill, type IncidentKind } from '../../src/demo/index.js';
import { loadOpenMetricsFile, MemoryStore } from '../../src/tsdb/index.js';
import { requireOrSkip, which } from '../integration/support/prometheus.js';
import { scratchDir } from '../support/scratch.js';

const MIN = 60_000;
/** A Monday at 13:00 UTC, the daily peak; the first round of incidents is around it. */
const T0 = Date.parse('2026-12-07T13:00:00Z');

type Series = Map<string, number>;

/** The Prometheus text format, as far as a test needs it: `name{labels} value` per line, labels sorted. */
function parseExposition(text: string): Series {
  const out: Series = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = (m[2] ?? '').match(/[a-zA-Z_]\w*="(?:[^"\\]|\\.)*"/g) ?? [];
    out.set(`${m[1]}{${labels.sort().join(',')}}`, Number(m[3]));
  }
  return out;
}

/** Sum of the increase of every series whose key matches all `parts`, between two scrapes. */
function increase(before: Series, after: Series, ...parts: string[]): number {
  let sum = 0;
  for (const [key, v] of after) if (parts.every((p) => key.includes(p))) sum += v - (before.get(key) ?? 0);
  return sum;
}

async function scrapes(fleet: Fleet, from: number, to: number): Promise<[Series, Series]> {
  return [parseExposition(await fleet.exposition(from)), parseExposition(await fleet.exposition(to))];
}

/** Over 10 minutes inside the first round's incident of `kind` (and as long before it, quiet), what the rule of that kind divides. */
async function measure(kind: IncidentKind): Promise<{ quiet: number; incident: number }> {
  const round = ROUND.find((r) => r.kind === kind)!;
  const start = T0 + round.startMin * MIN;
  const fleet = new Fleet(demoFleet(T0), start - 60 * MIN);
  const a = round.agent;
  const ratio = async (from: number): Promise<number> => {
    const [b, c] = await scrapes(fleet, from, from + 10 * MIN);
    const agent = `agent_id="${a}"`;
    switch (kind) {
      case 'error-spike':
        return increase(b, c, 'agent_requests_total', agent, 'status="failure"') / increase(b, c, 'agent_requests_total', agent);
      case 'latency':
        return 1 - increase(b, c, 'agent_request_duration_seconds_bucket', agent, 'le="2.5"') / increase(b, c, 'agent_request_duration_seconds_count', agent);
      case 'token-loop':
        return increase(b, c, 'agent_tokens_consumed_total', agent) / increase(b, c, 'agent_requests_total', agent);
      case 'tool-failure':
        return increase(b, c, 'agent_tool_calls_total', agent, `tool_name="${round.tool}"`, 'status="failure"') / increase(b, c, 'agent_tool_calls_total', agent, `tool_name="${round.tool}"`);
      case 'hallucination':
        return increase(b, c, 'agent_hallucination_total', agent) / increase(b, c, 'agent_requests_total', agent);
      case 'tool-swap':
        return increase(b, c, 'agent_tool_calls_total', agent, `tool_name="${round.tool}"`) / increase(b, c, 'agent_tool_calls_total', agent);
    }
  };
  const quiet = await ratio(start - 20 * MIN);
  const incident = await ratio(start + MIN);
  return { quiet, incident };
}

describe('the fleet exports the metrics contract', () => {
  test.each([
    ['error-spike', (q: number, i: number) => q < 0.02 && i > 0.2],
    ['latency', (q: number, i: number) => q < 0.005 && i > 0.5],
    ['token-loop', (q: number, i: number) => i > 2.5 * q],
    ['tool-failure', (q: number, i: number) => q < 0.01 && i > 0.15],
    ['hallucination', (q: number, i: number) => q < 0.006 && i > 8 * q],
    ['tool-swap', (q: number, i: number) => q > 0.1 && i === 0],
  ] as const)('a %s incident shows in the counters its rule reads', async (kind, holds) => {
    const { quiet, incident } = await measure(kind);
    expect({ kind, quiet, incident, holds: holds(quiet, incident) }).toEqual({ kind, quiet, incident, holds: true });
  });

  test('every kind of incident is in a round, each on its own agent or tool', () => {
    expect(ROUND.map((r) => r.kind).sort()).toEqual([...INCIDENT_KINDS].sort());
    const fleet = demoFleet(T0);
    for (const kind of INCIDENT_KINDS) expect(fleet.incidents.filter((i) => i.kind === kind && i.start < T0 + 30 * MIN)).toHaveLength(1);
  });

  test('one agent in the OpenTelemetry GenAI names, as the otel-genai profile reads them', async () => {
    const fleet = new Fleet(demoFleet(T0), T0 - 10 * MIN);
    const [b, c] = await scrapes(fleet, T0 - 5 * MIN, T0);
    const agent = 'gen_ai_agent_name="travel-agent"';
    expect(increase(b, c, 'gen_ai_invoke_agent_duration_seconds_count', agent)).toBeGreaterThan(100);
    expect(increase(b, c, 'gen_ai_invoke_agent_duration_seconds_count', agent, 'error_type="timeout"')).toBeGreaterThan(0);
    expect(increase(b, c, 'gen_ai_client_token_usage_sum', agent, 'gen_ai_token_type="input"')).toBeGreaterThan(100_000);
    expect(increase(b, c, 'gen_ai_execute_tool_duration_seconds_count', agent, 'gen_ai_tool_name="search_flights"')).toBeGreaterThan(100);
    expect([...c.keys()].some((k) => k.startsWith('agent_requests_total') && k.includes('travel-agent'))).toBe(false);
  });

  test('over HTTP: 503 while the history is replayed, then the text format; 404 elsewhere', async () => {
    let live = false;
    const fleet = new Fleet(demoFleet(Date.now()), Date.now() - 10 * MIN);
    const exporter = await startExporter(fleet, { ready: () => live });
    try {
      expect((await fetch(exporter.url)).status).toBe(503);
      live = true;
      const res = await fetch(exporter.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const series = parseExposition(await res.text());
      expect(series.get('agent_requests_total{agent_id="checkout-bot",status="success"}')).toBeGreaterThan(0);
      expect((await fetch(exporter.url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      await exporter.close();
    }
  });

  (requireOrSkip('the fleet against promtool check metrics', ['promtool']) ? test : test.skip)('promtool check metrics finds nothing to lint', async () => {
    const fleet = new Fleet(demoFleet(T0), T0 - 30 * MIN);
    const text = await fleet.exposition(T0);
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      const child = execFile(which('promtool')!, ['check', 'metrics'], (err, stdout, stderr) => resolve({ code: err ? Number(err.code) || 1 : 0, output: stdout + stderr }));
      child.stdin!.end(text);
    });
    expect(result).toEqual({ code: 0, output: '' });
  });
});

describe('the backfilled history', () => {
  const targetLabels = { job: 'agents', instance: '127.0.0.1:9100' };
  let dir: string;
  let file: string;
  let fleet: Fleet;
  beforeAll(async () => {
    dir = await scratchDir(join(tmpdir(), 'vigil-backfill-'));
    file = join(dir, 'history.om');
    fleet = new Fleet(demoFleet(T0), T0 - 2 * 60 * MIN);
    await writeBackfill(fleet, file, { to: T0, stepMs: MIN, targetLabels });
  });

  test('holds, at its last sample, what a scrape of the fleet shows then, with the target labels a scrape adds', async () => {
    const store = new MemoryStore();
    const report = await loadOpenMetricsFile(store, file);
    expect(report).toMatchObject({ minTime: T0 - 2 * 60 * MIN, maxTime: T0, samples: report.series * 121 });
    const text = await readFile(file, 'utf8');
    const last = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^(\S+) (\S+) (\S+)$/.exec(line);
      if (m && Number(m[3]) * 1000 === T0) last.set(m[1], Number(m[2]));
    }
    // the fleet was left at T0 by the backfill: a scrape now shows the same values
    const scraped = parseExposition(await fleet.exposition(T0));
    expect(last.size).toBe(scraped.size);
    for (const [key, value] of scraped) {
      const withTarget = key.replace(/\{(.*)\}$/, (_, l: string) => `{${[...(l ? l.split(/,(?=[a-zA-Z_]\w*=")/) : []), 'instance="127.0.0.1:9100"', 'job="agents"'].sort().join(',')}}`);
      expect([withTarget, last.get(withTarget)]).toEqual([withTarget, value]);
    }
  });

  (requireOrSkip('the backfill against promtool tsdb create-blocks-from openmetrics', ['promtool']) ? test : test.skip)('promtool tsdb create-blocks-from openmetrics takes it', async () => {
    const result = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile(which('promtool')!, ['tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, 'blocks')], (err, stdout, stderr) => resolve({ code: err ? Number(err.code) || 1 : 0, output: stdout + stderr })),
    );
    expect(result.code).toBe(0);
    expect(result.output).not.toMatch(/error|out of order/i);
  }, 60_000);
});
