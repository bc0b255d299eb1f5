/** Which live replica should evaluate a group: rendezvous hashing, so a replica joining or leaving moves only its share. */
import { createHash } from 'node:crypto';

function score(replica: string, groupKey: string): bigint {
  return createHash('sha256').update(replica).update('\u0000').update(groupKey).digest().readBigUInt64BE(0);
}

/** The preferred owner of `groupKey` among `replicas` (undefined when there is none). */
export function preferredReplica(groupKey: string, replicas: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const r of replicas) {
    const s = score(r, groupKey);
    if (s > bestScore || (s === bestScore && best !== undefined && r < best)) {
      best = r;
      bestScore = s;
    }
  }
  return best;
}
