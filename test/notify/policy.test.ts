import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyError, deliver, parseRetryAfter, NotifyError, WebhookIntegration, type AttemptInfo, type Integration } from '../../src/notify/index.js';
import type { WebhookConfig } from '../../src/config/index.js';
import { startWebhookReceiver, testAlert, testDelivery, type LoopbackReceiver } from '../support/receivers.js';

const receivers: LoopbackReceiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});
async function receiver(): Promise<LoopbackReceiver> {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
}
function webhook(r: LoopbackReceiver, over: Partial<WebhookConfig> = {}, index = 0): WebhookIntegration {
  return new WebhookIntegration({ url: `${r.url}/hook`, maxAlerts: 0, sendResolved: true, http: { insecureSkipVerify: false, timeoutMs: 5000 }, ...over }, index);
}
const firing = testDelivery({ firing: [testAlert({ alertname: 'ErrorSpike', agent_id: 'checkout', severity: 'P1' })] });
const resolvedOnly = testDelivery({ resolved: [testAlert({ alertname: 'ErrorSpike', agent_id: 'checkout', severity: 'P1' })] });

/** An in-process integration for the policy's own arithmetic; it never touches the network. */
function fake(send: Integration['send'], over: Partial<Integration> = {}): Integration {
  return { kind: 'fake', index: 0, sendResolved: true, timeoutMs: 1000, send, ...over };
}

