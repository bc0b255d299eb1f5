import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMatchers } from '../../src/route/matchers.js';
import { SilenceError, Silences, matchesFilter, type SilenceInput } from '../../src/route/silences.js';
import { SqliteStore } from '../../src/store/index.js';
import { scratchDir } from '../support/scratch.js';

const T = Date.UTC(2026, 10, 2, 9, 0, 0);
const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;

function input(over: Partial<SilenceInput> = {}): SilenceInput {
  return { matchers: parseMatchers('agent_id="checkout"'), startsAt: T, endsAt: T + 2 * H, createdBy: 'ann', comment: 'deploying a fix', ...over };
}

/** Ids in creation order, so a test can say which silence is which. */
function counter() {
  let n = 0;
  return () => `s${++n}`;
}

async function dbPath(): Promise<string> {
  return join(await scratchDir(join(tmpdir(), 'vigil-silences-')), 'vigil.db');
}

function caught(fn: () => unknown): SilenceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SilenceError) return err;
    throw err;
  }
  throw new Error('expected a SilenceError');
}

describe('Silences: create', () => {
  test('a new silence gets an id, mutes what it matches while active, and bumps the version', () => {
    const reg = new Silences({ newId: counter() });
    const v0 = reg.version;
    const id = reg.upsert(input(), T);
    expect(id).toBe('s1');
    expect(reg.version).toBeGreaterThan(v0);
    expect(reg.get(id, T)).toMatchObject({ id, state: 'active', createdBy: 'ann', updatedAt: T });
    expect(reg.mutes({ agent_id: 'checkout', severity: 'P1' }, T + H)).toEqual(['s1']);
    expect(reg.mutes({ agent_id: 'search' }, T + H)).toEqual([]);
    expect(reg.mutes({ agent_id: 'checkout' }, T + 3 * H)).toEqual([]);
  });

  test('a start in the past becomes now, as Alertmanager does', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input({ startsAt: T - H }), T);
    expect(reg.get(id, T)?.startsAt).toBe(T);
  });

  test('a pending silence mutes nothing until it starts', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input({ startsAt: T + H, endsAt: T + 2 * H }), T);
    expect(reg.get(id, T)?.state).toBe('pending');
    expect(reg.mutes({ agent_id: 'checkout' }, T)).toEqual([]);
    expect(reg.mutes({ agent_id: 'checkout' }, T + H)).toEqual([id]);
  });

  test.each<[string, Partial<SilenceInput>, string]>([
    ['no comment', { comment: '' }, 'comment'],
    ['no author', { createdBy: '' }, 'createdBy'],
    ['end before start', { endsAt: T - H, startsAt: T }, 'endsAt'],
    ['end in the past', { startsAt: T - 2 * H, endsAt: T - H }, 'endsAt'],
    ['no matchers', { matchers: [] }, 'matchers'],
    ['only matchers of the empty string', { matchers: parseMatchers('agent_id=~".*"') }, 'matchers'],
    ['a bad regex', { matchers: [{ name: 'a', type: '=~', value: '(' }] }, 'matchers[0].value'],
  ])('invalid (%s): a 400 SilenceError naming the field, nothing kept', (_what, over, field) => {
    const reg = new Silences({ newId: counter() });
    const err = caught(() => reg.upsert(input(over), T));
    expect(err).toMatchObject({ field, status: 400 });
    expect(reg.list(T)).toEqual([]);
    expect(reg.version).toBe(0);
  });
});

