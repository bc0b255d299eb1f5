export type {
  Store,
  StoreChange,
  GroupState,
  AlertEvent,
  AlertEventKind,
  AnnotationRecord,
  HistoryQuery,
  NotificationRecord,
  Page,
  TicketEvent,
  TicketKind,
  TicketRecord,
} from './types.js';
export { alertEvent } from './types.js';
export { SqliteStore } from './sqlite.js';
export { PostgresStore, type PostgresStoreOptions, type WriteQueueStats } from './postgres.js';
