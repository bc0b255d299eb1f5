/**
 * Gorilla-style chunk encoding (Prometheus' XOR chunk, in vigil's own byte layout): delta-of-delta
 * timestamps and XOR'd float64 values in a bit stream over a Uint8Array.
 *
 * Layout: bytes 0–1 hold the sample count (big-endian), byte 2 the value encoding; bits follow.
 *   sample 0: timestamp as float64 bits (64), value bits (64)
 *   sample n: timestamp delta-of-delta ('0' | '10'+14 | '110'+17 | '1110'+20 | '1111'+float64 bits),
 *     then the value:
 *     XOR:     XOR with the previous ('0' same | '10' bits in the previous window |
 *              '11' + 5 bits leading zeros + 6 bits length + the meaningful bits)
 *     INT_DOD: delta-of-delta of integer values ('0' | '10'+7 | '110'+14 | '1110'+24 | '1111'+float64 bits);
 *              a chunk whose first value is an integer takes this mode, and the caller cuts a new chunk
 *              when a value does not fit (fits()). Counters cost ~1.2 B a sample here against ~2.5 with XOR.
 * 64-bit words are handled as two 32-bit halves: no BigInt and no object per sample.
 */

/** Prometheus' staleness marker: a NaN with this exact bit pattern (value.StaleNaN). */
export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian on every platform Node runs on: [lo, hi]

/** Prometheus' staleness-marker NaN as a JS number (typed-array writes keep its payload). */
export const STALE_NAN: number = (() => {
  u32[0] = STALE_NAN_LO;
  u32[1] = STALE_NAN_HI;
  return f64[0];
})();

/** True when v carries the staleness-marker bit pattern (e.g. from remote write); a CPU may have set the quiet bit on the way. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  f64[0] = v;
  return u32[0] === STALE_NAN_LO && (u32[1] & 0x7ff7ffff) === STALE_NAN_HI;
}

export const CHUNK_HEADER_BYTES = 3;
export const ENC_XOR = 1;
export const ENC_INT_DOD = 2;
/** Integers this small keep every delta-of-delta exact in a float64. */
const INT_LIMIT = 2 ** 50;

const isSmallInt = (v: number): boolean => Number.isInteger(v) && v < INT_LIMIT && v > -INT_LIMIT && !Object.is(v, -0);

const ctz32 = (x: number): number => 31 - Math.clz32(x & -x);

/** dod fits the n-bit bucket as Prometheus' bitRange has it: [-(2^(n-1)-1), 2^(n-1)]. */
const inBucket = (x: number, nbits: number): boolean => x >= -((1 << (nbits - 1)) - 1) && x <= 1 << (nbits - 1);

const SLAB_PAGE = 1 << 18;
/** Slot sizes by class, growing by half: an open chunk wastes a fifth of its slot on average, not a third. */
const SLOT_SIZES = [32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096];

/**
 * Slots for open chunks, cut from shared pages by size class: a typed array costs V8 ~200 bytes
 * of bookkeeping, more than a whole chunk, so series must not each own one. Free slots are zero.
 */
export class SlotPool {
  private pages: Uint8Array[][] = [];
  private next: number[] = [];
  private free: number[][] = [];
  heldBytes = 0;

  /** A slot of SLOT_SIZES[cls] bytes: its handle (page × SLAB_PAGE + offset). */
  alloc(cls: number): number {
    const free = (this.free[cls] ??= []);
    if (free.length) return free.pop()!;
    const size = SLOT_SIZES[cls];
    const pages = (this.pages[cls] ??= []);
    if (!pages.length || this.next[cls] + size > SLAB_PAGE) {
      pages.push(new Uint8Array(SLAB_PAGE));
      this.heldBytes += SLAB_PAGE;
      this.next[cls] = 0;
    }
    const handle = (pages.length - 1) * SLAB_PAGE + this.next[cls];
    this.next[cls] += size;
    return handle;
  }

