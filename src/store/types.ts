import type { GroupState } from '../eval/index.js';
import type { IntegrationLogEntry, Labels, NotificationLogEntry, RoutedAlert, Silence } from '../route/index.js';

/** What happened to an alert. pending/firing/resolved are transitions; the rest are what people and guards did. */
export type AlertEventKind = 'pending' | 'firing' | 'resolved' | 'silenced' | 'inhibited' | 'acknowledged' | 'feedback';

/** One entry of the alert history. An alert's firings are told apart by `startsAt` (its episode). */
export interface AlertEvent {
  id?: number;
  at: number;
  fingerprint: string;
  startsAt: number;
  alertname: string;
  severity: string;
  labels: Labels;
  kind: AlertEventKind;
  /** evaluator, api-v2, alertmanager-webhook, router, api, cli, pagerduty, link… */
  source: string;
  /** silencedBy, inhibitedBy, verdict ('actionable' | 'noise'), by (who)… */
  detail?: Record<string, unknown>;
}

/** One delivery to one integration of a receiver, as the notify stage ended it. */
export interface NotificationRecord {
  id?: number;
  at: number;
  receiver: string;
  /** pagerduty, slack, webhook, ticket, grafana… (a page is integration 'pagerduty'). */
  integration: string;
  groupKey: string;
  groupLabels: Labels;
  reason: string;
  firing: string[];
  resolved: string[];
  outcome: 'success' | 'failure' | 'suppressed';
  attempts: number;
  error?: string;
}

export interface HistoryQuery {
  from?: number;
  to?: number;
  fingerprint?: string;
  alertname?: string;
  severity?: string;
  kinds?: AlertEventKind[];
  receiver?: string;
  /** Page size; default 100, at most 1000. */
  limit?: number;
  /** Paging cursor, the id of the last entry of the previous page: only entries after it, newest first by (at, id). */
  before?: number;
}

export interface Page<T> {
  items: T[];
  /** Pass as `before` for the next (older) page; undefined on the last page. */
  next?: number;
}

export type TicketKind = 'local' | 'jira' | 'github';

/** One ticket per aggregation group and ticket integration; re-fires comment on it or reopen it. */
export interface TicketRecord {
  /** vigil's id: `${kind}:${externalId}`. */
  id: string;
  kind: TicketKind;
  receiver: string;
  groupKey: string;
  groupLabels: Labels;
  /** The Jira key (OPS-12), the GitHub issue number, or a local number. */
  externalId: string;
  url?: string;
  title: string;
  severity: string;
  status: 'open' | 'resolved';
  /** Closed as won't fix / not planned: a re-fire opens a new ticket instead of reopening this one. */
  wontFix: boolean;
  createdAt: number;
  updatedAt: number;
  resolvedAt?: number;
  /** When the current firing began (for "fired for 2h 5m" on resolve). */
  firingSince: number;
}

export interface TicketEvent {
  ticketId: string;
  at: number;
  action: 'created' | 'commented' | 'reopened' | 'resolved';
  detail?: string;
}

/** A Grafana annotation region for one group's firing period. */
export interface AnnotationRecord {
  receiver: string;
  /** Position of the grafana_annotation_configs entry in its receiver. */
  index: number;
  groupKey: string;
  annotationId: number;
  startedAt: number;
  endedAt?: number;
}

/** What another replica changed, as the change feed tells it (PostgreSQL's NOTIFY vigil_changes). */
export type StoreChange = 'silences' | 'acks' | 'config';

/**
 * What vigil keeps across restarts: SQLite for one replica, PostgreSQL for several.
 * Reads are async (a database may be across the network); writes return at once and are
 * committed in order soon after (SQLite at the end of the turn, PostgreSQL in batches);
 * `flush()` waits until everything written so far is committed.
 */
