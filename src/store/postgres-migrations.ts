/**
 * The PostgreSQL schema, as versioned migrations: append only; each runs once, in order, in the
 * transaction that holds the migration lock. Tables are prefixed `vigil_` so that a database
 * shared with other software (or with vigil's cluster tables, `vigil_cluster_`) stays readable.
 * Times are unix milliseconds (bigint); documents are JSON text, kept byte for byte (a feedback
 * link's MAC is over its exact entry, which jsonb would reorder).
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE vigil_group_state (
     group_key text PRIMARY KEY,
     last_evaluation bigint NOT NULL
   );
   CREATE TABLE vigil_alert_state (
     group_key text NOT NULL,
     rule text NOT NULL,
     fingerprint text NOT NULL,
     alert text NOT NULL,
     PRIMARY KEY (group_key, rule, fingerprint)
   );
   CREATE TABLE vigil_silence (
     id text PRIMARY KEY,
     ends_at bigint NOT NULL,
     silence text NOT NULL
   );
   CREATE TABLE vigil_notification_log (
     receiver text NOT NULL,
     group_key text NOT NULL,
     at bigint NOT NULL,
     expires_at bigint NOT NULL,
     entry text NOT NULL,
     PRIMARY KEY (receiver, group_key)
   );
   CREATE TABLE vigil_integration_log (
     receiver text NOT NULL,
     group_key text NOT NULL,
     integration text NOT NULL,
     idx integer NOT NULL,
     at bigint NOT NULL,
     expires_at bigint NOT NULL,
     entry text NOT NULL,
     PRIMARY KEY (receiver, group_key, integration, idx)
   );
   CREATE TABLE vigil_notified_alert (
     fingerprint text PRIMARY KEY,
     alert text NOT NULL
   );
   CREATE TABLE vigil_alert_event (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at bigint NOT NULL,
     fingerprint text NOT NULL,
     starts_at bigint NOT NULL,
     alertname text NOT NULL,
     severity text NOT NULL,
     kind text NOT NULL,
     source text NOT NULL,
     labels text NOT NULL,
     detail text
   );
   CREATE INDEX vigil_alert_event_at ON vigil_alert_event (at, id);
   CREATE INDEX vigil_alert_event_fingerprint ON vigil_alert_event (fingerprint, at);
   CREATE TABLE vigil_notification (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at bigint NOT NULL,
     receiver text NOT NULL,
     integration text NOT NULL,
     group_key text NOT NULL,
     outcome text NOT NULL,
     record text NOT NULL
   );
   CREATE INDEX vigil_notification_at ON vigil_notification (at, id);
   CREATE TABLE vigil_ticket (
     id text PRIMARY KEY,
     seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
     kind text NOT NULL,
     receiver text NOT NULL,
     group_key text NOT NULL,
     status text NOT NULL,
     created_at bigint NOT NULL,
     ticket text NOT NULL
   );
   CREATE INDEX vigil_ticket_group ON vigil_ticket (receiver, kind, group_key, created_at);
   CREATE TABLE vigil_ticket_event (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     ticket_id text NOT NULL,
     at bigint NOT NULL,
     action text NOT NULL,
     detail text
   );
   CREATE INDEX vigil_ticket_event_ticket ON vigil_ticket_event (ticket_id, id);
   CREATE TABLE vigil_annotation (
     receiver text NOT NULL,
     idx integer NOT NULL,
     group_key text NOT NULL,
     annotation_id bigint NOT NULL,
     started_at bigint NOT NULL,
     ended_at bigint,
     PRIMARY KEY (receiver, idx, group_key, annotation_id)
   );
   CREATE TABLE vigil_setting (key text PRIMARY KEY, value text NOT NULL);`,
];