  page(cls: number, handle: number): Uint8Array {
    return this.pages[cls][Math.floor(handle / SLAB_PAGE)];
  }

  release(cls: number, handle: number): void {
    const off = handle % SLAB_PAGE;
    this.page(cls, handle).fill(0, off, off + SLOT_SIZES[cls]);
    this.free[cls].push(handle);
  }
}

const defaultPool = new SlotPool();
const EMPTY = new Uint8Array(0);

/** The open chunk of one series: its bytes (a slot of a shared page) and the encoder's state. */
export class ChunkEncoder {
  /** The page holding this chunk's slot; the chunk starts at `off`. */
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Slot size in bytes (0: no slot yet), its size class and handle. */
  cap = 0;
  private cls = 0;
  private handle = 0;
  /** Bits written, header included. */
  bitPos = CHUNK_HEADER_BYTES * 8;
  count = 0;
  minT = 0;
  /** The last appended time; kept across reset() (the series' newest sample). */
  maxT = -Infinity;
  /** ENC_XOR or ENC_INT_DOD, chosen by the chunk's first value. */
  encoding = ENC_XOR;
  /** The next chunk takes XOR whatever its first value: set when a value did not fit an integer chunk, so a gauge that mixes integers and fractions does not cut a chunk at every change. */
  preferXor = false;
  private tDelta = 0;
  private v = 0;
  private vDelta = 0;
  private vHi = 0;
  private vLo = 0;
  /** Leading/trailing zeros of the last XOR window; leading 0xff means none yet. */
  private leading = 0xff;
  private trailing = 0;

  constructor(private readonly pool: SlotPool = defaultPool) {}

  get byteLength(): number {
    return (this.bitPos + 7) >>> 3;
  }

  /** The last value's bits equal these (a same-timestamp append with the same value is a no-op). */
  sameLastValue(v: number, stale: boolean): boolean {
    if (stale) return this.vHi === STALE_NAN_HI && this.vLo === STALE_NAN_LO;
    f64[0] = v;
    return this.vHi === (u32[1] | 0) && this.vLo === (u32[0] | 0);
  }

  /** Starts an empty chunk, keeping the buffer's capacity. */
  reset(): void {
    this.buf.fill(0, this.off, this.off + this.byteLength);
    this.bitPos = CHUNK_HEADER_BYTES * 8;
    this.count = 0;
    this.tDelta = 0;
    this.vDelta = 0;
    this.leading = 0xff;
    this.trailing = 0;
  }

  /** Whether v can go into this chunk (an integer chunk takes only small integers). */
  fits(v: number, stale = false): boolean {
    return this.count === 0 || this.encoding === ENC_XOR || (!stale && isSmallInt(v));
  }

  /** Appends a sample; t must exceed maxT and v must fit (the caller checks both). */
  append(t: number, v: number): void {
    f64[0] = v;
    this.appendBits(t, v, u32[1] | 0, u32[0] | 0);
  }

  /** Appends a staleness marker by its bit pattern (a NaN passed around as a number may lose its payload). */
  appendStale(t: number): void {
    this.appendBits(t, NaN, STALE_NAN_HI, STALE_NAN_LO);
  }

  /** The last value, for the duplicate check, when the chunk was rebuilt without its predecessor (after a restart). */
  setLast(t: number, v: number, stale: boolean): void {
    f64[0] = v;
    this.maxT = t;
    this.vHi = stale ? STALE_NAN_HI : u32[1] | 0;
    this.vLo = stale ? STALE_NAN_LO : u32[0] | 0;
  }

