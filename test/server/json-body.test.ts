/**
 * The yielding JSON body parser: the same values and the same verdicts as JSON.parse, on bodies
 * large enough to be parsed a slice at a time, and other work runs while it parses.
 */
import { parseJsonYielding } from '../../src/server/json-body.js';

const alerts = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ labels: { alertname: 'Big', id: `a-${i}`, tricky: 'x"}],[{\\"' }, annotations: { summary: `é ${i} 😀` }, nested: [1, [2, { c: '[' }]] }));
const bigArray = JSON.stringify(alerts(10_000)); // ~1.5 MB: several slices
const bigWebhook = JSON.stringify({ version: '4', status: 'firing', receiver: 'r', groupKey: '{}:{}', alerts: alerts(10_000), groupLabels: { a: 'b' } });

async function outcome(text: string): Promise<{ ok: unknown } | { error: string }> {
  try {
    return { ok: await parseJsonYielding(text) };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

function reference(text: string): { ok: unknown } | { error: string } {
  try {
    return { ok: JSON.parse(text) };
  } catch (err) {
    return { error: (err as Error).name };
  }
}

describe('parseJsonYielding', () => {
  test('a large array and a large webhook payload parse to what JSON.parse gives', async () => {
    expect(bigArray.length).toBeGreaterThan(1_000_000);
    expect(await parseJsonYielding(bigArray)).toEqual(JSON.parse(bigArray));
    expect(await parseJsonYielding(` \n${bigWebhook}\n `)).toEqual(JSON.parse(bigWebhook));
    expect(await parseJsonYielding('[]')).toEqual([]);
  });

  test('other work runs while a large body is parsed', async () => {
    let turns = 0;
    let parsing = true;
    const spin = () => {
      turns++;
      if (parsing) setImmediate(spin);
    };
    setImmediate(spin);
    await parseJsonYielding(bigArray);
    parsing = false;
    expect(turns).toBeGreaterThan(3);
  });

  test.each<[string, string]>([
    ['trailing garbage', bigArray + 'x'],
    ['a missing bracket', bigArray.slice(0, -1)],
    ['an empty element', bigArray.replace('},{', '},,{')],
    ['a trailing comma', bigArray.slice(0, -1) + ',]'],
    ['two elements without a comma', bigArray.replace('},{', '}{')],
    ['a closing brace for a bracket', bigArray.slice(0, -1) + '}'],
    ['a bad value deep inside', bigArray.replace('"a-9000"', 'a-9000')],
    ['a bad value in the webhook beside its alerts', bigWebhook.replace('"groupKey":"{}:{}"', '"groupKey":{}:{}')],
    ['a webhook that never closes', bigWebhook.slice(0, -1)],
    ['a leading zero', bigArray.replace('[1,[2', '[01,[2')],
  ])('%s: rejected as JSON.parse rejects it, with a SyntaxError', async (_what, text) => {
    expect(reference(text)).toEqual({ error: 'SyntaxError' });
    expect(await outcome(text)).toEqual({ error: expect.stringMatching(/^SyntaxError: /) });
  });

  test('a parse error names its position in the whole body, as JSON.parse does', async () => {
    const text = bigArray.replace('},{"labels":{"alertname":"Big","id":"a-9000"', '}{"labels":{"alertname":"Big","id":"a-9000"');
    let expected = '';
    try {
      JSON.parse(text);
    } catch (err) {
      expected = (err as Error).message;
    }
    expect(expected).toMatch(/at position \d{6,}/);
    expect(await outcome(text)).toEqual({ error: `SyntaxError: ${expected}` });
  });

  test('the same verdict as JSON.parse on random one-character edits', async () => {
    const array = JSON.stringify(alerts(2_000)); // just over the size parsed in one piece
    const webhook = JSON.stringify({ version: '4', alerts: alerts(2_000), status: 'firing' });
    expect(array.length).toBeGreaterThan(256 * 1024);
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const chars = ',[]{}":x 0\\';
    const disagreements: string[] = [];
    for (let k = 0; k < 200; k++) {
      const base = k % 2 ? array : webhook;
      const pos = rand(base.length);
      const text = base.slice(0, pos) + chars[rand(chars.length)] + base.slice(pos + rand(2));
      const ref = reference(text);
      const got = await outcome(text);
      const same = 'ok' in ref ? 'ok' in got && JSON.stringify(got.ok) === JSON.stringify(ref.ok) : 'error' in got && got.error.startsWith('SyntaxError: ');
      if (!same) disagreements.push(`edit at ${pos}: ${'ok' in ref ? 'valid' : 'invalid'} for JSON.parse`);
    }
    expect(disagreements).toEqual([]);
  });
});
