import { fingerprint } from '../../src/eval/index.js';

describe('fingerprint', () => {
  test("matches Alertmanager's FNV-1a 64 label-set fingerprint", () => {
    // The empty set hashes to FNV's offset basis, as in Alertmanager's emptyLabelSignature.
    expect(fingerprint({})).toBe('cbf29ce484222325');
    expect(fingerprint({ alertname: 'a' })).toBe(fnv64a(['alertname', 'a']));
    expect(fingerprint({ b: '2', a: '1' })).toBe(fnv64a(['a', '1', 'b', '2']));
  });

  test('does not depend on key order, and hashes non-ASCII values by their UTF-8 bytes', () => {
    expect(fingerprint({ x: '1', y: '2' })).toBe(fingerprint({ y: '2', x: '1' }));
    expect(fingerprint({ agent_id: 'café' })).toBe(fnv64a(['agent_id', 'café']));
    expect(fingerprint({ agent_id: 'café' })).not.toBe(fingerprint({ agent_id: 'cafe' }));
  });

  test('hashes every kind of UTF-16 text as its UTF-8 bytes: 2-, 3- and 4-byte characters, lone surrogates as U+FFFD', () => {
    const pieces = ['a', 'Z', '_', '0', 'é', 'ß', '€', '中', '😀', '\ud800', '\udc00', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff', '"', ''];
    let seed = 7;
    const pick = () => pieces[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % pieces.length];
    for (let k = 0; k < 500; k++) {
      const labels: Record<string, string> = {};
      for (let i = 0; i < 1 + (k % 4); i++) labels[`n${i}${pick()}`] = pick() + pick() + pick();
      const parts = Object.keys(labels)
        .sort()
        .flatMap((n) => [n, labels[n]]);
      expect(fingerprint(labels)).toBe(fnv64a(parts));
    }
  });
});

/** Reference FNV-1a 64 with BigInt over name, 0xff, value, 0xff — slow but obviously right. */
function fnv64a(parts: string[]): string {
  let h = 0xcbf29ce484222325n;
  const bytes: number[] = [];
  for (const p of parts) bytes.push(...new TextEncoder().encode(p), 0xff);
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}
