/**
 * What a checkpoint writes: chunk files (the chunks closed since the previous checkpoint) and the
 * head snapshot (series, open chunks, the chunk files that are live, the first WAL segment to
 * replay). Each file is one CRC-checked frame, written to a temporary name, fsynced and renamed.
 */
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RecordReader, RecordWriter } from './records.js';
import type { Labels } from './storage.js';
import { frame, unframe } from './wal.js';

const SNAPSHOT_VERSION = 1;
const CHUNKS_VERSION = 1;

export interface ChunkFileRef {
  seq: number;
  /** The newest sample in the file: retention deletes the file once this is past. */
  maxT: number;
}

export interface Snapshot {
  walStart: number;
  chunkFiles: ChunkFileRef[];
  nextRef: number;
  /** hasStale: the series holds a staleness marker somewhere (select then returns `stale`). */
  series: { ref: number; labels: Labels; hasStale: boolean; open: Uint8Array }[];
}

export interface ChunkEntry {
  ref: number;
  minT: number;
  maxT: number;
  bytes: Uint8Array;
}

export const chunkFileName = (seq: number): string => String(seq).padStart(8, '0');

export function encodeSnapshot(s: Snapshot): Buffer {
  const w = new RecordWriter(1 << 16);
  w.u8(SNAPSHOT_VERSION);
  w.u32(s.walStart);
  w.u32(s.chunkFiles.length);
  for (const c of s.chunkFiles) {
    w.u32(c.seq);
    w.f64(c.maxT);
  }
  w.u32(s.nextRef);
  w.u32(s.series.length);
  for (const x of s.series) {
    w.u32(x.ref);
    w.labels(x.labels);
    w.u8(x.hasStale ? 1 : 0);
    w.bytes(x.open);
  }
  return frame(w.done());
}

/** The snapshot in buf, or a reason it cannot be read. */
export function decodeSnapshot(buf: Buffer): Snapshot | string {
  const { payloads } = unframe(buf);
  if (payloads.length !== 1) return 'its checksum does not match';
  const r = new RecordReader(payloads[0]);
  if (r.u8() !== SNAPSHOT_VERSION) return 'unknown version';
  const walStart = r.u32();
  const chunkFiles: ChunkFileRef[] = [];
  for (let n = r.u32(); n > 0; n--) chunkFiles.push({ seq: r.u32(), maxT: r.f64() });
  const nextRef = r.u32();
  const series: Snapshot['series'] = [];
  for (let n = r.u32(); n > 0; n--) {
    const ref = r.u32();
    const labels = r.labels();
    const hasStale = r.u8() === 1;
    series.push({ ref, labels, hasStale, open: r.bytes() });
  }
  return { walStart, chunkFiles, nextRef, series };
}

export function encodeChunkFile(entries: readonly ChunkEntry[]): Buffer {
  let size = 16;
  for (const e of entries) size += 24 + e.bytes.length;
  const w = new RecordWriter(size);
  w.u8(CHUNKS_VERSION);
  w.u32(entries.length);
  for (const e of entries) {
    w.u32(e.ref);
    w.f64(e.minT);
    w.f64(e.maxT);
    w.bytes(e.bytes);
  }
  return frame(w.done());
}

/** Calls onChunk for each chunk; returns a reason when the file cannot be read. */
export function decodeChunkFile(buf: Buffer, onChunk: (e: ChunkEntry) => void): string | undefined {
  const { payloads } = unframe(buf);
  if (payloads.length !== 1) return 'its checksum does not match';
  const r = new RecordReader(payloads[0]);
  if (r.u8() !== CHUNKS_VERSION) return 'unknown version';
  for (let n = r.u32(); n > 0; n--) onChunk({ ref: r.u32(), minT: r.f64(), maxT: r.f64(), bytes: r.bytes() });
  return undefined;
}

/** Writes path whole or not at all: a temporary file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const f = await open(tmp, 'w');
  try {
    await f.writeFile(data);
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
  const d = await open(dirname(path), 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
