// Needs PostgreSQL (Debian package postgresql): fails in CI without it, skipped elsewhere.
import pg from 'pg';
import { requirePostgresOrSkip, startPostgres, type PostgresInstance } from './support/postgres.js';

const describePg = requirePostgresOrSkip('postgres harness') ? describe : describe.skip;

describePg('a PostgreSQL cluster of its own', () => {
  let server: PostgresInstance;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.stop());

  it('answers on loopback, survives a restart, and keeps what was committed', async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query('CREATE TABLE t (v int)');
    await client.query('INSERT INTO t VALUES (42)');
    await client.end();
    await server.halt();
    await expect(new pg.Client({ connectionString: server.url }).connect()).rejects.toThrow();
    await server.start();
    const again = new pg.Client({ connectionString: await server.database('vigil') });
    await again.connect();
    expect((await again.query('SELECT v FROM t')).rows).toEqual([{ v: 42 }]);
    await again.end();
  }, 120_000);
});
