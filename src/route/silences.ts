// The silences registry: Alertmanager's silence store (silence/silence.go Set/Expire/Query/GC)
// over the pure rules of silence.ts, persisted in the Store on every change.

import { randomUUID } from 'node:crypto';
import { matchesValue } from './matchers.js';
import { canUpdateSilence, expireSilence, isMuted, silenceState, validateSilence, type Silence, type SilenceState } from './silence.js';
import type { Labels, Matcher } from './types.js';

/** Alertmanager keeps expired silences this long (--data.retention, 120h) so they can be seen and reused. */
export const DEFAULT_SILENCE_RETENTION_MS = 5 * 24 * 3600_000;

/** A silence as listed, with its state at the time asked. */
export type SilenceWithState = Silence & { state: SilenceState };

/** A silence as posted: without `id` it is new; `updatedAt` is the registry's. */
export type SilenceInput = Omit<Silence, 'id' | 'updatedAt'> & { id?: string };

/** A rejected change; `field` names the API field and `status` the HTTP status an API answers with. */
export class SilenceError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly status: 400 | 404,
  ) {
    super(message);
    this.name = 'SilenceError';
  }
}

/** The store port of the silences: each change is persisted before it takes effect. */
export interface SilenceStore {
  /** Inserts or replaces a silence by id (expiring one is an update of its endsAt). */
  saveSilence(silence: Silence): void;
  loadSilences(): Promise<Silence[]>;
  /** Drops silences that ended before `t`. */
  deleteSilencesEndedBefore(t: number): void;
}

export interface SilencesOptions {
  store?: SilenceStore;
  retentionMs?: number;
  newId?: () => string;
}

export class Silences {
  private readonly byId = new Map<string, Silence>();
  private readonly store: SilencesOptions['store'];
  private readonly retentionMs: number;
  private readonly newId: () => string;
  private _version = 0;
  private readonly muteCache = new WeakMap<Labels, { version: number; from: number; until: number; ids: string[] }>();
  private stateChangeMemo?: { version: number; from: number; until: number };
  private readonly changedDuringReload: Map<string, Silence>[] = [];

  constructor(opts: SilencesOptions = {}) {
    this.store = opts.store;
    this.retentionMs = opts.retentionMs ?? DEFAULT_SILENCE_RETENTION_MS;
    this.newId = opts.newId ?? randomUUID;
  }

  /** A registry with the silences its store keeps. */
  static async open(opts: SilencesOptions = {}): Promise<Silences> {
    const reg = new Silences(opts);
    await reg.reload();
    return reg;
  }

  /** Replaces what is held by what the store keeps (at start, and when another replica changed a silence). */
  async reload(): Promise<void> {
    if (!this.store) return;
    const changedMeanwhile = new Map<string, Silence>();
    this.changedDuringReload.push(changedMeanwhile);
    try {
      const kept = await this.store.loadSilences();
      this.byId.clear();
      for (const s of kept) this.byId.set(s.id, s);
      // a change made here while the store was read may be missing from what it returned
      for (const s of changedMeanwhile.values()) this.byId.set(s.id, s);
      this._version++;
    } finally {
      this.changedDuringReload.splice(this.changedDuringReload.indexOf(changedMeanwhile), 1);
    }
  }

  /** Bumps on every change, so a caller may cache mute answers per (version, state changes over time). */
  get version(): number {
    return this._version;
  }

  /**
   * Every silence kept (expired ones until gc) with its state at `now`, in Alertmanager's order
   * (active by end, pending by start, expired latest first); `filter` as Alertmanager's ?filter=.
   */
  list(now: number, filter: readonly Matcher[] = []): SilenceWithState[] {
    const out: SilenceWithState[] = [];
    for (const s of this.byId.values()) {
      if (filter.length && !filterMatches(filter, s)) continue;
      out.push({ ...s, state: silenceState(s, now) });
    }
    return out.sort(bySilenceOrder);
  }

  get(id: string, now: number = Date.now()): SilenceWithState | undefined {
    const s = this.byId.get(id);
    return s && { ...s, state: silenceState(s, now) };
  }

