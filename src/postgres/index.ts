// What the PostgreSQL store and the cluster coordinator both need from node-postgres.

import type pg from 'pg';

// node-postgres is loaded when PostgreSQL is configured: a replica on SQLite never pays its ~15 MiB of RSS.
let pgLib: typeof pg | undefined;
export const loadPg = async (): Promise<typeof pg> => (pgLib ??= (await import('pg')).default);

export interface CheckedOut {
  client: pg.PoolClient;
  /** Gives the client back; `broken` drops it from the pool. */
  release(broken?: boolean): void;
}

const ignore = (): void => undefined;

/**
 * Checks a client out of `pool` that listens for 'error' until it is released. pg-pool stops
 * listening on a client it hands out, so a connection that breaks between two queries (a database
 * restart) would emit an unhandled 'error' and end the process. The listener goes on in pg-pool's
 * callback, not after an `await`: the TCP chunk that finished connecting may also carry the
 * backend's FATAL, and pg parses it before any promise continuation runs. Ignoring the event is
 * enough: the next query on the client fails, and that failure is handled.
 */
export function checkout(pool: pg.Pool): Promise<CheckedOut> {
  return new Promise((resolve, reject) => {
    pool.connect((err, client, done) => {
      if (err || !client) {
        reject(err ?? new Error('the pool gave no client'));
        return;
      }
      client.on('error', ignore);
      resolve({
        client,
        release: (broken = false) => {
          client.off('error', ignore);
          done(broken);
        },
      });
    });
  });
}
