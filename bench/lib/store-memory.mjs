#!/usr/bin/env node
/**
 * Memory of the in-memory store holding one OpenMetrics file, measured in a fresh process (so
 * that no garbage of the bench counts): `node --expose-gc bench/lib/store-memory.mjs FILE`
 * prints one JSON line: series, samples, sampleBytes, heldBytes (heap + array buffers after GC).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_DIR } from './stats.mjs';

const { MemoryStore, loadOpenMetricsFile } = await import(pathToFileURL(join(REPO_DIR, 'dist', 'tsdb', 'index.js')).href);
const held = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const before = held();
const store = new MemoryStore();
await loadOpenMetricsFile(store, process.argv[2]);
store.select([{ type: '=', name: '__name__', value: 'nothing' }], 0, 0); // the label order, built once
const heldBytes = held() - before;
console.log(JSON.stringify({ ...store.stats(), heldBytes }));
