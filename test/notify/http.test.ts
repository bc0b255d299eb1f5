import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { agentFor, post, request } from '../../src/notify/http.js';

/** A loopback server whose answer each test sets; it records what it was sent. */
let server: Server;
let base: string;
let answer: (req: IncomingMessage, res: ServerResponse) => void;
const received: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
const open = new Set<ServerResponse>();
/** Resolved when the server has taken its next request (and holds its response in `open`). */
let arrived: () => void = () => undefined;
const nextRequest = () => new Promise<void>((r) => (arrived = r));

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      open.add(res);
      res.on('close', () => open.delete(res));
      answer(req, res);
      arrived();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  for (const res of open) res.destroy();
});
const agent = agentFor('http://127.0.0.1', { insecureSkipVerify: false, timeoutMs: 5000 });
afterAll(async () => {
  await agent.close();
  await new Promise((r) => server.close(r));
});
const never = () => new AbortController().signal;

describe('request: what a notifier sends and gets back', () => {
  test('sends JSON with basic auth from the URL and the caller headers, and returns status, headers and body as the server wrote them', async () => {
    answer = (_req, res) => {
      res.writeHead(503, [['Retry-After', '7'], ['X-Note', 'a'], ['x-note', 'b'], ['Content-Type', 'text/plain; charset=utf-8']]);
      const text = Buffer.from('déjà vu — 503', 'utf8');
      res.write(text.subarray(0, 2)); // splits the two bytes of "é"
      setTimeout(() => res.end(text.subarray(2)), 20);
    };
    const before = received.length;
    const res = await post(`${base.replace('http://', 'http://bot:p%40ss@')}/hook?x=1`, { a: 'ü' }, agent, never(), { 'X-Trace': 't1', 'User-Agent': 'mine' });
    expect(res).toEqual({ status: 503, headers: expect.objectContaining({ 'retry-after': '7', 'x-note': 'a, b', 'content-type': 'text/plain; charset=utf-8' }), body: 'déjà vu — 503' });
    const got = received[before];
    expect(got).toMatchObject({ method: 'POST', url: '/hook?x=1', body: '{"a":"ü"}' });
    expect(got.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('bot:p@ss').toString('base64')}`,
      'x-trace': 't1',
      'user-agent': 'mine',
    });
  });

  test('a string body goes as it is, and a GET has no body and no content type', async () => {
    answer = (_req, res) => res.end('{"ok":true}');
    const before = received.length;
    await post(`${base}/s`, '{"pre":"built"}', agent, never());
    const got = await request('GET', `${base}/g`, undefined, agent, never());
    expect(got).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(received[before].body).toBe('{"pre":"built"}');
    expect(received[before + 1]).toMatchObject({ method: 'GET', body: '' });
    expect(received[before + 1].headers['content-type']).toBeUndefined();
  });

  test('an abort while the server holds the answer rejects with the signal reason and closes the request', async () => {
    answer = () => undefined; // never answers
    const ctrl = new AbortController();
    const held = nextRequest();
    const sent = post(`${base}/slow`, {}, agent, ctrl.signal);
    await held;
    const [res] = open;
    const closed = new Promise((r) => res.on('close', r));
    ctrl.abort(new Error('timed out after 50ms'));
    await expect(sent).rejects.toThrow('timed out after 50ms');
    await closed; // the server saw the request go
  });

  test('an abort before the request sends nothing; one while it waits for a connection settles at once', async () => {
    const before = received.length;
    const gone = new AbortController();
    gone.abort(new Error('deadline passed'));
    await expect(post(`${base}/x`, {}, agent, gone.signal)).rejects.toThrow('deadline passed');

    answer = () => undefined;
    const one = new Agent({ connections: 1 });
    const held = nextRequest();
    const first = post(`${base}/first`, {}, one, new AbortController().signal).catch(() => undefined);
    await held;
    const ctrl = new AbortController();
    const queued = post(`${base}/queued`, {}, one, ctrl.signal);
    ctrl.abort(new Error('aborted in the queue'));
    await expect(queued).rejects.toThrow('aborted in the queue');
    expect(received.slice(before).map((r) => r.url)).toEqual(['/first']);
    await one.destroy();
    await first;
  });

  test('a bad URL or a header that cannot be sent rejects (it does not throw) and names what is wrong; nothing is sent', async () => {
    const before = received.length;
    let sent: Promise<unknown> | undefined;
    expect(() => (sent = post('http://[::1', {}, agent, never()))).not.toThrow();
    await expect(sent).rejects.toThrow(/Invalid URL/);
    await expect(post(`${base}/h`, {}, agent, never(), { 'X-Bad': 'a\r\nInjected: 1' })).rejects.toThrow(/x-bad/i);
    expect(received.length).toBe(before);
  });

  test('no answer at all rejects with the network error code', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(post(`http://127.0.0.1:${port}/`, {}, agent, never())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
