#!/usr/bin/env node
/**
 * The synthetic fleet (fleet.mjs) as live exporters: `TARGETS` HTTP servers on loopback, each
 * serving its share of `AGENTS` agents in the Prometheus text format, counters growing at the
 * fleet's rates from the moment the process started. Prints the ports as JSON on stdout.
 * Run as a child process so its CPU never counts against the scrapers it feeds.
 */
import { createServer } from 'node:http';
import { Fleet } from './fleet.mjs';

const agents = Number(process.env.AGENTS ?? 1000);
const targets = Number(process.env.TARGETS ?? 10);
const t0 = Date.now() - (Date.now() % 60_000);
const FAMILIES = [
  ['agent_requests', 'counter', 'agent_requests_total'],
  ['agent_request_duration_seconds', 'histogram', null],
  ['agent_tokens_consumed', 'counter', 'agent_tokens_consumed_total'],
  ['agent_tool_calls', 'counter', 'agent_tool_calls_total'],
  ['agent_hallucination', 'counter', 'agent_hallucination_total'],
];

// Per-second rates from one minute of the fleet's model: [name, label text, rate][] per target.
const fleet = new Fleet({ agents, timestamps: [t0, t0 + 60_000] });
const perTarget = Array.from({ length: targets }, () => []);
for (const [family, , metric] of FAMILIES) {
  for (let i = 0; i < agents; i++) {
    for (const [labels, values, name] of fleet.series(family, i)) {
      const text = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(',');
      perTarget[i % targets].push([`${name ?? metric}{${text}} `, values[1] / 60]);
    }
  }
}

const ports = [];
for (const series of perTarget) {
  const server = createServer((req, res) => {
    const elapsed = (Date.now() - t0) / 1000;
    let body = '';
    for (const [prefix, rate] of series) body += `${prefix}${Math.floor(rate * elapsed)}\n`;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  ports.push(server.address().port);
}
process.stdout.write(JSON.stringify({ ports, series: perTarget.reduce((a, s) => a + s.length, 0) }) + '\n');
