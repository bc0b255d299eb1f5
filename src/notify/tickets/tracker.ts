/** What the ticket lifecycle asks of a tracker (Jira, GitHub, or vigil's Store alone). */
import type { Block } from './content.js';

export interface NewTicket {
  title: string;
  body: Block[];
  severity: string;
  groupKey: string;
}

export interface RemoteTicket {
  externalId: string;
  url?: string;
}

/** The tracker's view of a ticket, checked before reopening: someone may have reopened it or closed it as won't-fix. */
export interface RemoteState {
  open: boolean;
  wontFix: boolean;
}

export interface Tracker {
  create(t: NewTicket, signal: AbortSignal): Promise<RemoteTicket>;
  comment(externalId: string, body: Block[], signal: AbortSignal): Promise<void>;
  resolve(externalId: string, signal: AbortSignal): Promise<void>;
  reopen(externalId: string, signal: AbortSignal): Promise<void>;
  state(externalId: string, signal: AbortSignal): Promise<RemoteState>;
  /** The group's open ticket found in the tracker itself, for when the Store has no record (a lost database). */
  findOpen?(groupKey: string, signal: AbortSignal): Promise<(RemoteTicket & { title?: string }) | undefined>;
}
