#!/usr/bin/env node
/**
 * The CPU of one webhook send on vigil's side: vigil's `post()` (undici's `dispatch` with a handler
 * of its own) against undici's `Agent.request()` with its response stream, the way vigil sent
 * before. Both as a notifier attempt sends: an AbortController and a timeout per send, the same
 * ~850-byte body (two alerts), 64 sends at a time, to a node:http sink in another process (so
 * that its CPU does not count). Rounds alternate, after a warm-up of each.
 *
 *   npm run build && node bench/http-send.mjs
 *
 * Knobs: SENDS (20000 a round), ROUNDS (4).
 */

import { fork } from 'node:child_process';
import { Agent } from 'undici';
import { agentFor, post } from '../dist/notify/http.js';
import { env, log, table } from './lib/stats.mjs';

const SENDS = env('SENDS', 20_000);
const ROUNDS = env('ROUNDS', 4);

if (process.argv[2] === 'sink') {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  const sink = fork(new URL(import.meta.url).pathname, ['sink']);
  const port = await new Promise((r) => sink.once('message', r));
  const url = `http://127.0.0.1:${port}/hook`;
  const body = JSON.stringify({
    version: '4',
    status: 'firing',
    receiver: 'sink',
    alerts: [0, 1].map((i) => ({ status: 'firing', labels: { alertname: 'BenchAlert', group: 'g1', id: `a${i}`, severity: 'P3' }, annotations: { summary: `bench alert ${i}` }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `f${i}` })),
  });
  const headers = { accept: 'application/json, text/plain, */*', 'user-agent': 'vigil', 'content-type': 'application/json' };

  /** One send as policy.attempt() makes it: a controller, a timer, the send, the timer cleared. */
  const attempt = (send) => {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new Error('timed out')), 10_000);
    return send(ctrl.signal).finally(() => clearTimeout(timer));
  };
  const vigilAgent = agentFor(url, { insecureSkipVerify: false, timeoutMs: 10_000 });
  const undiciAgent = new Agent({ connections: 256, keepAliveTimeout: 5_000, headersTimeout: 0, bodyTimeout: 0 });
  const ways = {
    "vigil post() (undici's dispatch)": (signal) => post(url, body, vigilAgent, signal),
    "undici's Agent.request()": (signal) =>
      undiciAgent.request({ origin: `http://127.0.0.1:${port}`, path: '/hook', method: 'POST', headers: { ...headers }, body, signal }).then(async (res) => ({ status: res.statusCode, body: await res.body.text() })),
  };

  async function round(send, n) {
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next++ < n) {
          const res = await attempt(send);
          if (res.status !== 200) throw new Error(`status ${res.status}`);
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    return { cpuUs: (cpu.user + cpu.system) / n, wallMs: performance.now() - t0 };
  }

  const results = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (const send of Object.values(ways)) await round(send, 5_000); // warm-up: JIT and connections
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, send] of Object.entries(ways)) {
      const res = await round(send, SENDS);
      results[name].push(res);
      log(`${name} round ${r + 1}: ${res.cpuUs.toFixed(1)} µs CPU a send, ${SENDS} sends in ${res.wallMs.toFixed(0)} ms`);
    }
  }
  console.log(`${SENDS} sends a round, 64 at a time, ${ROUNDS} rounds each (CPU of this process only)`);
  console.log(
    table([
      ['way', 'µs CPU a send (min–max)', 'sends/s (min–max)'],
      ...Object.entries(results).map(([name, rs]) => {
        const cpu = rs.map((x) => x.cpuUs);
        const rate = rs.map((x) => (SENDS / x.wallMs) * 1000);
        return [name, `${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}`, `${Math.min(...rate).toFixed(0)}–${Math.max(...rate).toFixed(0)}`];
      }),
    ]),
  );
  await vigilAgent.close();
  await undiciAgent.close();
  sink.kill();
}
