/**
 * The write-ahead log: numbered segment files of records, each framed as
 * [u32 length][u32 CRC32 of the payload][payload] (big-endian), so a torn or corrupt tail is found
 * and cut at the last good record at start.
 */
import { closeSync, fdatasync, fsyncSync, openSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export interface TSDBLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

const FRAME_HEADER = 8;
/** A frame longer than this is garbage, not a record. */
const MAX_RECORD = 1 << 30;

export const segmentName = (n: number): string => String(n).padStart(8, '0');

/** Segment numbers in `dir`, ascending. */
export function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^\d{8}$/.test(f))
    .map(Number)
    .sort((a, b) => a - b);
}

/** A frame around a payload. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** The payloads of a buffer of frames, and where the good part ends (a bad frame stops the read). */
export function unframe(buf: Buffer): { payloads: Buffer[]; goodBytes: number } {
  const payloads: Buffer[] = [];
  let at = 0;
  while (at + FRAME_HEADER <= buf.length) {
    const len = buf.readUInt32BE(at);
    if (len === 0 || len > MAX_RECORD || at + FRAME_HEADER + len > buf.length) break;
    const payload = buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + len);
    if (crc32(payload) !== buf.readUInt32BE(at + 4)) break;
    payloads.push(payload);
    at += FRAME_HEADER + len;
  }
  return { payloads, goodBytes: at };
}

export interface WalReadReport {
  records: number;
  /** Bytes cut off a torn or corrupt segment (and the segments after it). */
  droppedBytes: number;
  /** 1 when a repair was made. */
  corruptions: number;
}

/**
 * Reads every record of segments ≥ `from` in order. The first bad frame ends the log: its segment
 * is truncated there and later segments are deleted (they cannot be replayed in order), with one
 * log line; start-up then goes on with what was good.
 */
export function replayWal(dir: string, from: number, onRecord: (payload: Buffer) => void, logger: TSDBLogger): WalReadReport {
  const report: WalReadReport = { records: 0, droppedBytes: 0, corruptions: 0 };
  const segments = listSegments(dir).filter((n) => n >= from);
  for (let i = 0; i < segments.length; i++) {
    const path = join(dir, segmentName(segments[i]));
    const buf = readFileSync(path);
    const { payloads, goodBytes } = unframe(buf);
    for (const p of payloads) {
      onRecord(p);
      report.records++;
    }
    if (goodBytes === buf.length) continue;
    let dropped = buf.length - goodBytes;
    truncateSync(path, goodBytes);
    const later = segments.slice(i + 1);
    for (const n of later) {
      const p = join(dir, segmentName(n));
      dropped += statSync(p).size;
      unlinkSync(p);
    }
    report.droppedBytes = dropped;
    report.corruptions = 1;
    const tail = later.length ? ` and ${later.length} later segment(s)` : '';
    logger.warn(`tsdb: WAL segment ${segmentName(segments[i])} is torn or corrupt at byte ${goodBytes}: dropped ${dropped} bytes${tail}, kept ${report.records} records`);
    break;
  }
  return report;
}

/**
 * Appends records to the newest segment. write() reaches the OS before commit returns, so a
 * killed process loses nothing committed; fdatasync runs on a timer (at most every syncIntervalMs)
 * so that a machine crash loses at most that much, without a disk flush on every scrape.
 */
export class WalWriter {
  private fd: number;
  private segment: number;
  private segmentSize = 0;
  private unsynced = false;
  private syncing = false;
  private timer: NodeJS.Timeout | undefined;
  /** Bytes written since the last cut (the checkpoint trigger reads it). */
  bytesSinceCut = 0;

  constructor(
    private readonly dir: string,
    segment: number,
    private readonly segmentBytes: number,
    syncIntervalMs: number,
  ) {
    this.segment = segment;
    this.fd = openSync(join(dir, segmentName(segment)), 'a');
    if (syncIntervalMs > 0) {
      this.timer = setInterval(() => this.syncSoon(), syncIntervalMs);
      this.timer.unref();
    }
  }

  get currentSegment(): number {
    return this.segment;
  }

  /** Writes framed records in one system call. */
  write(records: Buffer[]): void {
    const buf = records.length === 1 ? records[0] : Buffer.concat(records);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.segmentSize += buf.length;
    this.bytesSinceCut += buf.length;
    this.unsynced = true;
    if (this.segmentSize >= this.segmentBytes) this.next();
  }

  /** Starts a new segment; returns its number (records before it are in lower segments). */
  cut(): number {
    this.next();
    this.bytesSinceCut = 0;
    return this.segment;
  }

  private next(): void {
    const old = this.fd;
    fsyncSync(old);
    closeSync(old);
    this.segment++;
    this.fd = openSync(join(this.dir, segmentName(this.segment)), 'a');
    this.segmentSize = 0;
    this.unsynced = false;
  }

  private syncSoon(): void {
    if (!this.unsynced || this.syncing) return;
    this.unsynced = false;
    this.syncing = true;
    const fd = this.fd;
    fdatasync(fd, () => (this.syncing = false)); // an fd closed by a cut meanwhile was fsynced there
  }

  /** Deletes segments below n (their records are in a checkpoint). */
  removeBefore(n: number): void {
    for (const s of listSegments(this.dir)) if (s < n) unlinkSync(join(this.dir, segmentName(s)));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}
