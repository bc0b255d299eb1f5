/**
 * Runs queries on a worker thread so that a heavy one (a dashboard's histogram_quantile over
 * 14,000 series held the loop 1.2–2.4 s) never stalls the event loop: ingestion, /healthz and
 * rule evaluation go on while it computes. The worker reads this thread's storage one select
 * at a time (see query-worker.ts); selects are the only work left here.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { PromQLError, type EngineOptions, type QueryResult } from './engine/index.js';
import type { SelectReply, SelectRequest, WorkerReply, WorkerRequest } from './query-protocol.js';
import type { Queryable } from './storage.js';

export interface QueryPoolOptions {
  /** Queries waiting for the worker beyond this many are refused (Prometheus' --query.max-concurrency queues 20). */
  maxQueued?: number;
  /** A worker still busy this long after its query's own timeout is stopped and replaced. */
  graceMs?: number;
}

type Job = { request: WorkerRequest & { type: 'query' }; resolve: (r: QueryResult) => void; reject: (e: Error) => void; timeoutMs: number };

/** The worker's compiled file: beside this one in dist/; from src/ (tests through ts-jest) the built one in dist/. */
function workerFile(): URL {
  const here = new URL('./query-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(here.href.replace(/\/src\/promql\/query-worker\.js$/, '/dist/promql/query-worker.js'));
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`the query worker ${fileURLToPath(here)} is missing: run npm run build`);
}

export class QueryPool {
  private worker?: Worker;
  private busy?: Job & { timer?: NodeJS.Timeout };
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly storage: () => Queryable,
    private readonly options: QueryPoolOptions = {},
  ) {}

  /** Like instantQuery, off the event loop. */
  instant(expr: string, timeMs: number, opts: EngineOptions = {}): Promise<QueryResult> {
    return this.submit({ type: 'query', id: this.nextId++, kind: 'instant', expr, timeMs, opts });
  }

  /** Like rangeQuery, off the event loop. */
  range(expr: string, startMs: number, endMs: number, stepMs: number, opts: EngineOptions = {}): Promise<QueryResult> {
    return this.submit({ type: 'query', id: this.nextId++, kind: 'range', expr, startMs, endMs, stepMs, opts });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new PromQLError('the query engine is shutting down', 'execution'));
    this.busy?.reject(new PromQLError('the query engine is shutting down', 'execution'));
    this.busy = undefined;
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private submit(request: Job['request']): Promise<QueryResult> {
    if (this.closed) return Promise.reject(new PromQLError('the query engine is shutting down', 'execution'));
    if (this.queue.length >= (this.options.maxQueued ?? 20)) {
      return Promise.reject(new PromQLError(`too many queries waiting (${this.queue.length}); try again later`, 'execution'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject, timeoutMs: request.opts?.timeoutMs ?? 120_000 });
      this.next();
    });
  }

  private next(): void {
    if (this.busy || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    const worker = this.worker ?? this.start();
    // A query past its timeout plus the grace is stuck in one operator: replace the worker.
    const timer = setTimeout(() => this.fail(new PromQLError(`query timed out in the query worker after ${job.timeoutMs} ms`, 'timeout')), job.timeoutMs + (this.options.graceMs ?? 5_000));
    timer.unref();
    this.busy = { ...job, timer };
    worker.postMessage(job.request);
  }

  /** Ends the running query with an error and replaces the worker. */
  private fail(err: Error): void {
    const job = this.busy;
    this.busy = undefined;
    if (job?.timer) clearTimeout(job.timer);
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    job?.reject(err);
    this.next();
  }

  private start(): Worker {
    const worker = new Worker(workerFile());
    worker.unref();
    const channel = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const flag = new Int32Array(signal);
    channel.port1.on('message', (req: SelectRequest) => {
      let reply: SelectReply;
      try {
        // Copied, not transferred: the storage may keep what it returns (a decoded-chunk cache).
        reply = { series: this.storage().select(req.matchers, req.mint, req.maxt) };
      } catch (err) {
        reply = { error: (err as Error).message };
      }
      channel.port1.postMessage(reply);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
    channel.port1.unref();
    worker.on('message', (reply: WorkerReply) => {
      const job = this.busy;
      if (!job || job.request.id !== reply.id) return;
      this.busy = undefined;
      if (job.timer) clearTimeout(job.timer);
      if ('result' in reply) job.resolve(reply.result);
      else {
        const { name, message, kind } = reply.error;
        job.reject(name === 'PromQLError' ? new PromQLError(message, kind as PromQLError['kind']) : new Error(message));
      }
      this.next();
    });
    worker.on('error', (err) => {
      if (this.worker === worker) this.fail(new PromQLError(`the query worker failed: ${err.message}`, 'execution'));
    });
    worker.on('exit', () => {
      channel.port1.close();
      if (this.worker === worker) this.fail(new PromQLError('the query worker exited', 'execution'));
    });
    const init: WorkerRequest = { type: 'init', port: channel.port2, signal };
    worker.postMessage(init, [channel.port2]);
    this.worker = worker;
    return worker;
  }
}