  private appendBits(t: number, v: number, hi: number, lo: number): void {
    // Worst case per sample: 4+64 bits of time, 2+5+6+64 of value.
    while (this.bitPos + 160 > this.cap * 8) this.grow();
    if (this.count === 0) {
      f64[0] = t;
      this.writeBits(u32[1], 32);
      this.writeBits(u32[0], 32);
      this.writeBits(hi, 32);
      this.writeBits(lo, 32);
      this.minT = t;
      this.encoding = !this.preferXor && isSmallInt(v) ? ENC_INT_DOD : ENC_XOR;
      this.buf[this.off + 2] = this.encoding;
    } else {
      const delta = t - this.maxT;
      this.writeDod(delta - this.tDelta);
      this.tDelta = delta;
      if (this.encoding === ENC_XOR) this.writeXor(hi ^ this.vHi, lo ^ this.vLo);
      else {
        const vDelta = v - this.v;
        this.writeValueDod(vDelta - this.vDelta);
        this.vDelta = vDelta;
      }
    }
    this.v = v;
    this.maxT = t;
    this.vHi = hi;
    this.vLo = lo;
    this.count++;
    this.buf[this.off] = this.count >>> 8;
    this.buf[this.off + 1] = this.count & 0xff;
  }

  /** A trimmed copy of the chunk's bytes. */
  bytes(): Uint8Array {
    return this.buf.slice(this.off, this.off + this.byteLength);
  }

  /** The chunk's bytes in place (valid until the next append). */
  view(): Uint8Array {
    return this.buf.subarray(this.off, this.off + this.byteLength);
  }

  /** Moves to the next slot size (the first is 32 bytes). */
  private grow(): void {
    const cls = this.cap === 0 ? 0 : this.cls + 1;
    const handle = this.pool.alloc(cls);
    const page = this.pool.page(cls, handle);
    const off = handle % SLAB_PAGE;
    if (this.cap > 0) {
      page.set(this.buf.subarray(this.off, this.off + this.byteLength), off);
      this.release();
    }
    this.buf = page;
    this.off = off;
    this.cls = cls;
    this.handle = handle;
    this.cap = SLOT_SIZES[cls];
  }

  /** Gives the slot back (the series is gone, or the chunk moves to a bigger slot). */
  release(): void {
    if (this.cap === 0) return;
    this.pool.release(this.cls, this.handle);
    this.buf = EMPTY;
    this.cap = 0;
  }

  private writeDod(dod: number): void {
    if (dod === 0) this.writeBits(0, 1);
    else if (inBucket(dod, 14)) {
      this.writeBits(0b10, 2);
      this.writeBits(dod & 0x3fff, 14);
    } else if (inBucket(dod, 17)) {
      this.writeBits(0b110, 3);
      this.writeBits(dod & 0x1ffff, 17);
    } else if (inBucket(dod, 20)) {
      this.writeBits(0b1110, 4);
      this.writeBits(dod & 0xfffff, 20);
    } else {
      this.writeBits(0b1111, 4);
      f64[0] = dod;
      this.writeBits(u32[1], 32);
      this.writeBits(u32[0], 32);
    }
  }

  private writeValueDod(dod: number): void {
    if (dod === 0) this.writeBits(0, 1);
    else if (inBucket(dod, 7)) {
      this.writeBits(0b10, 2);
      this.writeBits(dod & 0x7f, 7);
    } else if (inBucket(dod, 14)) {
      this.writeBits(0b110, 3);
      this.writeBits(dod & 0x3fff, 14);
    } else if (inBucket(dod, 24)) {
      this.writeBits(0b1110, 4);
      this.writeBits(dod & 0xffffff, 24);
    } else {
      this.writeBits(0b1111, 4);
      f64[0] = dod;
      this.writeBits(u32[1], 32);
      this.writeBits(u32[0], 32);
    }
  }

