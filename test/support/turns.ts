import type { SampleStorage } from '../../src/tsdb/index.js';

/**
 * Wraps a storage to see whether ingestion gives the event loop a turn: a callback queued at the
 * first append of a batch must have run by its commit. `turnTaken()` is undefined until a commit.
 */
export function watchTurns(store: SampleStorage): { storage: SampleStorage; turnTaken: () => boolean | undefined } {
  let taken: boolean | undefined;
  const storage: SampleStorage = {
    select: (m, a, b) => store.select(m, a, b),
    appender() {
      const inner = store.appender();
      let queued = false;
      let ran = false;
      return {
        append(labels, t, v) {
          if (!queued) setImmediate(() => (ran = true));
          queued = true;
          inner.append(labels, t, v);
        },
        markStale: (labels, t) => inner.markStale(labels, t),
        commit: () => {
          taken = ran;
          return inner.commit();
        },
        rollback: () => inner.rollback(),
      };
    },
  };
  return { storage, turnTaken: () => taken };
}
