// The messages between QueryPool (main thread) and query-worker.ts.
import type { MessagePort } from 'node:worker_threads';
import type { EngineOptions, QueryResult } from './engine/index.js';
import type { SeriesData, SeriesMatcher } from './storage.js';

export type WorkerRequest =
  | { type: 'init'; port: MessagePort; signal: SharedArrayBuffer }
  | { type: 'query'; id: number; kind: 'instant'; expr: string; timeMs: number; opts?: EngineOptions }
  | { type: 'query'; id: number; kind: 'range'; expr: string; startMs: number; endMs: number; stepMs: number; opts?: EngineOptions };

export type WorkerReply = { id: number; result: QueryResult } | { id: number; error: { name: string; message: string; kind?: string } };

export interface SelectRequest {
  matchers: SeriesMatcher[];
  mint: number;
  maxt: number;
}
export type SelectReply = { series: SeriesData[] } | { error: string };