describe('Silences: update', () => {
  test('same matchers, same start, later end: updated in place, same id', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input(), T);
    const again = reg.upsert(input({ id, endsAt: T + 4 * H, comment: 'longer' }), T + H);
    expect(again).toBe(id);
    expect(reg.list(T + H)).toHaveLength(1);
    expect(reg.get(id, T + H)).toMatchObject({ endsAt: T + 4 * H, comment: 'longer', updatedAt: T + H, startsAt: T });
  });

  test('changed matchers: the old silence is expired and a new one (new id) takes over', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input(), T);
    const next = reg.upsert(input({ id, matchers: parseMatchers('agent_id="search"') }), T + H);
    expect(next).toBe('s2');
    expect(reg.get(id, T + H + 1)).toMatchObject({ state: 'expired', endsAt: T + H });
    expect(reg.get(next, T + H)).toMatchObject({ state: 'active', startsAt: T + H });
    expect(reg.mutes({ agent_id: 'checkout' }, T + H + 1)).toEqual([]);
    expect(reg.mutes({ agent_id: 'search' }, T + H + 1)).toEqual(['s2']);
  });

  test('an active silence cannot move its start: replaced, not rewritten', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input(), T);
    expect(reg.upsert(input({ id, startsAt: T + 30 * MIN }), T + 10 * MIN)).toBe('s2');
  });

  test('a pending silence may move its start to the future in place', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input({ startsAt: T + H, endsAt: T + 3 * H }), T);
    expect(reg.upsert(input({ id, startsAt: T + 2 * H, endsAt: T + 3 * H }), T)).toBe(id);
    expect(reg.get(id, T)?.startsAt).toBe(T + 2 * H);
  });

  test('an unknown id: 404; an expired one stays as it was and a new silence (new id) is created, as Alertmanager does', () => {
    const reg = new Silences({ newId: counter() });
    expect(caught(() => reg.upsert(input({ id: 'nope' }), T))).toMatchObject({ field: 'id', status: 404 });
    const id = reg.upsert(input(), T);
    reg.expire(id, T + H);
    const again = reg.upsert(input({ id, endsAt: T + 5 * H }), T + 2 * H);
    expect(again).not.toBe(id);
    expect(reg.get(id, T + 2 * H)).toMatchObject({ state: 'expired', endsAt: T + H });
    expect(reg.get(again, T + 2 * H)).toMatchObject({ state: 'active', startsAt: T + 2 * H, endsAt: T + 5 * H });
  });
});

describe('Silences: mutes, answered from a cache that follows time and changes', () => {
  test('the same label set asked at every tick: right before, during, at the end and after a silence, and after each change', () => {
    const reg = new Silences({ newId: counter() });
    const labels = { alertname: 'AgentErrorRateSpike', agent_id: 'checkout-bot' };
    const other = { alertname: 'AgentErrorRateSpike', agent_id: 'search-bot' };
    const id = reg.upsert(input({ matchers: [{ name: 'agent_id', type: '=~', value: 'check.*' }], startsAt: T + MIN, endsAt: T + H }), T);
    expect(reg.mutes(labels, T)).toEqual([]);
    expect(reg.mutes(labels, T + MIN - 1)).toEqual([]);
    expect(reg.mutes(labels, T + MIN)).toEqual([id]);
    expect(reg.mutes(other, T + MIN)).toEqual([]);
    expect(reg.mutes(labels, T + H)).toEqual([id]); // the end is inclusive
    expect(reg.mutes(labels, T + H + 1)).toEqual([]);
    expect(reg.mutes(labels, T + 2 * MIN)).toEqual([id]); // asked about an earlier time again
    const wide = reg.upsert(input({ matchers: [{ name: 'alertname', type: '=', value: 'AgentErrorRateSpike' }], startsAt: T, endsAt: T + 2 * H }), T + 2 * MIN);
    expect(reg.mutes(labels, T + 2 * MIN)).toEqual([id, wide].sort());
    expect(reg.mutes(other, T + 2 * MIN)).toEqual([wide]);
    reg.expire(wide, T + 3 * MIN);
    expect(reg.mutes(other, T + 3 * MIN + 1)).toEqual([]);
    expect(reg.mutes(labels, T + 3 * MIN + 1)).toEqual([id]);
  });
});