  private writeXor(xHi: number, xLo: number): void {
    if (xHi === 0 && xLo === 0) {
      this.writeBits(0, 1);
      return;
    }
    let leading = xHi !== 0 ? Math.clz32(xHi) : 32 + Math.clz32(xLo);
    const trailing = xLo !== 0 ? ctz32(xLo) : 32 + ctz32(xHi);
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      // The meaningful bits fit the previous window: reuse it.
      this.writeBits(0b10, 2);
      this.writeShifted(xHi, xLo, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    if (leading > 31) leading = 31; // 5 bits
    const sig = 64 - leading - trailing;
    this.writeBits(0b11, 2);
    this.writeBits(leading, 5);
    this.writeBits(sig & 63, 6); // 64 is written as 0
    this.writeShifted(xHi, xLo, trailing, sig);
    this.leading = leading;
    this.trailing = trailing;
  }

  /** Writes the n low bits of (hi:lo) >>> shift. */
  private writeShifted(hi: number, lo: number, shift: number, n: number): void {
    let sHi: number;
    let sLo: number;
    if (shift === 0) {
      sHi = hi;
      sLo = lo;
    } else if (shift >= 32) {
      sHi = 0;
      sLo = hi >>> (shift - 32);
    } else {
      sHi = hi >>> shift;
      sLo = (lo >>> shift) | (hi << (32 - shift));
    }
    if (n > 32) {
      this.writeBits(sHi, n - 32);
      this.writeBits(sLo, 32);
    } else this.writeBits(n === 32 ? sLo : sLo & ((1 << n) - 1), n);
  }

  /** Writes the n (≤ 32) low bits of value, most significant first. */
  private writeBits(value: number, n: number): void {
    const buf = this.buf;
    const base = this.off;
    let pos = this.bitPos;
    while (n > 0) {
      const free = 8 - (pos & 7);
      const take = n < free ? n : free;
      const bits = (value >>> (n - take)) & ((1 << take) - 1);
      buf[base + (pos >>> 3)] |= bits << (free - take);
      n -= take;
      pos += take;
    }
    this.bitPos = pos;
  }
}

/** Sample count of the chunk starting at `offset` in `bytes`. */
export function chunkCount(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

/** 32 bits of buf from byte i, big-endian (bytes past the end read as 0). */
function word(buf: Uint8Array, i: number): number {
  // Never read past the end: an out-of-bounds load makes V8 fall back to generic code (20× slower).
  if (i + 3 < buf.length) return ((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) >>> 0;
  let w = 0;
  for (let k = 0; k < 4; k++) w = (w << 8) | (i + k < buf.length ? buf[i + k] : 0);
  return w >>> 0;
}

/** n (1–24) bits of buf from bit pos: one 32-bit window, no loop (small enough to be inlined). */
function bits(buf: Uint8Array, pos: number, n: number): number {
  return ((word(buf, pos >>> 3) << (pos & 7)) >>> (32 - n)) >>> 0;
}

/** n (0–32) bits of buf from bit pos. */
function bits32(buf: Uint8Array, pos: number, n: number): number {
  if (n <= 24) return n === 0 ? 0 : bits(buf, pos, n);
  return ((bits(buf, pos, n - 16) * 65536) + bits(buf, pos + n - 16, 16)) >>> 0;
}

const signed = (v: number, nbits: number): number => (v > 1 << (nbits - 1) ? v - (1 << nbits) : v);

/**
 * Decodes the chunk at `offset` in `bytes` into ts/vs from index `at`; a staleness marker becomes
 * NaN in vs and 1 in stale (when given, from index `stAt`). Returns the number of samples written. The bit position
 * is a local and every read a small pure function, so the loop stays in registers.
 */
export function decodeChunk(
  bytes: Uint8Array,
  offset: number,
  ts: Float64Array,
  vs: Float64Array,
  stale: Uint8Array | undefined,
  at: number,
  stAt = at,
): number {
  const n = chunkCount(bytes, offset);
  if (n === 0) return 0;
  const intDod = bytes[offset + 2] === ENC_INT_DOD;
  let pos = (offset + CHUNK_HEADER_BYTES) * 8;
  u32[1] = bits32(bytes, pos, 32);
  u32[0] = bits32(bytes, pos + 32, 32);
  let t = f64[0];
  let hi = bits32(bytes, pos + 64, 32) | 0;
  let lo = bits32(bytes, pos + 96, 32) | 0;
  pos += 128;
  u32[1] = hi;
  u32[0] = lo;
  let v = f64[0];
  let vDelta = 0;
  let delta = 0;
  let leading = 0;
  let trailing = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      // One 32-bit window (its top 25 bits are valid) holds the prefix and, but for the escape, the payload.
      const w = (word(bytes, pos >>> 3) << (pos & 7)) >>> 0;
      let dod: number;
      if (w < 0x80000000) {
        dod = 0; // '0'
        pos += 1;
      } else if (w < 0xc0000000) {
        dod = signed((w << 2) >>> 18, 14); // '10' + 14
        pos += 16;
      } else if (w < 0xe0000000) {
        dod = signed((w << 3) >>> 15, 17); // '110' + 17
        pos += 20;
      } else if (w < 0xf0000000) {
        dod = signed((w << 4) >>> 12, 20); // '1110' + 20
        pos += 24;
      } else {
        u32[1] = bits32(bytes, pos + 4, 32);
        u32[0] = bits32(bytes, pos + 36, 32);
        dod = f64[0];
        pos += 68;
      }
      delta += dod;
      t += delta;
      if (intDod) {
        // After a 1-bit '0' the same window still has 24 sure bits: enough but for the 24-bit bucket.
        const x = w < 0x80000000 ? (w << 1) >>> 0 : (word(bytes, pos >>> 3) << (pos & 7)) >>> 0;
        let vdod: number;
        if (x < 0x80000000) {
          vdod = 0;
          pos += 1;
        } else if (x < 0xc0000000) {
          vdod = signed((x << 2) >>> 25, 7);
          pos += 9;
        } else if (x < 0xe0000000) {
          vdod = signed((x << 3) >>> 18, 14);
          pos += 17;
        } else if (x < 0xf0000000) {
          vdod = signed(bits(bytes, pos + 4, 24), 24); // 28 bits: past the window's sure 25
          pos += 28;
        } else {
          u32[1] = bits32(bytes, pos + 4, 32);
          u32[0] = bits32(bytes, pos + 36, 32);
          vdod = f64[0];
          pos += 68;
        }
        vDelta += vdod;
        v += vDelta;
        ts[at + i] = t;
        vs[at + i] = v;
        if (stale) stale[stAt + i] = 0;
        continue;
      }
      const vcode = bits(bytes, pos, 2);
      if (vcode < 2) pos += 1; // '0': the same value
      else {
        if (vcode === 3) {
          leading = bits(bytes, pos + 2, 5);
          trailing = 64 - leading - (bits(bytes, pos + 7, 6) || 64);
          pos += 13;
        } else pos += 2;
        const sig = 64 - leading - trailing;
        let xHi: number;
        let xLo: number;
        if (sig > 32) {
          xHi = bits32(bytes, pos, sig - 32);
          xLo = bits32(bytes, pos + sig - 32, 32);
        } else {
          xHi = 0;
          xLo = bits32(bytes, pos, sig);
        }
        pos += sig;
        if (trailing >= 32) {
          xHi = xLo << (trailing - 32);
          xLo = 0;
        } else if (trailing > 0) {
          xHi = (xHi << trailing) | (xLo >>> (32 - trailing));
          xLo = xLo << trailing;
        }
        hi ^= xHi;
        lo ^= xLo;
      }
    }
    const k = at + i;
    ts[k] = t;
    if (hi === STALE_NAN_HI && lo === STALE_NAN_LO) {
      vs[k] = NaN;
      if (stale) stale[stAt + i] = 1;
    } else {
      u32[1] = hi;
      u32[0] = lo;
      vs[k] = f64[0];
      if (stale) stale[stAt + i] = 0;
    }
  }
  return n;
}
