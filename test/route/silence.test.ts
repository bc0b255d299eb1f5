import { parseMatchers } from '../../src/route/matchers.js';
import {
  canUpdateSilence,
  expireSilence,
  isMuted,
  silenceState,
  validateSilence,
  type Silence,
} from '../../src/route/silence.js';
import type { Matcher, MatchType } from '../../src/route/types.js';

const T = Date.UTC(2025, 0, 6, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const m = (name: string, type: MatchType, value: string): Matcher => ({ name, type, value });

function silence(over: Partial<Silence> = {}): Silence {
  return {
    id: 'sil-1',
    matchers: parseMatchers('agent_id="checkout"'),
    startsAt: T,
    endsAt: T + HOUR,
    createdBy: 'ana',
    comment: 'deploying checkout',
    updatedAt: T - MIN,
    ...over,
  };
}

describe('silenceState', () => {
  test.each<[number, string]>([
    [T - 1, 'pending'],
    [T, 'active'], // starts inclusive
    [T + 30 * MIN, 'active'],
    [T + HOUR, 'active'], // ends inclusive, as Alertmanager's getState
    [T + HOUR + 1, 'expired'],
  ])('at T%+d ms', (now, state) => {
    expect(silenceState(silence(), now)).toBe(state);
  });

  test('a zero-length silence is active at its one instant', () => {
    const s = silence({ startsAt: T, endsAt: T });
    expect([T - 1, T, T + 1].map((now) => silenceState(s, now))).toEqual(['pending', 'active', 'expired']);
  });
});

// silence/silence_test.go TestValidateSilence and TestValidateUTF8Matcher, plus the API's rules.
describe('validateSilence', () => {
  const messages = (s: Partial<Silence>, api = false, now?: number) => validateSilence(s, { api, now }).map((i) => `${i.field}: ${i.message}`);

  test.each<[string, Partial<Silence>, string[]]>([
    ['valid', { matchers: [m('a', '=', 'b')], startsAt: T, endsAt: T }, []],
    ['no matchers', { matchers: [], startsAt: T, endsAt: T }, ['matchers: at least one matcher required']],
    // Alertmanager 0.25 takes label names of [a-zA-Z_][a-zA-Z0-9_]* only
    ['label names Alertmanager 0.25 refuses', { matchers: [m('_a9', '=', 'b'), m('00', '=', 'b'), m('🙂', '=', 'a')], startsAt: T, endsAt: T }, [
      'matchers[1].name: invalid label matcher 1: invalid label name "00"',
      'matchers[2].name: invalid label matcher 2: invalid label name "🙂"',
    ]],
    ['empty label name', { matchers: [m('a', '=', 'b'), m('', '=', 'b')], startsAt: T, endsAt: T }, ['matchers[1].name: invalid label matcher 1: invalid label name ""']],
    ['all matchers match the empty string', { matchers: [m('a', '=', ''), m('b', '=~', '.*')], startsAt: T, endsAt: T }, ['matchers: at least one matcher must not match the empty string']],
    // != and !~ never count as matching the empty string (Alertmanager's matchesEmpty)
    ['a negative matcher is enough', { matchers: [m('a', '=', ''), m('b', '!=', 'x')], startsAt: T, endsAt: T }, []],
    ['a regex that needs a character', { matchers: [m('a', '=~', '.+')], startsAt: T, endsAt: T }, []],
    ['bad regex', { matchers: [m('a', '=~', '((')], startsAt: T, endsAt: T }, ['matchers[0].value: invalid label matcher 0: invalid regular expression "((": missing closing )']],
    ['bad negative regex', { matchers: [m('a', '!~', '))')], startsAt: T, endsAt: T }, ['matchers[0].value: invalid label matcher 0: invalid regular expression "))": unexpected )']],
    ['invalid UTF-8 value', { matchers: [m('a', '=', '\ud83d')], startsAt: T, endsAt: T }, ['matchers[0].value: invalid label matcher 0: invalid label value "\\ud83d"']],
    ['unknown type', { matchers: [{ name: 'a', type: '==' as MatchType, value: 'b' }], startsAt: T, endsAt: T }, ['matchers[0].type: invalid label matcher 0: unknown matcher type "=="']],
    ['ends before it starts', { matchers: [m('a', '=', 'b')], startsAt: T, endsAt: T - 1000 }, ['endsAt: end time must not be before start time']],
    ['zero start', { matchers: [m('a', '=', 'b')], startsAt: 0, endsAt: T }, ['startsAt: invalid zero start timestamp']],
    ['zero end', { matchers: [m('a', '=', 'b')], startsAt: T, endsAt: 0 }, ['endsAt: invalid zero end timestamp']],
  ])('%s', (_name, s, expected) => {
    expect(messages(s)).toEqual(expected);
  });

  test.each<[string, Partial<Silence>, string[]]>([
    ['valid', silence(), []],
    ['no author', silence({ createdBy: '' }), ['createdBy: createdBy is required: who is silencing']],
    ['no comment', silence({ comment: '' }), ['comment: comment is required: why']],
    ['no times', silence({ startsAt: undefined, endsAt: undefined }), ['startsAt: startsAt is required', 'endsAt: endsAt is required']],
    ['zero length', silence({ endsAt: T }), ['endsAt: start time must be before end time']],
    ['ends before it starts', silence({ endsAt: T - 1 }), ['endsAt: start time must be before end time']],
    ['ended already', silence({ startsAt: T - 2 * HOUR, endsAt: T - 1 }), ["endsAt: end time can't be in the past"]],
    ['ends right now', silence({ startsAt: T - 2 * HOUR, endsAt: T }), []],
    ['several problems', silence({ createdBy: '', matchers: [m('a', '=~', '.*')] }), [
      'createdBy: createdBy is required: who is silencing',
      'matchers: at least one matcher must not match the empty string',
    ]],
  ])('API: %s', (_name, s, expected) => {
    expect(messages(s, true, T)).toEqual(expected);
  });
});

describe('isMuted', () => {
  const silences = [
    silence({ id: 'b-active', matchers: parseMatchers('agent_id="checkout"') }),
    silence({ id: 'a-active-regex', matchers: parseMatchers('severity=~"P2|P3",agent_id=~"check.*"') }),
    silence({ id: 'pending', startsAt: T + HOUR, endsAt: T + 2 * HOUR }),
    silence({ id: 'expired', startsAt: T - 2 * HOUR, endsAt: T - 1 }),
    silence({ id: 'other', matchers: parseMatchers('agent_id="search"') }),
  ];

  test.each<[Record<string, string>, number, string[]]>([
    [{ agent_id: 'checkout', severity: 'P2' }, T, ['a-active-regex', 'b-active']],
    [{ agent_id: 'checkout', severity: 'P1' }, T, ['b-active']],
    [{ agent_id: 'checkout-eu', severity: 'P3' }, T, ['a-active-regex']],
    [{ agent_id: 'search', severity: 'P1' }, T, ['other']],
    [{ agent_id: 'billing' }, T, []],
    [{ agent_id: 'checkout', severity: 'P1' }, T + HOUR, ['b-active', 'pending']],
    [{ agent_id: 'checkout', severity: 'P1' }, T + HOUR + 1, ['pending']],
    [{ agent_id: 'checkout', severity: 'P1' }, T - 1, ['expired']],
  ])('%j at %d', (labels, now, ids) => {
    expect(isMuted(silences, labels, now)).toEqual(ids);
  });

  test('a silence with a negative matcher mutes alerts without that label', () => {
    const s = silence({ matchers: parseMatchers('team!="payments",agent_id="checkout"') });
    expect(isMuted([s], { agent_id: 'checkout' }, T)).toEqual(['sil-1']);
    expect(isMuted([s], { agent_id: 'checkout', team: 'payments' }, T)).toEqual([]);
  });
});

// silence/silence_test.go TestSilenceExpire: active ends now, pending starts and ends now, expired stays.
describe('expireSilence', () => {
  test('an active silence ends now', () => {
    const now = T + 10 * MIN;
    const e = expireSilence(silence(), now);
    expect(e).toEqual(silence({ endsAt: now, updatedAt: now }));
    expect(silenceState(e, now)).toBe('active');
    expect(silenceState(e, now + 1)).toBe('expired');
    expect(isMuted([e], { agent_id: 'checkout' }, now + 1)).toEqual([]);
  });

  test('a pending silence starts and ends now, so it never muted', () => {
    const now = T - 10 * MIN;
    const e = expireSilence(silence(), now);
    expect(e).toEqual(silence({ startsAt: now, endsAt: now, updatedAt: now }));
    expect(silenceState(e, now + 1)).toBe('expired');
    expect(isMuted([e], { agent_id: 'checkout' }, T)).toEqual([]);
  });

  test('an expired silence is left as it is', () => {
    const s = silence();
    expect(expireSilence(s, T + HOUR + 1)).toBe(s);
  });

  test('expiring does not change the original', () => {
    const s = silence();
    expireSilence(s, T + MIN);
    expect(s).toEqual(silence());
  });
});

describe('canUpdateSilence (Alertmanager canUpdate)', () => {
  const prev = silence({ startsAt: T, endsAt: T + HOUR });
  test.each<[string, number, Partial<Silence>, boolean]>([
    ['active: extend the end', T + MIN, { endsAt: T + 2 * HOUR }, true],
    ['active: shorten the end to now', T + MIN, { endsAt: T + MIN }, true],
    ['active: end in the past', T + MIN, { endsAt: T + MIN - 1 }, false],
    ['active: move the start within the same second', T + MIN, { startsAt: T + 999 }, true],
    ['active: move the start', T + MIN, { startsAt: T + 1000 }, false],
    ['active: change the matchers', T + MIN, { matchers: parseMatchers('agent_id="search"') }, false],
    ['pending: move the start later', T - MIN, { startsAt: T + MIN, endsAt: T + 2 * HOUR }, true],
    ['pending: start now', T - MIN, { startsAt: T - MIN }, true],
    ['pending: start in the past', T - MIN, { startsAt: T - MIN - 1 }, false],
    ['expired: never', T + HOUR + 1, { endsAt: T + 3 * HOUR }, false],
  ])('%s', (_name, now, change, expected) => {
    expect(canUpdateSilence(prev, { ...prev, ...change }, now)).toBe(expected);
  });
});
