/**
 * The query worker's thread: it runs the engine on queries the main thread hands it. Its
 * storage is the main thread's: each `select` is asked over a MessagePort and waited for with
 * Atomics.wait, so the engine stays synchronous here while the main thread's event loop only
 * ever spends the time of a select.
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { instantQuery, rangeQuery } from './index.js';
import type { Queryable, SeriesData, SeriesMatcher } from './storage.js';
import type { WorkerReply, WorkerRequest, SelectReply } from './query-protocol.js';

if (!parentPort) throw new Error('query-worker.js runs as a worker thread (QueryPool starts it)');
const parent = parentPort;

/** The main thread's storage, asked synchronously. */
function remoteStorage(port: MessagePort, signal: Int32Array): Queryable {
  return {
    select(matchers: readonly SeriesMatcher[], mint: number, maxt: number): SeriesData[] {
      Atomics.store(signal, 0, 0);
      port.postMessage({ matchers, mint, maxt });
      // The main thread posts the answer, then sets the flag and notifies.
      while (Atomics.load(signal, 0) === 0) Atomics.wait(signal, 0, 0, 1000);
      const reply = receiveMessageOnPort(port)?.message as SelectReply | undefined;
      if (!reply) throw new Error('the query worker lost its storage channel');
      if ('error' in reply) throw new Error(reply.error);
      return reply.series;
    },
  };
}

let storage: Queryable | undefined;

parent.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'init') {
    storage = remoteStorage(msg.port, new Int32Array(msg.signal));
    return;
  }
  let reply: WorkerReply;
  try {
    if (!storage) throw new Error('the query worker has no storage');
    const result = msg.kind === 'instant'
      ? instantQuery(storage, msg.expr, msg.timeMs, msg.opts)
      : rangeQuery(storage, msg.expr, msg.startMs, msg.endMs, msg.stepMs, msg.opts);
    reply = { id: msg.id, result };
  } catch (err) {
    const e = err as Error & { kind?: string };
    reply = { id: msg.id, error: { name: e.name, message: e.message, ...(e.kind ? { kind: e.kind } : {}) } };
  }
  parent.postMessage(reply);
});
