/**
 * `vigil silence` as a user runs it: the real binary, spawned, against a real vigil HTTP server
 * (createApp) on 127.0.0.1 in the test process, with real Silences in SQLite.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Silences } from '../../src/route/silences.js';
import { createApp, EvaluationMetrics } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { vigil } from './run.js';
import { listening, urlOf } from '../support/listen.js';

const TOKEN = 'cli-test-token';
let dir: string;
let store: SqliteStore;
let silences: Silences;
const servers: Server[] = [];

async function serve(token?: string): Promise<string> {
  const app = createApp({
    evaluator: { allGroups: () => [] },
    metrics: new EvaluationMetrics({ allGroups: () => [] }),
    isReady: () => true,
    router: { receive: () => undefined, alerts: () => [], silences, resolveTimeoutMs: 300_000 },
    bearerToken: () => token,
  });
  const server = await listening(app);
  servers.push(server);
  return urlOf(server);
}

let url: string;
beforeAll(async () => {
  dir = await scratchDir(join(tmpdir(), 'vigil-cli-silence-'));
  store = new SqliteStore(join(dir, 'vigil.db'));
  silences = await Silences.open({ store });
  url = await serve();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  store.close();
});

describe('vigil silence', () => {
  test('add, list (table and -o json), expire, list --expired', async () => {
    const before = Date.now();
    const added = await vigil(['silence', 'add', 'agent_id="checkout"', 'severity=~"P[12]"', '--comment', 'deploying a fix', '--author', 'ann', '--duration', '2h', '--url', url]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const id = added.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const kept = silences.get(id, Date.now());
    expect(kept).toMatchObject({ createdBy: 'ann', comment: 'deploying a fix', state: 'active' });
    expect(kept!.matchers).toEqual([
      { name: 'agent_id', type: '=', value: 'checkout' },
      { name: 'severity', type: '=~', value: 'P[12]' },
    ]);
    expect(kept!.endsAt - kept!.startsAt).toBeGreaterThanOrEqual(2 * 3600_000 - 1000);
    expect(kept!.startsAt).toBeGreaterThanOrEqual(before - 1000);

    const tableOut = await vigil(['silence', 'list', '--url', url]);
    expect(tableOut.code).toBe(0);
    expect(tableOut.stdout).toMatch(/^ID\s+MATCHERS\s+STATE\s+STARTS AT\s+ENDS AT\s+CREATED BY\s+COMMENT\n/);
    expect(tableOut.stdout).toContain(`${id}  agent_id="checkout" severity=~"P[12]"  active`);

    const json = await vigil(['silence', 'list', 'agent_id="checkout"', '-o', 'json', '--url', url]);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { id: string; status: { state: string }; matchers: unknown[]; createdBy: string }[];
    expect(listed.map((s) => s.id)).toEqual([id]);
    expect(listed[0]).toMatchObject({ status: { state: 'active' }, createdBy: 'ann' });
    expect(listed[0].matchers).toEqual([
      { name: 'agent_id', value: 'checkout', isRegex: false, isEqual: true },
      { name: 'severity', value: 'P[12]', isRegex: true, isEqual: true },
    ]);
    const other = await vigil(['silence', 'list', 'agent_id="search"', '-o', 'json', '--url', url]);
    expect(JSON.parse(other.stdout)).toEqual([]);

    const expired = await vigil(['silence', 'expire', id, '--url', url]);
    expect(expired).toEqual({ code: 0, stdout: `Expired 1 silence: ${id}\n`, stderr: '' });
    await new Promise((r) => setTimeout(r, 5)); // the end is inclusive: expired from the next millisecond
    expect(silences.get(id, Date.now())?.state).toBe('expired');
    const active = await vigil(['silence', 'list', '-o', 'json', '--url', url]);
    expect((JSON.parse(active.stdout) as { id: string }[]).map((s) => s.id)).not.toContain(id);
    const gone = await vigil(['silence', 'list', '--expired', '-o', 'json', '--url', url]);
    expect((JSON.parse(gone.stdout) as { id: string }[]).map((s) => s.id)).toContain(id);
  });

  test('a bad matcher: exit 1, a clear message, nothing created', async () => {
    const count = silences.list(Date.now()).length;
    const r = await vigil(['silence', 'add', 'agent_id=~"("', '--comment', 'x', '--url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: matcher "agent_id=~\\"(\\"": failed to create matcher: invalid regular expression "(": missing closing )\n');
    expect(silences.list(Date.now())).toHaveLength(count);
  });

  test('what the server rejects is said: no comment, an unknown id, an unreachable server', async () => {
    const noComment = await vigil(['silence', 'add', 'a="b"', '--url', url]);
    expect(noComment).toMatchObject({ code: 1, stderr: 'error: --comment is required: say why you silence\n' });
    const past = await vigil(['silence', 'add', 'a="b"', '--comment', 'x', '--start', '2020-01-01T00:00:00Z', '--end', '2020-01-02T00:00:00Z', '--url', url]);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain("POST /api/v2/silences: 400 Bad Request: endsAt: end time can't be in the past");
    const unknown = await vigil(['silence', 'expire', 'no-such-id', '--url', url]);
    expect(unknown).toMatchObject({ code: 1, stderr: 'error: DELETE /api/v2/silence/no-such-id: 404 Not Found: silence no-such-id not found\n' });
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const down = await vigil(['silence', 'list', '--url', `http://127.0.0.1:${closed}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`error: cannot reach vigil at http://127.0.0.1:${closed}: ECONNREFUSED (is \`vigil serve\` running? set --url)\n`);
  });

  test('the address from vigil.yaml, the token from --token-file; without it, 401 said plainly', async () => {
    const secured = await serve(TOKEN);
    const cwd = await scratchDir(join(tmpdir(), 'vigil-cli-silence-cwd-'));
    await writeFile(join(cwd, 'vigil.yaml'), `datasource: { prometheus: { url: http://127.0.0.1:9090 } }\nserver:\n  listen: ${secured.replace('http://', '')}\n`);
    await writeFile(join(cwd, 'token'), `${TOKEN}\n`);
    const denied = await vigil(['silence', 'add', 'a="b"', '--comment', 'x'], cwd);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('401 Unauthorized');
    expect(denied.stderr).toContain('set --token-file or VIGIL_TOKEN');
    expect(denied.stderr).not.toContain(TOKEN);
    const ok = await vigil(['silence', 'add', 'a="b"', '--comment', 'x', '--token-file', 'token', '-o', 'json'], cwd);
    expect(ok.code).toBe(0);
    const { silenceID } = JSON.parse(ok.stdout) as { silenceID: string };
    expect(silences.get(silenceID)?.createdBy).toBe(process.env.USER || userInfo().username); // --author defaults to $USER
  });

  test("--config reads vigil.yaml through serve's loader: README's ${VAR} flow maps work, a broken file is named", async () => {
    const cwd = await scratchDir(join(tmpdir(), 'vigil-cli-silence-cfg-'));
    // the shape of README's example: ${VAR} inside flow maps, which plain YAML rejects
    await writeFile(
      join(cwd, 'prod.yaml'),
      `datasource: { prometheus: { url: \${PROM_URL} } }
server: { listen: \${VIGIL_LISTEN} }
route: { receiver: chat }
receivers:
  - name: chat
    slack_configs: [{ webhook_url: \${SLACK_WEBHOOK_URL}, mention: channel }]
`,
    );
    const env = { PROM_URL: 'http://127.0.0.1:9090', VIGIL_LISTEN: url.replace('http://', ''), SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' };
    const added = await vigil(['silence', 'add', 'a="b"', '--comment', 'via --config', '--config', join(cwd, 'prod.yaml')], cwd, env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(silences.get(added.stdout.trim())?.comment).toBe('via --config');
    // what serve would refuse, the client refuses too, naming file, line and field
    const unset = await vigil(['silence', 'list', '--config', join(cwd, 'prod.yaml')], cwd, { ...env, SLACK_WEBHOOK_URL: '' });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('prod.yaml:6:');
    expect(unset.stderr).toContain('pass --url');
  });
});
