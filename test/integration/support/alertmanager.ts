/**
 * A real Alertmanager (Debian package prometheus-alertmanager) for tests: a config written to a
 * temporary folder, clustering off, served on a free loopback port, stopped and cleaned up after.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { atExit, freePort, launch, PortInUseError, which } from './prometheus.js';

export interface AlertmanagerInstance {
  url: string;
  logs(): string;
  /** POSTs alerts to its API v2, as Prometheus does. */
  postAlerts(alerts: { labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; endsAt?: string }[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startAlertmanager(config: Record<string, unknown>): Promise<AlertmanagerInstance> {
  const binary = which('prometheus-alertmanager') ?? which('alertmanager');
  if (!binary) throw new Error('startAlertmanager: prometheus-alertmanager not found (Debian package: prometheus-alertmanager)');
  const dir = await mkdtemp(join(tmpdir(), 'vigil-alertmanager-'));
  const forgetDir = atExit(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, stringify(config));
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    try {
      const args = [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='];
      const server = await launch(binary, args, port, 30_000);
      const url = `http://127.0.0.1:${port}`;
      let stopping: Promise<void> | undefined;
      return {
        url,
        logs: server.logs,
        async postAlerts(alerts) {
          const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
          if (!res.ok) throw new Error(`alertmanager refused the alerts: ${res.status} ${await res.text()}`);
        },
        stop: () =>
          (stopping ??= (async () => {
            await server.stop();
            await rm(dir, { recursive: true, force: true });
            forgetDir();
          })()),
      };
    } catch (err) {
      if (tries < 3 && err instanceof PortInUseError) continue;
      await rm(dir, { recursive: true, force: true });
      forgetDir();
      throw err;
    }
  }
}
