import type { Labels } from '../datasource/index.js';

/**
 * Alertmanager's label-set fingerprint: FNV-1a 64 over the sorted names and values,
 * each followed by 0xff, printed as 16 hex digits — so vigil and Alertmanager name an
 * alert the same way. Computed in two 32-bit halves because JS numbers hold 53 bits.
 */
export function fingerprint(labels: Labels): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const add = (byte: number) => {
    lo = (lo ^ byte) >>> 0;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40); only the low 64 bits are kept.
    const loProduct = lo * 0x1b3;
    const hiProduct = hi * 0x1b3 + (lo & 0xffffff) * 0x100;
    lo = loProduct >>> 0;
    hi = (hiProduct + Math.floor(loProduct / 0x100000000)) >>> 0;
  };
  const addString = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) add(c);
      else {
        // Label values are UTF-8 on the wire: hash the same bytes Alertmanager does.
        for (const byte of encoder.encode(s.slice(i))) add(byte);
        return;
      }
    }
  };
  for (const name of Object.keys(labels).sort()) {
    addString(name);
    add(0xff);
    addString(labels[name]);
    add(0xff);
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

const encoder = new TextEncoder();

/** A label set in Prometheus' notation, for messages: {a="1", b="2"}. */
export function formatLabels(labels: Labels): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}
