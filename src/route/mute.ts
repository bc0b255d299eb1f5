/**
 * The mute stage (Alertmanager's inhibit and silence stages in one pass): marks every alert of
 * a group flush that a silence or an inhibition mutes at `now`. Nothing is dropped here: the
 * dedup decision needs to know which firing alerts are muted rather than resolved.
 */
import { InhibitIndex, type InhibitRule } from './inhibit.js';
import type { GroupFlush, GroupStage } from './stage.js';
import type { Labels, RoutedAlert } from './types.js';

/** The silences as the mute stage needs them. */
export interface SilenceMatcher {
  /** Ids of the active silences that mute these labels at `now`. */
  mutes(labels: Labels, now: number): string[];
}

export interface HeldAlerts {
  alerts(): Iterable<RoutedAlert>;
  revision(): number;
}

export class MuteStage implements GroupStage {
  readonly name = 'mute';
  private index: { at: number; revision: number; index: InhibitIndex } | undefined;

  constructor(
    private readonly silences: SilenceMatcher,
    private readonly inhibitRules: readonly InhibitRule[],
    /** Every alert held, the inhibition sources; `revision` changes whenever they do. */
    private readonly held: HeldAlerts,
  ) {}

  run(flush: GroupFlush, now: number): GroupFlush {
    for (const alert of flush.alerts) {
      const silencedBy = this.silences.mutes(alert.labels, now);
      if (silencedBy.length) {
        flush.muted.set(alert.fingerprint, { by: 'silence', silencedBy });
        continue;
      }
      const inhibition = this.inhibitions(now).inhibits(alert.labels);
      if (inhibition) flush.muted.set(alert.fingerprint, { by: 'inhibition', inhibitedBy: inhibition.source.fingerprint, rule: inhibition.rule.name ?? inhibition.ruleIndex });
    }
    return flush;
  }

  /** One index per tick: every group flushed at the same `now` over the same alerts shares it. */
  private inhibitions(now: number): InhibitIndex {
    const revision = this.held.revision();
    if (this.index?.at !== now || this.index.revision !== revision) {
      this.index = { at: now, revision, index: new InhibitIndex(this.inhibitRules, this.held.alerts(), now) };
    }
    return this.index.index;
  }
}