describe('deliver: retries', () => {
  test('a 400 is not retried', async () => {
    const r = await receiver();
    r.answerNext(1, { status: 400, body: 'bad request' });
    const [res] = await deliver([webhook(r)], firing, { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
    expect(res).toMatchObject({ kind: 'webhook', ok: false, attempts: 1, statusCode: 400 });
    expect(r.requests).toHaveLength(1);
  });

  test('500s are retried until the receiver accepts', async () => {
    const r = await receiver();
    r.fail(2, 500);
    const [res] = await deliver([webhook(r)], firing, { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
    expect(res).toMatchObject({ ok: true, attempts: 3 });
    expect(r.requests.map((q) => q.status)).toEqual([500, 500, 200]);
  });

  test('a refused connection is a retryable network error, retried until the deadline', async () => {
    const r = await startWebhookReceiver();
    await r.close();
    const [res] = await deliver([webhook(r)], firing, { deadline: Date.now() + 300, baseBackoffMs: 5, maxBackoffMs: 20 });
    expect(res.ok).toBe(false);
    expect(res.attempts).toBeGreaterThan(1);
    expect(res.error).toContain('ECONNREFUSED');
  });

  test('when the deadline cuts the last attempt short, the result still says what the receiver answered before', async () => {
    const r = await receiver();
    r.fail(1, 503);
    r.hang(1);
    const [res] = await deliver([webhook(r)], firing, { deadline: Date.now() + 400, baseBackoffMs: 1, maxBackoffMs: 1 });
    expect(r.requests).toHaveLength(2);
    expect(res).toMatchObject({ ok: false, attempts: 2, statusCode: 503 });
    expect(res.error).toMatch(/^503: internal error; then aborted at the notification deadline after \d+ms$/);
  });

  test('backoff is exponential with full jitter, capped, and never shorter than Retry-After', async () => {
    const waits: number[] = [];
    let calls = 0;
    const integration = fake(async () => {
      calls++;
      if (calls === 3) throw new NotifyError('429', true, 429, 5000);
      if (calls < 6) throw new NotifyError('503', true, 503);
    });
    const [res] = await deliver([integration], firing, {
      deadline: Date.now() + 60_000,
      random: () => 0.5,
      baseBackoffMs: 100,
      maxBackoffMs: 300,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(waits).toEqual([50, 100, 5000, 150, 150]);
    expect(res).toMatchObject({ ok: true, attempts: 6 });
  });

  test('a Retry-After that would cross the deadline gives up with the last error', async () => {
    const r = await receiver();
    r.tooManyRequests(1, '120');
    const attempts: AttemptInfo[] = [];
    const [res] = await deliver([webhook(r)], firing, { deadline: Date.now() + 5_000, onAttempt: (a) => attempts.push(a) });
    expect(res).toMatchObject({ ok: false, attempts: 1, statusCode: 429 });
    expect(attempts).toEqual([expect.objectContaining({ ok: false, nextInMs: undefined })]);
    expect(r.requests).toHaveLength(1);
  });
});

describe('deliver: timeouts and the deadline', () => {
  test('a hanging receiver is aborted at the timeout, its socket closed, and the next attempt goes through', async () => {
    const r = await receiver();
    r.hang(1);
    const [res] = await deliver([webhook(r, { http: { insecureSkipVerify: false, timeoutMs: 300 } })], firing, { deadline: Date.now() + 10_000, baseBackoffMs: 1 });
    expect(res).toMatchObject({ ok: true, attempts: 2 });
    const [hung, second] = r.requests;
    expect(hung.status).toBeUndefined();
    const closedAt = await r.waitForClose(hung);
    expect(closedAt).toBeLessThanOrEqual(second.at);
  });

  test('a hanging integration does not delay another one; the hanging one is aborted at the deadline', async () => {
    const slow = await receiver();
    const quick = await receiver();
    slow.hang(100);
    const order: string[] = [];
    const results = await deliver(
      [webhook(slow, { http: { insecureSkipVerify: false, timeoutMs: 60_000 } }, 0), webhook(quick, {}, 1)],
      firing,
      { deadline: Date.now() + 1500, onAttempt: (a) => order.push(`${a.index}:${a.ok ? 'ok' : a.error?.message}`) },
    );
    expect(order[0]).toBe('1:ok');
    expect(order[1]).toMatch(/^0:aborted at the notification deadline/);
    expect(results.map((x) => [x.index, x.ok, x.attempts])).toEqual([
      [0, false, 1],
      [1, true, 1],
    ]);
    await slow.waitForClose(slow.requests[0]);
  });

  test('an integration that ignores its signal still ends at the deadline', async () => {
    const [res] = await deliver([fake(() => new Promise(() => undefined), { timeoutMs: 60_000 })], firing, { deadline: Date.now() + 200 });
    expect(res).toMatchObject({ ok: false, attempts: 1 });
    expect(res.error).toMatch(/deadline/);
  });

  test('nothing is attempted once the deadline has passed', async () => {
    let calls = 0;
    const [res] = await deliver([fake(async () => void calls++)], firing, { deadline: Date.now() - 1 });
    expect(calls).toBe(0);
    expect(res).toMatchObject({ ok: false, attempts: 0 });
  });
});

describe('deliver: send_resolved', () => {
  test('a resolved-only notification skips integrations without send_resolved', async () => {
    const told = await receiver();
    const untold = await receiver();
    const results = await deliver([webhook(told, {}, 0), webhook(untold, { sendResolved: false }, 1)], resolvedOnly, { deadline: Date.now() + 5000 });
    expect(results).toEqual([{ kind: 'webhook', index: 0, ok: true, attempts: 1 }]);
    expect(told.requests).toHaveLength(1);
    expect(untold.requests).toHaveLength(0);
    // while something fires, both are told
    await deliver([webhook(told, {}, 0), webhook(untold, { sendResolved: false }, 1)], firing, { deadline: Date.now() + 5000 });
    expect(untold.requests).toHaveLength(1);
  });
});

describe('parseRetryAfter and classifyError', () => {
  const now = Date.parse('2026-03-02T10:00:00Z');
  test.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Mon, 02 Mar 2026 10:00:30 GMT', 30_000],
    ['Mon, 02 Mar 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    ['1.5', undefined],
    [undefined, undefined],
  ])('Retry-After %j is %j ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  test('HTTP answers: 429 and 5xx are retryable (with Retry-After), other 4xx not', () => {
    const axiosLike = (status: number, headers: Record<string, string> = {}) => ({ message: 'x', response: { status, headers, data: 'body' } });
    expect(classifyError(axiosLike(429, { 'Retry-After': '7' }), now)).toMatchObject({ retryable: true, statusCode: 429, retryAfterMs: 7000 });
    expect(classifyError(axiosLike(503), now)).toMatchObject({ retryable: true, statusCode: 503 });
    expect(classifyError(axiosLike(404), now)).toMatchObject({ retryable: false, statusCode: 404 });
    expect(classifyError({ statusCode: 400, body: 'invalid_payload' })).toMatchObject({ retryable: false, message: '400: invalid_payload' });
  });

  test('network errors and timeouts are retryable; a bug is not', () => {
    expect(classifyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).retryable).toBe(true);
    expect(classifyError(new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) })).retryable).toBe(true);
    expect(classifyError(new DOMException('aborted', 'AbortError')).retryable).toBe(true);
    expect(classifyError(new TypeError("Cannot read properties of undefined (reading 'x')")).retryable).toBe(false);
  });

  test('a receiver that drops the connection without an answer is tried again', async () => {
    let seen = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => (++seen === 1 ? req.socket.destroy() : res.end('ok')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const integration = new WebhookIntegration({ url, maxAlerts: 0, sendResolved: true, http: { insecureSkipVerify: false, timeoutMs: 5000 } });
      const attempts: AttemptInfo[] = [];
      const [res] = await deliver([integration], firing, { deadline: Date.now() + 10_000, baseBackoffMs: 1, onAttempt: (a) => attempts.push(a) });
      expect(res).toMatchObject({ ok: true, attempts: 2 });
      expect(attempts[0]).toMatchObject({ ok: false, error: { retryable: true } });
      expect(attempts[0].error?.message).toMatch(/^network error: UND_ERR_SOCKET/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