describe('Silences: expire, list, gc', () => {
  test('expire ends an active silence now; unknown → 404, already expired → 400', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input(), T);
    reg.expire(id, T + H);
    expect(reg.get(id, T + H + 1)).toMatchObject({ state: 'expired', endsAt: T + H, updatedAt: T + H });
    expect(reg.mutes({ agent_id: 'checkout' }, T + H + 1)).toEqual([]);
    expect(caught(() => reg.expire(id, T + 2 * H))).toMatchObject({ status: 400 });
    expect(caught(() => reg.expire('nope', T))).toMatchObject({ status: 404 });
  });

  test('expiring a pending silence keeps it as history that never muted', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input({ startsAt: T + H, endsAt: T + 2 * H }), T);
    reg.expire(id, T);
    expect(reg.get(id, T + 1)).toMatchObject({ state: 'expired', startsAt: T, endsAt: T });
    expect(reg.mutes({ agent_id: 'checkout' }, T + H)).toEqual([]);
  });

  test("list: Alertmanager's order (active by end, pending by start, expired newest first) and its filter", () => {
    const reg = new Silences({ newId: counter() });
    const a = reg.upsert(input({ endsAt: T + 5 * H }), T);
    const b = reg.upsert(input({ matchers: parseMatchers('agent_id="search",severity="P2"'), endsAt: T + 3 * H }), T);
    const c = reg.upsert(input({ startsAt: T + H, endsAt: T + 4 * H }), T);
    const d = reg.upsert(input({ comment: 'old' }), T);
    reg.expire(d, T + 1);
    expect(reg.list(T + 2).map((s) => [s.id, s.state])).toEqual([
      [b, 'active'],
      [a, 'active'],
      [c, 'pending'],
      [d, 'expired'],
    ]);
    expect(reg.list(T + 2, parseMatchers('agent_id="search"')).map((s) => s.id)).toEqual([b]);
    // a positive filter needs the label among the silence's matchers; a negative one does not
    expect(reg.list(T + 2, parseMatchers('severity=~"P.*"')).map((s) => s.id)).toEqual([b]);
    expect(reg.list(T + 2, parseMatchers('severity!="P2"')).map((s) => s.id)).toEqual([a, c, d]);
  });

  test('matchesFilter is the API filter: = needs the label, != does not', () => {
    expect(matchesFilter(parseMatchers('a=""'), {})).toBe(false);
    expect(matchesFilter(parseMatchers('a!="x"'), {})).toBe(true);
    expect(matchesFilter(parseMatchers('a=~"x|y"'), { a: 'y' })).toBe(true);
  });

  test('gc drops silences that ended more than the retention (5 days) ago', () => {
    const reg = new Silences({ newId: counter() });
    const id = reg.upsert(input(), T);
    reg.expire(id, T + H);
    expect(reg.gc(T + H + 5 * DAY)).toBe(0);
    expect(reg.gc(T + H + 5 * DAY + 1)).toBe(1);
    expect(reg.get(id)).toBeUndefined();
  });
});

describe('Silences: persistence', () => {
  test('every change is in the store at once: a reopened SqliteStore sees creates, in-place updates, replacements and expiries', async () => {
    const path = await dbPath();
    const store = new SqliteStore(path);
    const reg = await Silences.open({ store, newId: counter() });
    const a = reg.upsert(input(), T);
    reg.upsert(input({ id: a, endsAt: T + 6 * H }), T + MIN);
    const b = reg.upsert(input({ matchers: parseMatchers('tool_name="search"') }), T);
    const c = reg.upsert(input({ id: b, matchers: parseMatchers('tool_name="fetch"') }), T + 2 * MIN);
    store.close();

    const reopened = new SqliteStore(path);
    const again = await Silences.open({ store: reopened, newId: counter() });
    const now = T + 3 * MIN;
    expect(again.list(now).map((s) => [s.id, s.state, s.endsAt])).toEqual([
      [c, 'active', T + 2 * H],
      [a, 'active', T + 6 * H],
      [b, 'expired', T + 2 * MIN],
    ]);
    expect(again.mutes({ tool_name: 'fetch' }, now)).toEqual([c]);
    again.expire(a, now);
    reopened.close();

    const third = new SqliteStore(path);
    expect((await Silences.open({ store: third })).get(a, now + 1)?.state).toBe('expired');
    third.close();
  });

  test('gc deletes from the store too', async () => {
    const path = await dbPath();
    const store = new SqliteStore(path);
    const reg = await Silences.open({ store, newId: counter(), retentionMs: H });
    const id = reg.upsert(input(), T);
    reg.expire(id, T + MIN);
    reg.gc(T + 2 * H);
    expect(await store.loadSilences()).toEqual([]);
    store.close();
  });
});
