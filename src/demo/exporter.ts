/** The fleet's /metrics over HTTP, in the Prometheus text format, as any instrumented service serves it. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fleet } from './fleet.js';

export interface Exporter {
  /** host:port, what a scrape config's static target names. */
  target: string;
  url: string;
  close(): Promise<void>;
}

export interface ExporterOptions {
  host?: string;
  port?: number;
  /** Until true, scrapes get 503: the fleet is still being replayed for the history. */
  ready?: () => boolean;
}

export async function startExporter(fleet: Fleet, options: ExporterOptions = {}): Promise<Exporter> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: the fleet serves GET /metrics\n');
      return;
    }
    if (options.ready && !options.ready()) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('the fleet is not live yet\n');
      return;
    }
    fleet.exposition(Date.now()).then(
      (text) => res.writeHead(200, { 'Content-Type': fleet.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const target = `${host}:${address.port}`;
  return {
    target,
    url: `http://${target}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
