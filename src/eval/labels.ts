import type { Labels } from '../datasource/index.js';

/**
 * Alertmanager's label-set fingerprint: FNV-1a 64 over the sorted names and values,
 * each followed by 0xff, printed as 16 hex digits — so vigil and Alertmanager name an
 * alert the same way. Computed in two 32-bit halves because JS numbers hold 53 bits.
 */
export function fingerprint(labels: Labels): string {
  // hot on ingest: the FNV state lives in locals, not in a closure, and UTF-8 is encoded inline
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const names = Object.keys(labels);
  // Prometheus and Alertmanager send label sets sorted (Go encodes maps in key order), and sort() copies the array
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1] > names[i]) {
      names.sort();
      break;
    }
  }
  for (let n = 0; n < names.length * 2; n++) {
    const s = n & 1 ? labels[names[n >> 1]] : names[n >> 1];
    for (let i = 0; i <= s.length; i++) {
      let c = i === s.length ? 0xff : s.charCodeAt(i);
      let extra = 0; // further UTF-8 bytes of a non-ASCII code point, low byte first
      let count = 0;
      if (i < s.length && c >= 0x80) {
        let cp = c;
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
          const d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d < 0xe000) {
            cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
          }
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; // a lone surrogate, as TextEncoder writes it
        if (cp < 0x800) {
          c = 0xc0 | (cp >> 6);
          extra = 0x80 | (cp & 0x3f);
          count = 1;
        } else if (cp < 0x10000) {
          c = 0xe0 | (cp >> 12);
          extra = (0x80 | ((cp >> 6) & 0x3f)) | ((0x80 | (cp & 0x3f)) << 8);
          count = 2;
        } else {
          c = 0xf0 | (cp >> 18);
          extra = (0x80 | ((cp >> 12) & 0x3f)) | ((0x80 | ((cp >> 6) & 0x3f)) << 8) | ((0x80 | (cp & 0x3f)) << 16);
          count = 3;
        }
      }
      for (;;) {
        lo ^= c;
        // h * 0x100000001b3 = h * 0x1b3 + (h << 40), kept to 64 bits in two 32-bit halves
        const p = (lo >>> 0) * 0x1b3;
        const low = p >>> 0;
        hi = (Math.imul(hi, 0x1b3) + (p - low) / 0x100000000 + (lo << 8)) >>> 0;
        lo = low;
        if (count-- === 0) break;
        c = extra & 0xff;
        extra >>>= 8;
      }
    }
  }
  return hex64(hi, lo);
}

const HEX = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));

/**
 * 16 hex digits as one flat string. Joined with `+`, two halves made a rope of three strings (80 bytes
 * instead of 32), kept for every alert held, and slower as a Map key (bench/README.md).
 */
function hex64(hi: number, lo: number): string {
  return String.fromCharCode(
    HEX[hi >>> 28], HEX[(hi >>> 24) & 15], HEX[(hi >>> 20) & 15], HEX[(hi >>> 16) & 15],
    HEX[(hi >>> 12) & 15], HEX[(hi >>> 8) & 15], HEX[(hi >>> 4) & 15], HEX[hi & 15],
    HEX[lo >>> 28], HEX[(lo >>> 24) & 15], HEX[(lo >>> 20) & 15], HEX[(lo >>> 16) & 15],
    HEX[(lo >>> 12) & 15], HEX[(lo >>> 8) & 15], HEX[(lo >>> 4) & 15], HEX[lo & 15],
  );
}

/** A label set in Prometheus' notation, for messages: {a="1", b="2"}. */
export function formatLabels(labels: Labels): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}