  /**
   * Creates or updates a silence as POST /api/v2/silences does; returns the id it is kept under.
   * An update that canUpdateSilence allows is made in place; any other expires the old silence and
   * creates a new one (a new id), so the history of what was muted stays true.
   */
  upsert(input: SilenceInput, now: number): string {
    const issues = validateSilence(input, { api: true, now });
    if (issues.length) throw new SilenceError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues[0].field, 400);
    const fields = { matchers: input.matchers.map((m) => ({ name: m.name, type: m.type, value: m.value })), startsAt: input.startsAt, endsAt: input.endsAt, createdBy: input.createdBy, comment: input.comment };
    if (input.id) {
      const prev = this.byId.get(input.id);
      if (!prev) throw new SilenceError(`silence ${input.id} not found`, 'id', 404);
      if (canUpdateSilence(prev, fields, now)) {
        // an active silence keeps its exact start (canUpdate compares to the second)
        const startsAt = silenceState(prev, now) === 'active' ? prev.startsAt : fields.startsAt;
        this.save({ ...prev, ...fields, startsAt, updatedAt: now });
        return prev.id;
      }
      // as Alertmanager: the old one ends (an expired one stays as it was) and a new one takes over
      if (silenceState(prev, now) !== 'expired') this.save(expireSilence(prev, now));
    }
    // as Alertmanager: a new silence never starts in the past
    const created: Silence = { id: this.newId(), ...fields, startsAt: Math.max(fields.startsAt, now), updatedAt: now };
    this.save(created);
    this.gc(now);
    return created.id;
  }

  /** Ends a silence now (a pending one never mutes); unknown → 404, already expired → 400. */
  expire(id: string, now: number): void {
    const s = this.byId.get(id);
    if (!s) throw new SilenceError(`silence ${id} not found`, 'id', 404);
    if (silenceState(s, now) === 'expired') throw new SilenceError(`silence ${id} has already expired`, 'id', 400);
    this.save(expireSilence(s, now));
    this.gc(now);
  }

  /**
   * Ids of the silences active at `now` that mute the label set, sorted; empty when none does.
   * Answers are kept per label set (by identity) until a silence changes or changes state, as
   * Alertmanager's marker keeps them: a tick then re-runs no regex over alerts it already checked.
   */
  mutes(labels: Labels, now: number): string[] {
    if (this.byId.size === 0) return []; // nothing to remember per alert when there is no silence
    const cached = this.muteCache.get(labels);
    if (cached && cached.version === this._version && now >= cached.from && now < cached.until) return [...cached.ids];
    const ids = isMuted(this.byId.values(), labels, now);
    this.muteCache.set(labels, { version: this._version, from: now, until: this.nextStateChange(now), ids });
    return [...ids];
  }

  /** The first time after `now` at which some silence becomes active or expires. */
  private nextStateChange(now: number): number {
    const memo = this.stateChangeMemo;
    if (memo && memo.version === this._version && now >= memo.from && now < memo.until) return memo.until;
    let until = Infinity;
    for (const s of this.byId.values()) {
      if (s.startsAt > now) until = Math.min(until, s.startsAt);
      if (s.endsAt + 1 > now) until = Math.min(until, s.endsAt + 1); // expired from endsAt + 1 on
    }
    this.stateChangeMemo = { version: this._version, from: now, until };
    return until;
  }

  /** Drops silences that ended more than the retention ago; returns how many. */
  gc(now: number): number {
    const before = now - this.retentionMs;
    let dropped = 0;
    for (const [id, s] of this.byId) {
      if (s.endsAt < before) {
        this.byId.delete(id);
        dropped++;
      }
    }
    this.store?.deleteSilencesEndedBefore(before);
    if (dropped) this._version++;
    return dropped;
  }

  // persisted first: a store error leaves memory as it was
  private save(s: Silence): void {
    this.store?.saveSilence(s);
    this.byId.set(s.id, s);
    for (const m of this.changedDuringReload) m.set(s.id, s);
    this._version++;
  }
}

/**
 * Alertmanager's API filter (matchFilterLabels): an = or =~ filter needs the label present, a !=
 * or !~ one does not — unlike routing matchers, where a missing label is the empty string.
 */
export function matchesFilter(filter: readonly Matcher[], labels: Labels): boolean {
  return filter.every((f) => {
    const v = Object.hasOwn(labels, f.name) ? labels[f.name] : undefined;
    if ((f.type === '=' || f.type === '=~') && v === undefined) return false;
    return matchesValue(f, v ?? '');
  });
}

/** A silence filtered as Alertmanager does: its matchers read as a label set, name → value. */
function filterMatches(filter: readonly Matcher[], s: Silence): boolean {
  return matchesFilter(filter, Object.fromEntries(s.matchers.map((m) => [m.name, m.value])));
}

const STATE_ORDER: Record<SilenceState, number> = { active: 0, pending: 1, expired: 2 };

function bySilenceOrder(a: SilenceWithState, b: SilenceWithState): number {
  if (a.state !== b.state) return STATE_ORDER[a.state] - STATE_ORDER[b.state];
  if (a.state === 'active') return a.endsAt - b.endsAt;
  if (a.state === 'pending') return a.startsAt - b.startsAt;
  return b.endsAt - a.endsAt;
}
