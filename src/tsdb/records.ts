/**
 * Binary records of the WAL and the snapshot: series (ref → labels) and samples (ref, time, value).
 * Samples share a base time; each carries its ref (u32), its time offset (zigzag varint, one byte
 * when a scrape's samples share a time) and its value's 8 bytes; staleness markers keep their NaN bits.
 */
import { STALE_NAN_HI, STALE_NAN_LO } from './chunkenc.js';
import type { Labels } from './storage.js';

export const REC_SERIES = 1;
export const REC_SAMPLES = 2;

/** A growable byte buffer for building records. */
export class RecordWriter {
  buf: Buffer;
  at = 0;
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.at++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.at = this.buf.writeUInt16BE(v, this.at);
  }
  u32(v: number): void {
    this.ensure(4);
    this.at = this.buf.writeUInt32BE(v, this.at);
  }
  f64(v: number): void {
    this.ensure(8);
    this.at = this.buf.writeDoubleBE(v, this.at);
  }
  varint(v: number): void {
    // zigzag for integers within ±2^52
    let z = v < 0 ? -2 * v - 1 : 2 * v;
    this.ensure(8);
    while (z >= 0x80) {
      this.buf[this.at++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    this.buf[this.at++] = z;
  }
  str(s: string): void {
    const len = Buffer.byteLength(s);
    this.u32(len);
    this.ensure(len);
    this.at += this.buf.write(s, this.at);
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  labels(l: Labels): void {
    const keys = Object.keys(l);
    this.u16(keys.length);
    for (const k of keys) {
      this.str(k);
      this.str(l[k]);
    }
  }
  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

/** A cursor over a record; a read past the end throws (a record that passed its CRC but is malformed). */
export class RecordReader {
  at = 0;
  constructor(readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length - this.at;
  }
  u8(): number {
    return this.buf[this.at++];
  }
  u16(): number {
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  f64(): number {
    const v = this.buf.readDoubleBE(this.at);
    this.at += 8;
    return v;
  }
  varint(): number {
    let z = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.at++];
      if (b === undefined) throw new RangeError('record ends inside a varint');
      z += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
    }
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }
  str(): string {
    const len = this.u32();
    if (this.at + len > this.buf.length) throw new RangeError('record ends inside a string');
    const s = this.buf.toString('utf8', this.at, this.at + len);
    this.at += len;
    return s;
  }
  bytes(): Buffer {
    const len = this.u32();
    if (this.at + len > this.buf.length) throw new RangeError('record ends inside a byte string');
    const b = this.buf.subarray(this.at, this.at + len);
    this.at += len;
    return b;
  }
  labels(): Record<string, string> {
    const n = this.u16();
    const out: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const k = this.str();
      out[k] = this.str();
    }
    return out;
  }
}

export function encodeSeries(series: readonly { ref: number; labels: Labels }[]): Buffer {
  const w = new RecordWriter(64 * series.length + 16);
  w.u8(REC_SERIES);
  w.u32(series.length);
  for (const s of series) {
    w.u32(s.ref);
    w.labels(s.labels);
  }
  return w.done();
}

export function decodeSeries(r: RecordReader, onSeries: (ref: number, labels: Labels) => void): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const ref = r.u32();
    onSeries(ref, r.labels());
  }
}

/** Samples [0, n) of parallel arrays; stale[i] = 1 writes the staleness-marker bits. */
export function encodeSamples(refs: Uint32Array, ts: Float64Array, vs: Float64Array, stale: Uint8Array, n: number): Buffer {
  const w = new RecordWriter(13 + n * 22);
  w.u8(REC_SAMPLES);
  w.u32(n);
  const base = n > 0 ? ts[0] : 0;
  w.f64(base);
  const buf = w.buf;
  let at = w.at;
  for (let i = 0; i < n; i++) {
    at = buf.writeUInt32BE(refs[i], at);
    w.at = at;
    w.varint(ts[i] - base);
    at = w.at;
    if (stale[i] === 1) {
      at = buf.writeUInt32BE(STALE_NAN_HI, at);
      at = buf.writeUInt32BE(STALE_NAN_LO, at);
    } else at = buf.writeDoubleBE(vs[i], at);
  }
  w.at = at;
  return w.done();
}

/** Calls onSample per sample; `stale` is true for a staleness marker (value NaN then). */
export function decodeSamples(r: RecordReader, onSample: (ref: number, t: number, v: number, stale: boolean) => void): void {
  const n = r.u32();
  const base = r.f64();
  const buf = r.buf;
  for (let i = 0; i < n; i++) {
    const ref = r.u32();
    const t = base + r.varint();
    if (r.left < 8) throw new RangeError('record ends inside a sample');
    const stale = buf.readUInt32BE(r.at) === STALE_NAN_HI && buf.readUInt32BE(r.at + 4) === STALE_NAN_LO;
    const v = r.f64();
    onSample(ref, t, stale ? NaN : v, stale);
  }
}
