/** The cluster's own tables (prefix vigil_cluster_), versioned apart from the Store's. */
export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE vigil_cluster_members (
  replica text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE TABLE vigil_cluster_leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE vigil_cluster_claims (
  receiver text NOT NULL,
  integration text NOT NULL,
  idx integer NOT NULL,
  group_key text NOT NULL,
  hash text NOT NULL,
  holder text NOT NULL,
  -- one claim of many by the same holder: a late release of an earlier one never ends a newer one
  token text NOT NULL,
  state text NOT NULL CHECK (state IN ('inflight', 'sent')),
  expires_at timestamptz,
  sent_at timestamptz,
  entry jsonb,
  PRIMARY KEY (receiver, integration, idx, group_key)
);`,
  },
];
