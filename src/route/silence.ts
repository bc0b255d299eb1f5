// Silences as Alertmanager keeps them (silence/silence.go, api/v2): pure values and rules;
// storage and ids are the caller's.

import { compareStrings, compileMatcherRegex, isValidLabelName, isWellFormed, matchesAll } from './matchers.js';
import type { Labels, Matcher } from './types.js';

export interface Silence {
  id: string;
  matchers: Matcher[];
  /** Unix ms; the silence mutes from this instant... */
  startsAt: number;
  /** ...through this one, inclusive. */
  endsAt: number;
  createdBy: string;
  comment: string;
  updatedAt: number;
}

export type SilenceState = 'pending' | 'active' | 'expired';

/** Alertmanager's getState: pending before startsAt, expired after endsAt, active from one to the other inclusive. */
export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  if (now > s.endsAt) return 'expired';
  return 'active';
}

/** One thing wrong with a silence; `field` names the API field (`matchers[1].value`, `endsAt`). */
export interface SilenceIssue {
  field: string;
  message: string;
}

export interface ValidateSilenceOptions {
  /**
   * Also apply what Alertmanager's API v2 demands of a posted silence: createdBy and comment,
   * startsAt strictly before endsAt, endsAt not in the past (needs `now`).
   */
  api?: boolean;
  now?: number;
}

const MATCH_TYPES = new Set(['=', '!=', '=~', '!~']);

function isZeroTime(t: unknown): boolean {
  return typeof t !== 'number' || !Number.isFinite(t) || t === 0;
}

/** Whether a matcher counts as matching the empty string for the "not all match empty" rule (only = and =~ do). */
function matchesEmpty(m: Matcher): boolean {
  if (m.type === '=') return m.value === '';
  if (m.type === '=~') return compileMatcherRegex(m.value).test('');
  return false;
}

function matcherIssue(m: Matcher, i: number): SilenceIssue | undefined {
  const issue = (field: string, what: string) => ({ field: `matchers[${i}].${field}`, message: `invalid label matcher ${i}: ${what}` });
  if (typeof m?.name !== 'string' || !isValidLabelName(m.name)) return issue('name', `invalid label name ${JSON.stringify(m?.name)}`);
  if (!MATCH_TYPES.has(m.type)) return issue('type', `unknown matcher type ${JSON.stringify(m.type)}`);
  if (typeof m.value !== 'string') return issue('value', `invalid label value ${JSON.stringify(m.value)}`);
  if (m.type === '=' || m.type === '!=') {
    if (!isWellFormed(m.value)) return issue('value', `invalid label value ${JSON.stringify(m.value)}`);
    return undefined;
  }
  try {
    compileMatcherRegex(m.value);
  } catch (err) {
    return issue('value', `invalid regular expression ${JSON.stringify(m.value)}: ${(err as Error).message}`);
  }
  return undefined;
}

/**
 * What is wrong with a silence, in Alertmanager's order and words; empty when it is valid.
 * Without `api`, the rules every stored silence obeys (silence.validateSilence); with it, also
 * those of POST /api/v2/silences.
 */
export function validateSilence(s: Partial<Silence>, opts: ValidateSilenceOptions = {}): SilenceIssue[] {
  const issues: SilenceIssue[] = [];
  const matchers = Array.isArray(s.matchers) ? s.matchers : [];
  let timesChecked = false;

  if (opts.api) {
    if (typeof s.createdBy !== 'string' || s.createdBy === '') issues.push({ field: 'createdBy', message: 'createdBy is required: who is silencing' });
    if (typeof s.comment !== 'string' || s.comment === '') issues.push({ field: 'comment', message: 'comment is required: why' });
    if (isZeroTime(s.startsAt)) issues.push({ field: 'startsAt', message: 'startsAt is required' });
    if (isZeroTime(s.endsAt)) issues.push({ field: 'endsAt', message: 'endsAt is required' });
    if (!isZeroTime(s.startsAt) && !isZeroTime(s.endsAt)) {
      timesChecked = true;
      if (s.startsAt! >= s.endsAt!) issues.push({ field: 'endsAt', message: 'start time must be before end time' });
      else if (opts.now !== undefined && s.endsAt! < opts.now) issues.push({ field: 'endsAt', message: "end time can't be in the past" });
    }
  }

  if (matchers.length === 0) {
    issues.push({ field: 'matchers', message: 'at least one matcher required' });
  } else {
    let bad = false;
    matchers.forEach((m, i) => {
      const issue = matcherIssue(m, i);
      if (issue) {
        issues.push(issue);
        bad = true;
      }
    });
    if (!bad && matchers.every(matchesEmpty)) {
      issues.push({ field: 'matchers', message: 'at least one matcher must not match the empty string' });
    }
  }

  if (!opts.api) {
    if (isZeroTime(s.startsAt)) issues.push({ field: 'startsAt', message: 'invalid zero start timestamp' });
    if (isZeroTime(s.endsAt)) issues.push({ field: 'endsAt', message: 'invalid zero end timestamp' });
  }
  if (!timesChecked && !isZeroTime(s.startsAt) && !isZeroTime(s.endsAt) && s.endsAt! < s.startsAt!) {
    issues.push({ field: 'endsAt', message: 'end time must not be before start time' });
  }
  return issues;
}

/** Whether the silence's matchers all match the label set (whatever its state). */
export function silenceMatches(s: Pick<Silence, 'matchers'>, labels: Labels): boolean {
  return matchesAll(s.matchers, labels);
}

/** The ids of the silences that are active at `now` and match the labels, sorted; empty when not muted. */
export function isMuted(silences: Iterable<Silence>, labels: Labels, now: number): string[] {
  const ids: string[] = [];
  for (const s of silences) {
    if (silenceState(s, now) === 'active' && matchesAll(s.matchers, labels)) ids.push(s.id);
  }
  return ids.sort(compareStrings);
}

/**
 * Alertmanager's expire: an active silence ends now, a pending one starts and ends now (so it is
 * kept as history without ever having muted), an expired one is returned unchanged. As with
 * Alertmanager, the end is inclusive: the result is 'expired' from `now + 1` on.
 */
export function expireSilence(s: Silence, now: number): Silence {
  switch (silenceState(s, now)) {
    case 'expired':
      return s;
    case 'active':
      return { ...s, endsAt: now, updatedAt: now };
    case 'pending':
      return { ...s, startsAt: now, endsAt: now, updatedAt: now };
  }
}

function sameMatchers(a: readonly Matcher[], b: readonly Matcher[]): boolean {
  return a.length === b.length && a.every((m, i) => m.name === b[i].name && m.type === b[i].type && m.value === b[i].value);
}

/**
 * Whether `next` may replace `prev` in place (Alertmanager's canUpdate) rather than expiring
 * `prev` and creating a new silence, so that the history of what was muted when stays true:
 * same matchers; an active silence keeps its start (to the second) and may not end in the past;
 * a pending one may not start in the past; an expired one never changes.
 */
export function canUpdateSilence(prev: Silence, next: Pick<Silence, 'matchers' | 'startsAt' | 'endsAt'>, now: number): boolean {
  if (!sameMatchers(prev.matchers, next.matchers)) return false;
  switch (silenceState(prev, now)) {
    case 'active':
      return Math.floor(next.startsAt / 1000) === Math.floor(prev.startsAt / 1000) && next.endsAt >= now;
    case 'pending':
      return next.startsAt >= now;
    case 'expired':
      return false;
  }
}
