/** `vigil tickets list|show` as a user runs them: the real binary reading the SQLite file vigil.yaml names. */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';
import { vigil } from './run.js';

const T0 = Date.parse('2026-11-16T09:00:00Z');
let dir: string;

beforeAll(async () => {
  dir = await scratchDir(join(tmpdir(), 'vigil-cli-tickets-'));
  await writeFile(join(dir, 'vigil.yaml'), 'datasource: { prometheus: { url: http://127.0.0.1:9090 } }\nstorage: { sqlite: { path: state/vigil.db } }\n');
  const store = new SqliteStore(join(dir, 'state', 'vigil.db'));
  const base = { receiver: 'triage', groupLabels: { agent_id: 'search' }, severity: 'P2', wontFix: false, firingSince: T0 };
  store.saveTicket({ ...base, id: 'local:1', kind: 'local', groupKey: 'g1', externalId: '1', title: '[P2] AgentToolFailure agent_id=search', status: 'resolved', createdAt: T0, updatedAt: T0 + 7_500_000, resolvedAt: T0 + 7_500_000 });
  store.saveTicket({ ...base, id: 'github:42', kind: 'github', groupKey: 'g2', externalId: '42', url: 'https://github.com/acme/agents/issues/42', title: '[P2] AgentTokenCost agent_id=writer', status: 'open', createdAt: T0 + 60_000, updatedAt: T0 + 60_000 });
  store.recordTicketEvent({ ticketId: 'local:1', at: T0, action: 'created', detail: '1 alert firing for agent_id=search.\n- AgentToolFailure tool_name=web_search' });
  store.recordTicketEvent({ ticketId: 'local:1', at: T0 + 7_500_000, action: 'resolved', detail: 'All alerts resolved; fired for 2h 5m. Resolved by vigil.' });
  store.close();
});

test('list: a table newest first, --status filters, -o json for programs', async () => {
  const text = await vigil(['tickets', 'list'], dir);
  expect(text.code).toBe(0);
  const lines = text.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^ID\s+STATUS\s+SEVERITY\s+RECEIVER\s+CREATED\s+TITLE\s+URL$/);
  expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['github:42', 'local:1']);
  expect(text.stdout).toContain('https://github.com/acme/agents/issues/42');
  const open = await vigil(['tickets', 'list', '--status', 'open', '-o', 'json'], dir);
  expect(JSON.parse(open.stdout)).toEqual({ tickets: [expect.objectContaining({ id: 'github:42', status: 'open', createdAt: '2026-11-16T09:01:00.000Z' })] });
  const paged = await vigil(['tickets', 'list', '--limit', '1'], dir);
  expect(paged.stdout).toContain('more: vigil tickets list --before github:42');
  const bad = await vigil(['tickets', 'list', '--status', 'closed'], dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--status must be one of open, resolved; got "closed"');
});

test('show: the ticket and its events; an unknown id fails', async () => {
  const text = await vigil(['tickets', 'show', 'local:1'], dir);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain('local:1  [P2] AgentToolFailure agent_id=search');
  expect(text.stdout).toContain('status:        resolved');
  expect(text.stdout).toMatch(/2026-11-16T11:05:00.000Z\s+resolved\n\s+All alerts resolved; fired for 2h 5m/);
  const json = await vigil(['tickets', 'show', 'local:1', '-o', 'json'], dir);
  const t = JSON.parse(json.stdout);
  expect(t).toMatchObject({ id: 'local:1', resolvedAt: '2026-11-16T11:05:00.000Z' });
  expect(t.events.map((e: { action: string }) => e.action)).toEqual(['created', 'resolved']);
  const missing = await vigil(['tickets', 'show', 'jira:NOPE-1'], dir);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe('error: no ticket "jira:NOPE-1"\n');
});
