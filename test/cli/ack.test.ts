/**
 * `vigil ack` as a user runs it: the real binary, spawned, against a real vigil HTTP server
 * (createApp with the feedback routes) on 127.0.0.1, recording into SQLite.
 */
import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoutedAlert } from '../../src/route/index.js';
import { createApp, EvaluationMetrics } from '../../src/server/index.js';
import { FeedbackLinks, feedbackRoutes } from '../../src/server/feedback.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { vigil } from './run.js';
import { listening, urlOf } from '../support/listen.js';

const TOKEN = 'cli-ack-token';
let dir: string;
let store: SqliteStore;
let server: Server;
let url: string;

const alert = (alertname: string, agent: string): RoutedAlert => ({
  fingerprint: `fp-${alertname}-${agent}`,
  labels: { alertname, severity: 'P1', agent_id: agent },
  annotations: {},
  startsAt: Date.now() - 600_000,
  endsAt: Date.now() + 3600_000,
  updatedAt: Date.now(),
});
const current = [alert('ErrorSpike', 'checkout'), alert('ErrorSpike', 'search'), alert('LatencyP99', 'checkout')];

beforeAll(async () => {
  dir = await scratchDir(join(tmpdir(), 'vigil-cli-ack-'));
  store = new SqliteStore(join(dir, 'vigil.db'));
  const links = await FeedbackLinks.open({ store, externalURL: 'http://127.0.0.1' });
  const app = createApp({
    evaluator: { allGroups: () => [] },
    metrics: new EvaluationMetrics({ allGroups: () => [] }),
    isReady: () => true,
    bearerToken: () => TOKEN,
    routes: [feedbackRoutes({ links, store, currentAlerts: () => current })],
  });
  server = await listening(app);
  url = urlOf(server);
  await writeFile(join(dir, 'token'), `${TOKEN}\n`);
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  store.close();
});

const acks = async (fp: string) => (await store.queryAlertEvents({ fingerprint: fp, kinds: ['acknowledged'] })).items;

test('acknowledges the alerts the matchers match (a bare first word is the alertname), recorded as from the CLI', async () => {
  const r = await vigil(['ack', 'ErrorSpike', 'agent_id="checkout"', '--by', 'ann', '--comment', 'looking', '--url', url, '--token-file', join(dir, 'token')]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('Acknowledged 1 alert as ann.\n');
  expect(await acks('fp-ErrorSpike-checkout')).toEqual([expect.objectContaining({ source: 'cli', detail: { by: 'ann', comment: 'looking' } })]);
  expect(await acks('fp-ErrorSpike-search')).toEqual([]);
});

test('--fingerprint, -o json, and the token from VIGIL_TOKEN', async () => {
  process.env.VIGIL_TOKEN = TOKEN;
  try {
    const r = await vigil(['ack', '--fingerprint', 'fp-LatencyP99-checkout', '--by', 'bob', '-o', 'json', '--url', url]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ acknowledged: 1 });
  } finally {
    delete process.env.VIGIL_TOKEN;
  }
  expect((await acks('fp-LatencyP99-checkout'))[0]).toMatchObject({ detail: { by: 'bob' } });
});

test('failures say why and exit 1: nothing matched, no token, nothing to match, bad matcher, no server', async () => {
  const tokenFile = ['--token-file', join(dir, 'token')];
  const none = await vigil(['ack', 'NoSuchAlert', '--by', 'ann', '--url', url, ...tokenFile]);
  expect(none.code).toBe(1);
  expect(none.stderr).toContain('No firing alert matches');

  const noToken = await vigil(['ack', 'ErrorSpike', '--by', 'ann', '--url', url]);
  expect(noToken.code).toBe(1);
  expect(noToken.stderr).toMatch(/401.*--token-file or VIGIL_TOKEN/);

  const nothing = await vigil(['ack', '--by', 'ann', '--url', url, ...tokenFile]);
  expect(nothing.code).toBe(1);
  expect(nothing.stderr).toContain('give matchers or --fingerprint');

  const bad = await vigil(['ack', 'ErrorSpike', 'agent_id=~"("', '--by', 'ann', '--url', url, ...tokenFile]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('matcher "agent_id=~\\"(\\""');

  const down = await vigil(['ack', 'ErrorSpike', '--by', 'ann', '--url', 'http://127.0.0.1:1', ...tokenFile]);
  expect(down.code).toBe(1);
  expect(down.stderr).toContain('cannot reach vigil at http://127.0.0.1:1');
});

test("--config FILE: the address from vigil.yaml read through serve's loader (${VAR} in flow maps)", async () => {
  await writeFile(
    join(dir, 'flow.yaml'),
    'datasource: { prometheus: { url: ${PROM_URL} } }\nserver: { listen: ${VIGIL_LISTEN} }\nfeedback: { pagerduty_webhook_secret: ${PD_SECRET} }\n',
  );
  const env = { PROM_URL: 'http://127.0.0.1:9090', VIGIL_LISTEN: url.replace('http://', ''), PD_SECRET: 'pd-secret' };
  const r = await vigil(['ack', 'LatencyP99', '--by', 'cy', '--config', join(dir, 'flow.yaml'), '--token-file', join(dir, 'token')], dir, env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('Acknowledged 1 alert as cy.\n');
});

test('--help lists the options', async () => {
  const r = await vigil(['ack', '--help']);
  expect(r.code).toBe(0);
  for (const flag of ['--fingerprint', '--by', '--comment', '--url', '--token-file', '--output']) expect(r.stdout).toContain(flag);
});