export interface Store {
  /** Replaces the group's persisted state in one transaction. */
  saveGroupState(state: GroupState): void;
  loadGroupState(groupKey: string): Promise<GroupState | undefined>;
  /** Inserts or replaces a silence by id (expiring one is an update of its endsAt); tells the other replicas. */
  saveSilence(silence: Silence): void;
  /** Every silence kept, expired ones included until `deleteSilencesEndedBefore` drops them. */
  loadSilences(): Promise<Silence[]>;
  /** Drops silences that ended before `t` (Alertmanager keeps expired ones for its retention). */
  deleteSilencesEndedBefore(t: number): void;
  /** Records what was last notified for a group and receiver (replaces the previous entry, unless that one is newer). */
  saveNotificationLogEntry(entry: NotificationLogEntry): void;
  /** Entries not yet expired at `now`; expired ones are deleted. */
  loadNotificationLog(now: number): Promise<NotificationLogEntry[]>;
  /** Records what one integration of a receiver was last told about a group (key: receiver, group, integration, index). */
  saveIntegrationLogEntry(entry: IntegrationLogEntry): void;
  /** Entries not yet expired at `now`; expired ones are deleted. */
  loadIntegrationLog(now: number): Promise<IntegrationLogEntry[]>;
  /** Upserts alerts a receiver was notified of, with their current endsAt, so that their resolve survives a restart. */
  saveNotifiedAlerts(alerts: readonly RoutedAlert[]): void;
  deleteNotifiedAlerts(fingerprints: readonly string[]): void;
  loadNotifiedAlerts(): Promise<RoutedAlert[]>;

  recordAlertEvent(event: AlertEvent): void;
  /** Many at once, in one transaction; acknowledgements among them are told to the other replicas. */
  recordAlertEvents(events: readonly AlertEvent[]): void;
  queryAlertEvents(query: HistoryQuery): Promise<Page<AlertEvent>>;
  recordNotification(record: NotificationRecord): void;
  /** Many at once, in one transaction. */
  recordNotifications(records: readonly NotificationRecord[]): void;
  queryNotifications(query: HistoryQuery): Promise<Page<NotificationRecord>>;
  /** Drops history (alert events, notifications, ticket events of resolved tickets, ended annotations, old feedback links) older than `t`. */
  deleteHistoryBefore(t: number): void;

  saveTicket(ticket: TicketRecord): void;
  getTicket(id: string): Promise<TicketRecord | undefined>;
  /** The most recently created ticket of a group for one receiver and kind, open or not. */
  latestTicket(receiver: string, kind: TicketKind, groupKey: string): Promise<TicketRecord | undefined>;
  listTickets(query: { status?: 'open' | 'resolved'; limit?: number; before?: string }): Promise<TicketRecord[]>;
  recordTicketEvent(event: TicketEvent): void;
  ticketEvents(ticketId: string): Promise<TicketEvent[]>;
  /** The next local ticket number (1, 2, …), unique across replicas. */
  nextLocalTicketNumber(): Promise<number>;

  saveAnnotation(annotation: AnnotationRecord): void;
  /** The group's annotation still open (no endedAt) for this receiver's config entry. */
  openAnnotation(receiver: string, index: number, groupKey: string): Promise<AnnotationRecord | undefined>;

  /** Small settings vigil generates once and keeps (the feedback-link signing key). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): void;
  /** Keeps `value` unless the setting exists; returns the value kept — the first writer's, across replicas (a generated key). */
  initSetting(key: string, value: string): Promise<string>;

  /** Tells the other replicas that something changed which is not a write of this Store (a config reload). */
  publish(what: StoreChange): void;
  /**
   * Calls `fn` when another replica changed silences, acks or its config (`origin` names that
   * replica); returns the unsubscribe. A store without replicas (SQLite) never calls it.
   */
  subscribe(fn: (what: StoreChange, origin: string) => void): () => void;
  /** Resolves once everything written before the call is committed. */
  flush(): Promise<void>;
  /** Commits what is queued, then closes. */
  close(): Promise<void>;
}

/** The history entry for something that happened to an alert (its episode is the alert's startsAt). */
export function alertEvent(
  alert: { fingerprint: string; startsAt: number; labels: Labels },
  at: number,
  kind: AlertEventKind,
  source: string,
  detail?: Record<string, unknown>,
): AlertEvent {
  return {
    at,
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt,
    alertname: alert.labels.alertname ?? '',
    severity: alert.labels.severity ?? '',
    labels: alert.labels,
    kind,
    source,
    ...(detail ? { detail } : {}),
  };
}

export type { GroupState };
